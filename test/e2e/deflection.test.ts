import {chmodSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {describe, expect, it} from 'vitest';

import {parseJson, runBin, runInTerminal, sandbox} from '../helpers.js';

/** Runs the built binary in a real pseudo-terminal, answering prompts as they appear. */
const typeInto = (argv: string[], env: Record<string, string>, steps: [RegExp, string][]) => runInTerminal(argv, {env, steps, cols: 120, rows: 40});

const tickets = async (env: Record<string, string>) => parseJson<{tickets: {title: string; body: string}[]}>((await runBin(['ticket', 'list', '--json'], {env})).stdout).tickets;

/** An $EDITOR that writes the body, as a person would. */
function editorIn(dir: string): Record<string, string> {
  const editor = join(dir, 'fake-editor.sh');
  writeFileSync(editor, '#!/bin/sh\nprintf "Behind the company proxy nothing works.\\n" > "$1"\n');
  chmodSync(editor, 0o755);
  return {EDITOR: editor, VISUAL: editor};
}

describe('ticket create offers knowledge-base articles when it asks for the ticket anyway, on a terminal', () => {
  // The title is given, the body is not: the command asks for it, and first offers articles.
  const argv = ['ticket', 'create', '--title', 'How do I set up a proxy'];

  it('files nothing and exits 0 when an article solved it, before the editor opens', async () => {
    const box = sandbox();
    try {
      const {screen, exitCode} = await typeInto(argv, {...box.env, ...editorIn(box.dir)}, [[/solve your problem/, 'y\r']]);
      expect(exitCode, screen).toBe(0);
      expect(screen).toContain('These articles may already answer it');
      expect(screen).toMatch(/Set up a proxy for the support CLI/);
      expect(screen).toContain('No ticket was created.');
      expect(screen).not.toContain('Body (opens your editor)');
      expect(await tickets(box.env)).toEqual([]);
    } finally {
      box.cleanup();
    }
  });

  it('asks for the body and files the ticket when none did', async () => {
    const box = sandbox();
    try {
      const {screen, exitCode} = await typeInto(argv, {...box.env, ...editorIn(box.dir)}, [
        [/solve your problem/, 'n\r'],
        [/Body/, '\r'],
      ]);
      expect(exitCode, screen).toBe(0);
      expect(screen).toMatch(/Created ticket #1/);
      expect(await tickets(box.env)).toMatchObject([{title: 'How do I set up a proxy', body: 'Behind the company proxy nothing works.\n'}]);
    } finally {
      box.cleanup();
    }
  });

  it('asks nothing when --title and --body are both given: the ticket is filed at once', async () => {
    const box = sandbox();
    try {
      const {screen, exitCode} = await typeInto([...argv, '--body', 'Behind the company proxy nothing works.'], box.env, []);
      expect(exitCode, screen).toBe(0);
      expect(screen).not.toContain('These articles');
      expect(screen).toMatch(/Created ticket #1/);
      const fromFile = join(box.dir, 'body.md');
      writeFileSync(fromFile, 'From a file.\n');
      const second = await typeInto([...argv, '--body-file', fromFile], box.env, []);
      expect(second.screen).not.toContain('These articles');
      expect(await tickets(box.env)).toHaveLength(2);
    } finally {
      box.cleanup();
    }
  });

  it("shows the articles in the user's language first, and the other language after them", async () => {
    const box = sandbox();
    try {
      // Without --body the body is asked for, so the articles are offered first.
      const proxyArgv = ['ticket', 'create', '--title', 'Proxy'];
      const env = {...box.env, ...editorIn(box.dir), LC_ALL: '', LC_MESSAGES: '', LANG: 'de_DE.UTF-8'};
      const {screen} = await typeInto(proxyArgv, env, [[/solve your problem/, 'y\r']]);
      const german = screen.indexOf('Einen Proxy für die Kommandozeile einrichten');
      const english = screen.indexOf('Set up a proxy for the support CLI');
      expect(german, screen).toBeGreaterThan(-1);
      expect(english, screen).toBeGreaterThan(german);
    } finally {
      box.cleanup();
    }
  });

  it('does not ask with --no-suggest, nor without a terminal', async () => {
    const box = sandbox();
    try {
      const {screen, exitCode} = await typeInto([...argv, '--no-suggest'], {...box.env, ...editorIn(box.dir)}, [[/Body/, '\r']]);
      expect(exitCode, screen).toBe(0);
      expect(screen).not.toContain('These articles');
      expect(screen).toMatch(/Created ticket #1/);
      const piped = await runBin([...argv, '--body', 'x'], {env: box.env});
      expect(piped.exitCode, piped.stderr).toBe(0);
      expect(piped.stderr).not.toContain('These articles');
      expect(await tickets(box.env)).toHaveLength(2);
    } finally {
      box.cleanup();
    }
  });
});
