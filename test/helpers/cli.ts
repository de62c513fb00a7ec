/**
 * @deprecated Moved into test/helpers.ts (runBin, BIN, ROOT). Kept, as a thin adapter, only
 * until branches that began before the move are merged; new tests import test/helpers.ts.
 */
import {runBin} from '../helpers.js';

export {BIN, ROOT} from '../helpers.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** @deprecated runBin(args, {env, stdin, timeoutMs}) in test/helpers.ts. */
export async function runCli(args: string[], options: {env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number}): Promise<CliRun> {
  const {exitCode, stdout, stderr} = await runBin(args, {env: options.env, stdin: options.input, timeoutMs: options.timeoutMs ?? 30_000});
  return {code: exitCode, stdout, stderr};
}
