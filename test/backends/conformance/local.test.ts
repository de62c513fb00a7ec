import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import {createLocalBackend} from '../../../src/backends/local/index.js';
import {describeSlaConformance} from './sla-suite.js';
import {describeBackendConformance} from './suite.js';
import {sandbox} from '../../helpers.js';

/** A fresh local store; on the local backend every user may write articles and policies. */
async function freshLocal() {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const backend = await createLocalBackend({
    profile: 'default',
    dataDir: dirs.dataDir,
    cacheDir: dirs.cacheDir,
    identity: {name: 'alice', role: 'agent'},
  });
  return {
    backend,
    kbWriter: backend,
    admin: backend,
    scratch,
    close: async () => {
      await backend.close();
      dirs.cleanup();
    },
  };
}

describeBackendConformance('local', freshLocal);
describeSlaConformance('local', freshLocal);
