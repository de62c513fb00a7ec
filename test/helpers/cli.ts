import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/run.js`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `support` binary (npm run build first) as a user would, in a child process. */
export function runCli(args: string[], options: {env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number}): Promise<CliRun> {
  if (!existsSync(`${ROOT}dist/commands`)) throw new Error('Run `npm run build` before these tests: they run the built CLI.');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: options.env, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code: code ?? -1, stdout, stderr});
    });
    child.stdin.end(options.input ?? '');
  });
}
