import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {describeBackendConformance} from 'supportkit-cli/test-kit';

import {createBackend} from '../src/index.js';

// The toolkit's own conformance suite, as every backend of the toolkit runs it. It tests what
// the backend declares and skips, saying which capability, what it does not (attachments,
// knowledge base, SLA).
describeBackendConformance('jsonl', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jsonl-conformance-'));
  const scratch = join(dir, 'files');
  mkdirSync(scratch);
  const backend = await createBackend({
    profile: 'test',
    settings: {path: join(dir, 'tickets.jsonl')},
    dataDir: dir,
    cacheDir: dir,
    identity: {name: 'alice', role: 'agent'},
  });
  return {
    backend,
    scratch,
    close: async () => {
      await backend.close();
      rmSync(dir, {recursive: true, force: true});
    },
  };
});
