import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {describe, expect, it} from 'vitest';

import {HELP_TOPICS, renderTopicMarkdown} from '../../src/cli/help-topics.js';
import {ROOT, runBin} from '../helpers.js';

const README = join(ROOT, 'README.md');
const SECTION = /(<!-- help-topic:([a-z-]+) [^\n]*-->\n)([\s\S]*?)(<!-- \/help-topic -->)/g;

describe('help topics', () => {
  it('are what the README shows under the same headings (UPDATE_README=1 rewrites them)', () => {
    const readme = readFileSync(README, 'utf8');
    const rendered = readme.replace(SECTION, (_all, open: string, name: string, _body: string, close: string) => {
      const topic = HELP_TOPICS.find((t) => t.name === name);
      expect(topic, `README names an unknown help topic ${name}`).toBeDefined();
      return `${open}${renderTopicMarkdown(topic!)}\n${close}`;
    });
    const named = [...readme.matchAll(SECTION)].map((m) => m[2]);
    expect(named.sort()).toEqual(HELP_TOPICS.map((t) => t.name).sort());
    if (process.env.UPDATE_README) writeFileSync(README, rendered);
    else expect(readme, 'README sections differ from src/cli/help-topics.ts: run UPDATE_README=1 npx vitest run test/cli/help-topics.test.ts').toBe(rendered);
  });

  it.each(HELP_TOPICS.map((t) => t.name))('support help %s prints the topic', async (name) => {
    const topic = HELP_TOPICS.find((t) => t.name === name)!;
    const {stdout, exitCode} = await runBin(['help', name]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain(topic.title.toUpperCase());
    for (const [key] of topic.table?.rows ?? []) expect(stdout).toContain(key.replaceAll('`', '').split(',')[0]);
  });

  it('the root help starts with getting started and lists the topics, naming only real commands', async () => {
    const {stdout, exitCode} = await runBin(['--help']);
    expect(exitCode).toBe(0);
    const start = stdout.indexOf('GETTING STARTED');
    expect(start).toBeGreaterThan(0);
    expect(stdout.indexOf('GETTING STARTED')).toBeLessThan(stdout.indexOf('TOPICS\n'));
    for (const t of HELP_TOPICS) expect(stdout).toContain(`support help ${t.name}`);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>};
    const section = stdout.slice(start, stdout.indexOf('HELP TOPICS'));
    const named = [...section.matchAll(/^ {2}support ((?:[a-z]+ ?)+?)(?= {2}| [a-z"]|$)/gm)].map((m) => m[1]!.trim());
    expect(named.length).toBeGreaterThanOrEqual(4);
    for (const line of named) {
      const words = line.split(' ');
      const id = [3, 2, 1].map((n) => words.slice(0, n).join(':')).find((candidate) => candidate in manifest.commands);
      expect(id, `getting started names "${line}"`).toBeDefined();
    }
  });
});
