import {spawn} from 'node:child_process';

import type {OutputStream} from './io.js';
import type {Shown} from './shown.js';

/**
 * Shows text through the user's pager ($PAGER, else less) when it is longer than the terminal,
 * as git and gh do. Returns false when the text was not paged (short, no terminal, no pager),
 * and the caller prints it itself. The pager gets the same neutralised text the terminal would:
 * `less -R` passes escape sequences through, so only Shown text is accepted.
 */
export async function page(shownText: Shown, options: {env: NodeJS.ProcessEnv; stdout: OutputStream}): Promise<boolean> {
  const {env, stdout} = options;
  const text = shownText.text;
  if (!stdout.isTTY) return false;
  const rows = stdout.rows ?? 24;
  if (text.split('\n').length < rows) return false;
  const pager = (env.SUPPORT_PAGER ?? env.PAGER ?? 'less').trim();
  if (!pager || pager === 'cat') return false;
  // less: quit when it fits, keep colours, leave the text on the screen.
  const childEnv = {...env, LESS: env.LESS ?? 'FRX', LV: env.LV ?? '-c'};
  return new Promise((resolve) => {
    // The terminal itself when stdout is the process's; else (a test's stream) through a pipe.
    const own = (stdout as {fd?: unknown}).fd === 1;
    const child = spawn(pager, {shell: true, stdio: ['pipe', own ? 'inherit' : 'pipe', 'inherit'], env: childEnv});
    child.stdout?.pipe(stdout, {end: false});
    let failed = false;
    child.on('error', () => {
      failed = true;
    });
    // The user may quit before reading everything: that is not an error.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(text.endsWith('\n') ? text : `${text}\n`);
    child.on('close', (code) => resolve(!failed && code !== 127 && code !== 126));
  });
}
