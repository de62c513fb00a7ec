import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import {spawnBin} from '../helpers.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/run.js`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `support` binary (npm run build first) as a user would, in a child process. */
export async function runCli(args: string[], options: {env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number}): Promise<CliRun> {
  if (!existsSync(`${ROOT}dist/commands`)) throw new Error('Run `npm run build` before these tests: they run the built CLI.');
  const {exitCode, stdout, stderr} = await spawnBin(args, options.env, {stdin: options.input, timeoutMs: options.timeoutMs});
  return {code: exitCode, stdout, stderr};
}
