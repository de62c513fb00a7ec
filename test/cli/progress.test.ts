import {describe, expect, it} from 'vitest';

import {progressBar} from '../../src/cli/progress.js';

/** A terminal that keeps what was drawn. */
function terminal() {
  const writes: string[] = [];
  const stream = {isTTY: true, write: (s: string) => void writes.push(s)} as unknown as NodeJS.WriteStream;
  return {stream, writes, last: () => writes.at(-1) ?? ''};
}

describe('progressBar', () => {
  it('draws a restarted upload at 0 at once, not at the figure of the attempt that failed', () => {
    const t = terminal();
    const bar = progressBar('Uploading', {enabled: true, stream: t.stream});
    bar.update(0, 1000);
    bar.update(600, 1000);
    // Within the same tenth of a second the bar is not redrawn for progress...
    bar.update(700, 1000);
    // ...but a retry that starts from 0 again is.
    bar.stop();
    const drawn = t.writes.length;
    bar.update(0, 1000);
    expect(t.writes.length).toBeGreaterThan(drawn);
    expect(t.last()).toMatch(/ {2}0% 0 B\/1000 B/);
    bar.update(1000, 1000);
    expect(t.last()).toMatch(/100% /);
  });
});
