import {chmodSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {describe, expect, it} from 'vitest';

import {parseJson, runBin, runInTerminal, sandbox} from '../helpers.js';

const typeInto = (argv: string[], env: Record<string, string>, steps: [RegExp, string][]) => runInTerminal(argv, {env, steps});

describe('prompts on a terminal', () => {
  it('asks for the title and opens $EDITOR for the body when they are missing', async () => {
    const box = sandbox();
    try {
      const editor = join(box.dir, 'fake-editor.sh');
      writeFileSync(editor, '#!/bin/sh\nprintf "Written in the editor\\n" > "$1"\n');
      chmodSync(editor, 0o755);
      const env = {...box.env, EDITOR: editor, VISUAL: editor};
      const {exitCode, screen} = await typeInto(['ticket', 'create', '--priority', 'high'], env, [
        [/Title/, 'Typed at the prompt\r'],
        [/Body/, '\r'],
      ]);
      expect(exitCode, screen).toBe(0);
      expect(screen).toMatch(/Created ticket #1/);
      const view = await runBin(['ticket', 'view', '1', '--json'], {env: box.env});
      expect(parseJson(view.stdout)).toMatchObject({title: 'Typed at the prompt', body: 'Written in the editor\n', priority: 'high'});
    } finally {
      box.cleanup();
    }
  });

  it('exits 130 and creates nothing when the user presses Ctrl-C at a prompt', async () => {
    const box = sandbox();
    try {
      const {exitCode} = await typeInto(['ticket', 'create'], box.env, [[/Title/, '\u0003']]);
      expect(exitCode).toBe(130);
      const list = await runBin(['ticket', 'list', '--json'], {env: box.env});
      expect(parseJson(list.stdout).tickets).toEqual([]);
    } finally {
      box.cleanup();
    }
  });

  it('does not prompt with --no-input even on a terminal', async () => {
    const box = sandbox();
    try {
      const {exitCode, screen} = await typeInto(['ticket', 'create', '--no-input'], box.env, []);
      expect(exitCode).toBe(2);
      expect(screen).toContain('Missing --title, --body.');
    } finally {
      box.cleanup();
    }
  });
});

describe('progress on a terminal', () => {
  it('draws an upload bar for attachments on a terminal, and none when piped', async () => {
    const box = sandbox();
    try {
      const file = join(box.dir, 'big.log');
      writeFileSync(file, 'x'.repeat(3 * 1024 * 1024));
      const {exitCode, screen} = await typeInto(['ticket', 'create', '--title', 'Logs', '--body', 'see file', '--attach', file, '--no-suggest'], box.env, []);
      expect(exitCode, screen).toBe(0);
      expect(screen).toMatch(/Uploading big\.log .*100% 3\.0 MB\/3\.0 MB/);
      const piped = await runBin(['ticket', 'create', '--title', 'Logs', '--body', 'see file', '--attach', file], {env: box.env});
      expect(piped.stderr).not.toContain('Uploading');
    } finally {
      box.cleanup();
    }
  });
});
