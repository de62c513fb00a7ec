import {expect} from 'vitest';

import {neutralise} from '../../src/domain/neutralise.js';

/**
 * Text a hostile customer might type into a ticket: a window title (OSC 0), a clipboard write
 * (OSC 52), a screen clear and hidden text (CSI), the C1 CSI byte, a right-to-left override,
 * NUL, a DCS and an APC string, DEL.
 */
export const HOSTILE =
  'Invoice \u001b]0;pwned\u0007 \u001b]52;c;cm0gLXJmIH4=\u0007 \u001b[2J\u001b[5;8mhidden\u001b[0m \u009b31mred \u202eexe.txt \u0000nul \u001bP+q\u001b\\ \u001b_apc\u001b\\ \u007f end';

/** How it must show: the one documented notation (src/domain/neutralise.ts). */
export const HOSTILE_SHOWN = {text: neutralise(HOSTILE, 'text'), field: neutralise(HOSTILE, 'field')};

/** The raw sequences of HOSTILE: none of them may reach a terminal. */
const RAW = ['\u001b]', '\u001b[2J', '\u001b[5;8m', '\u001b[0m', '\u009b', '\u202e', '\u0000', '\u0007', '\u001bP', '\u001b_', '\u007f'];

/**
 * Output without colour holds no control character but tabs and newlines (CR only before LF), and none of the
 * hostile sequences; with colour, the only escape sequences are SGR colours (ours) and none is
 * one of the data's.
 */
export function expectNeutralised(output: string): void {
  for (const raw of RAW) expect(output.includes(raw), `raw ${JSON.stringify(raw)} in ${JSON.stringify(output.slice(0, 400))}`).toBe(false);
  // eslint-disable-next-line no-control-regex -- our own colours, the only escapes allowed
  const withoutOurColours = output.replace(/\u001b\[(?:\d+;)*\d*m/g, '').replaceAll('\r\n', '\n');
  // eslint-disable-next-line no-control-regex -- what must not be there
  expect(withoutOurColours).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\ufeff]/);
}
