import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {afterAll, describe, expect, it} from 'vitest';

import {UsageError} from '../../src/domain/errors.js';
import {SlaPolicyFileError} from '../../src/domain/sla/index.js';
import {loadSlaPolicyFile} from '../../src/services/sla-policy-file.js';

const dir = mkdtempSync(join(tmpdir(), 'supportkit-sla-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loading an SLA policy file', () => {
  it('reads the YAML of issue 6, holidays and durations unquoted', async () => {
    const path = file(
      'issue.yaml',
      `calendars:
  - name: berlin
    timezone: Europe/Berlin
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],
            thu: ["09:00-17:00"], fri: ["09:00-15:00"]}
    holidays: [2026-12-24, 2026-12-25, 2026-12-26]
policies:
  - name: urgent
    match: {priority: [urgent]}
    calendar: 24x7
    targets: {firstResponse: 1h, resolution: 8h}
  - name: standard
    match: {}
    calendar: berlin
    targets: {firstResponse: 8h, nextResponse: 16h, resolution: 40h}
    pauseOn: [pending, on_hold]
`,
    );
    const set = await loadSlaPolicyFile(path);
    expect(set.calendars[0]!.holidays).toEqual(['2026-12-24', '2026-12-25', '2026-12-26']);
    expect(set.policies.map((p) => [p.name, p.targets])).toEqual([
      ['urgent', {firstResponse: 3600, resolution: 28_800}],
      ['standard', {firstResponse: 28_800, nextResponse: 57_600, resolution: 144_000}],
    ]);
  });

  it('reports every problem with its path, as a usage error', async () => {
    const path = file('bad.yaml', 'policies:\n  - name: p\n    calendar: nope\n    targets: {firstResponse: 0m}\n');
    const error = await loadSlaPolicyFile(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlaPolicyFileError);
    expect((error as SlaPolicyFileError).problems.map((p) => p.path)).toEqual(['policies[0].calendar', 'policies[0].targets.firstResponse']);
  });

  it('says where the YAML is broken, and when the file is missing', async () => {
    const broken = await loadSlaPolicyFile(file('broken.yaml', 'policies: [\n')).catch((caught: unknown) => caught);
    expect(broken).toBeInstanceOf(UsageError);
    expect((broken as Error).message).toMatch(/not valid YAML \(line \d+, column \d+\)/);
    const missing = await loadSlaPolicyFile(join(dir, 'none.yaml')).catch((caught: unknown) => caught);
    expect((missing as Error).message).toMatch(/does not exist/);
  });
});
