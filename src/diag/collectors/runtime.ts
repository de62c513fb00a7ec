import {execFile} from 'node:child_process';

import {classifySecretName, REDACTED} from '../rules.js';
import {addScrubbedText, asJson, type Collector} from './collector.js';

export interface RuntimeCollectorOptions {
  toolkit: {name: string; version: string};
  /** The toolkit's settings as stored. Keys that name secrets are blanked; the rest is scrubbed. */
  settings: unknown;
  /** Profile names and the one in use; never their credentials, which this collector is not given. */
  profiles: string[];
  activeProfile: string;
  /** How long `npm --version` may take. Default 5 s. */
  npmTimeoutMs?: number;
}

/** Node and npm versions, the toolkit's version and its settings with secrets removed. */
export function runtimeCollector(options: RuntimeCollectorOptions): Collector {
  return {
    name: 'runtime',
    timeoutMs: (options.npmTimeoutMs ?? 5000) + 5000,
    async run(ctx) {
      const info = {
        node: {version: process.version, versions: {v8: process.versions.v8, uv: process.versions.uv, openssl: process.versions.openssl}, execPath: process.execPath},
        npm: await npmVersion(options.npmTimeoutMs ?? 5000, ctx.signal),
        toolkit: options.toolkit,
        activeProfile: options.activeProfile,
        profiles: options.profiles,
        settings: withoutSecrets(options.settings),
      };
      await addScrubbedText(ctx, 'runtime.json', 'runtime', asJson(info));
    },
  };
}

/** npm's version, or why it could not be read: npm missing is a finding, not a failure. */
function npmVersion(timeoutMs: number, signal: AbortSignal): Promise<{version: string} | {error: string}> {
  return new Promise((resolve) => {
    execFile('npm', ['--version'], {timeout: timeoutMs, signal, windowsHide: true, shell: process.platform === 'win32'}, (error, stdout) => {
      if (error) {
        const e = error as NodeJS.ErrnoException & {killed?: boolean};
        resolve({error: e.code === 'ENOENT' ? 'npm is not on the PATH' : e.killed ? `no answer within ${timeoutMs} ms` : e.message.split('\n')[0]!});
      } else resolve({version: stdout.trim()});
    });
  });
}

/** A copy in which every value under a secret-sounding key is replaced, at any depth. */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, classifySecretName(key) && item !== null && item !== '' ? REDACTED : withoutSecrets(item, depth + 1)]),
    );
  }
  return value;
}
