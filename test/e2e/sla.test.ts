import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const support = (argv: string[], env: Record<string, string> = {}) => runBin(argv, {env: {...box.env, ...env}});

describe('sla through the built support binary', () => {
  it('imports policies, then reports status as JSON and exits 8 on a breach', async () => {
    const file = join(box.dir, 'team.yaml');
    writeFileSync(file, 'policies:\n  - name: all\n    match: {}\n    calendar: 24x7\n    targets: {firstResponse: 30m, resolution: 4h}\n');
    const imported = await support(['sla', 'policy', 'import', file]);
    expect(imported.exitCode, imported.stderr).toBe(0);
    expect(imported.stdout.trim()).toBe('2');

    expect((await support(['profile', 'add', 'desk', '--backend', 'local', '--as', 'agent', '--user', 'alice'])).exitCode).toBe(0);
    const created = parseJson((await support(['ticket', 'create', '--title', 'E2E SLA', '--body', 'b', '--json'])).stdout);
    expect((await support(['ticket', 'comment', created.id, '--body', 'On it', '--profile', 'desk'])).exitCode).toBe(0);

    const now = await support(['sla', 'status', '--json']);
    expect(now.exitCode, now.stderr).toBe(0);
    expect(now.stderr).toBe('');
    const report = parseJson(now.stdout);
    expect(report.tickets).toMatchObject([
      {ticketId: created.id, title: 'E2E SLA', policy: 'all', metrics: [{metric: 'firstResponse', status: 'achieved'}, {metric: 'resolution', status: 'active'}]},
    ]);

    const at = new Date(Date.parse(created.createdAt) + 5 * 3_600_000).toISOString();
    const late = await support(['sla', 'status', '--at', at, '--fail-on-breach', '--json']);
    expect(late.exitCode).toBe(8);
    expect(parseJson(late.stdout)).toMatchObject({at, tickets: [{metrics: [{status: 'achieved'}, {metric: 'resolution', status: 'breached', breached: true}]}]});
    expect(late.stderr).toContain('SLA breached');

    const bad = await support(['sla', 'policy', 'import', join(box.dir, 'missing.yaml')]);
    expect(bad.exitCode).toBe(2);
  });
});
