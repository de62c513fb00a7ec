import {spawnSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {describe, expect, it} from 'vitest';

import {ROOT} from '../helpers.js';

/**
 * Commands, flags and arguments are a public interface that scripts depend on. This test
 * makes any change to them a visible diff of test/fixtures/command-surface.json; after an
 * intended change, refresh it with UPDATE_SURFACE=1 npx vitest run test/cli/surface.test.ts.
 */
interface ManifestFlag {
  name: string;
  type: string;
  char?: string;
  options?: string[];
  multiple?: boolean;
  required?: boolean;
  allowNo?: boolean;
}

interface ManifestCommand {
  aliases: string[];
  args: Record<string, {name: string; required?: boolean}>;
  flags: Record<string, ManifestFlag>;
  enableJsonFlag?: boolean;
}

function surface(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>};
  const out: Record<string, unknown> = {};
  for (const id of Object.keys(manifest.commands).sort()) {
    const cmd = manifest.commands[id]!;
    out[id] = {
      aliases: [...cmd.aliases].sort(),
      args: Object.values(cmd.args).map((a) => `${a.name}${a.required ? '' : '?'}`),
      flags: Object.fromEntries(
        Object.values(cmd.flags)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((f) => [
            f.name,
            [f.type, f.char && `-${f.char}`, f.options && `one of ${f.options.join('|')}`, f.multiple && 'repeatable', f.required && 'required']
              .filter(Boolean)
              .join(', '),
          ]),
      ),
    };
  }
  return out;
}

describe('the command surface', () => {
  it('matches the recorded commands, flags and arguments', () => {
    const file = join(ROOT, 'test/fixtures/command-surface.json');
    const current = surface();
    if (process.env.UPDATE_SURFACE) writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
    expect(current).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });

  it('knows the fields of every result that --json FIELDS chooses from (src/cli/json-fields.ts is current)', () => {
    const check = spawnSync(process.execPath, ['scripts/json-fields.js', '--check'], {cwd: ROOT, encoding: 'utf8'});
    expect(check.status, check.stderr).toBe(0);
  });

  it('gives every data command --json and the global flags', () => {
    // `ticket export` streams JSONL or CSV as its data; --format chooses, so --json would say nothing more.
    const streams = new Set(['ticket:export']);
    for (const [id, cmd] of Object.entries(surface()) as [string, {flags: Record<string, string>}][]) {
      if (id.startsWith('autocomplete') || id === 'help') continue;
      const expected = ['profile', 'no-input', 'no-color', 'debug', ...(streams.has(id) ? [] : ['json', 'jq'])];
      expect(Object.keys(cmd.flags), id).toEqual(expect.arrayContaining(expected));
    }
  });
});
