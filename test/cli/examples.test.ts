import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

import {describe, expect, it} from 'vitest';

import {ROOT} from '../helpers.js';

/**
 * The built-in help articles teach commands; a command or flag they name that does not exist
 * would send a user on a fresh machine down a dead end. Every `support ...` line in their code
 * blocks must name a real command and only flags it has.
 */
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {flags: Record<string, {char?: string; allowNo?: boolean}>; aliases: string[]}>;
};
const ids = new Map<string, string>();
for (const [id, cmd] of Object.entries(manifest.commands)) {
  ids.set(id.replaceAll(':', ' '), id);
  for (const alias of cmd.aliases) ids.set(alias.replaceAll(':', ' '), id);
}

function commandLines(markdown: string): string[] {
  const lines: string[] = [];
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    else if (inCode && /^support [a-z]/.test(line.trim())) lines.push(line.trim());
  }
  return lines;
}

/** The flag a word of a command line names: `--no-install` names `install` when that flag takes --no-. */
function flagName(flags: Record<string, {allowNo?: boolean}>, word: string): string {
  const name = word.slice(2).split('=')[0]!;
  return name.startsWith('no-') && flags[name.slice(3)]?.allowNo ? name.slice(3) : name;
}

describe('the built-in help articles', () => {
  const dir = join(ROOT, 'src/backends/local/kb/builtin');
  const files = readdirSync(dir).filter((f) => f.endsWith('.md'));

  it('teach commands at all', () => {
    const all = files.flatMap((file) => commandLines(readFileSync(join(dir, file), 'utf8')));
    expect(all.length).toBeGreaterThan(10);
  });

  it.each(files)('%s names only commands and flags that exist', (file) => {
    const lines = commandLines(readFileSync(join(dir, file), 'utf8'));
    for (const line of lines) {
      const words = line.replace(/#.*$/, '').split(/\s+/).slice(1);
      let id: string | undefined;
      for (let n = Math.min(words.length, 3); n > 0 && !id; n--) id = ids.get(words.slice(0, n).join(' '));
      expect(id, `${file}: "${line}" names no command`).toBeDefined();
      const flags = manifest.commands[id!]!.flags;
      for (const word of words.filter((w) => w.startsWith('--'))) {
        expect(Object.keys(flags), `${file}: "${line}"`).toContain(flagName(flags, word));
      }
    }
  });
});

describe('the README', () => {
  it('shows only commands and flags that exist', () => {
    const lines = commandLines(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(lines.length).toBeGreaterThan(40);
    // Commands of the help and autocomplete plugins are not in our manifest.
    for (const line of lines.filter((l) => !/^support (autocomplete|help)\b/.test(l))) {
      const words = line.replace(/\s#\s.*$/, '').split(/\s+/).slice(1);
      let id: string | undefined;
      for (let n = Math.min(words.length, 3); n > 0 && !id; n--) id = ids.get(words.slice(0, n).join(' '));
      expect(id, `README: "${line}" names no command`).toBeDefined();
      const flags = manifest.commands[id!]!.flags;
      for (const word of words.filter((w) => /^--[a-z]/.test(w))) {
        expect(Object.keys(flags), `README: "${line}"`).toContain(flagName(flags, word));
      }
    }
  });
});
