import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {Backend} from '../../../src/backends/backend.js';
import {NotFoundError} from '../../../src/domain/errors.js';
import {parseSlaPolicyFile} from '../../../src/domain/sla/policy-file.js';
import {importSlaPolicies, listSlaPolicies, slaStatus, ticketSla, viewSlaPolicy} from '../../../src/services/sla.js';
import {commentOnTicket, createTicket, updateTicket} from '../../../src/services/tickets.js';

export interface SlaConformanceTarget {
  /** A backend acting as the agent "alice". */
  backend: Backend;
  /** The same backend with the right to import policies (an admin on a server). */
  admin: Backend;
  /** A directory for policy files. */
  scratch: string;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Round the clock, so that due times do not depend on when the test runs. */
const SET = parseSlaPolicyFile({
  calendars: [{name: 'berlin', timezone: 'Europe/Berlin', hours: {mon: ['09:00-17:00'], fri: ['09:00-15:00']}, holidays: ['2026-12-24']}],
  policies: [
    {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '24h'}},
    {name: 'office', match: {tags: ['office']}, calendar: 'berlin', targets: {firstResponse: '4h'}},
    {name: 'standard', match: {}, calendar: '24x7', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending']},
  ],
});

/** What every backend with SLA must do the same way, as the CLI's services use it. */
export function describeSlaConformance(name: string, setup: () => Promise<SlaConformanceTarget>): void {
  describe(`SLA conformance: ${name}`, () => {
    let target: SlaConformanceTarget;
    let backend: Backend;

    beforeAll(async () => {
      target = await setup();
      backend = target.backend;
      await target.admin.sla!.importPolicies(SET, {source: 'conformance.yaml'});
    });
    afterAll(async () => {
      await target?.close();
    });

    it('has SLA and says so', () => {
      expect(backend.capabilities.has('sla')).toBe(true);
      expect(backend.sla).toBeDefined();
    });

    it('keeps every version, the imported one in force, policies round-tripped unchanged', async () => {
      const versions = await backend.sla!.policyVersions();
      expect(versions.map((v) => [v.version, v.source])).toEqual([
        [1, '(built-in default)'],
        [2, 'conformance.yaml'],
      ]);
      const current = await backend.sla!.policies();
      expect(current.version).toBe(2);
      expect(current.policySet).toEqual(SET);
      const list = await listSlaPolicies(backend);
      expect(list.policies.map((p) => p.name)).toEqual(['urgent', 'office', 'standard']);
      expect((await viewSlaPolicy(backend, 'office')).calendar).toEqual({
        name: 'berlin',
        timezone: 'Europe/Berlin',
        hours: {mon: ['09:00-17:00'], fri: ['09:00-15:00']},
        holidays: ['2026-12-24'],
      });
    });

    it('reports the clocks of named tickets as of an instant, in the order given, once each', async () => {
      const urgent = await createTicket(backend, {title: 'Down', body: 'x', priority: 'urgent'});
      const normal = await createTicket(backend, {title: 'Question', body: 'x'});
      const created = Date.parse(urgent.createdAt);
      const report = await slaStatus(backend, {tickets: [normal.id, urgent.id, normal.id], at: created + 2 * HOUR});
      expect(report.at).toBe(iso(created + 2 * HOUR));
      expect(report.tickets.map((t) => [t.ticketId, t.title, t.policy])).toEqual([
        [normal.id, 'Question', 'standard'],
        [urgent.id, 'Down', 'urgent'],
      ]);
      expect(report.tickets[1]!.metrics).toEqual([
        {metric: 'firstResponse', status: 'breached', startedAt: urgent.createdAt, dueAt: iso(created + HOUR), achievedAt: null, remainingSeconds: -3600, elapsedSeconds: 7200, paused: false, breached: true},
        {metric: 'resolution', status: 'active', startedAt: urgent.createdAt, dueAt: iso(created + 24 * HOUR), achievedAt: null, remainingSeconds: 79_200, elapsedSeconds: 7200, paused: false, breached: false},
      ]);
      const before = await slaStatus(backend, {tickets: [urgent.id], at: created - HOUR});
      expect(before.tickets).toEqual([{ticketId: urgent.id, title: 'Down', policy: null, metrics: []}]);
      await expect(slaStatus(backend, {tickets: [urgent.id, '999999']})).rejects.toBeInstanceOf(NotFoundError);
      await expect(slaStatus(backend, {tickets: ['999999']})).rejects.toBeInstanceOf(NotFoundError);
    });

    it('follows the history: a public agent reply achieves, pending pauses, solved leaves the open list', async () => {
      const t = await createTicket(backend, {title: 'History', body: 'x'});
      await commentOnTicket(backend, t.id, {body: 'Internal.', internal: true});
      expect((await ticketSla(backend, t.id))!.metrics.find((m) => m.metric === 'firstResponse')).toMatchObject({status: 'active'});
      await commentOnTicket(backend, t.id, {body: 'On it.'});
      await updateTicket(backend, t.id, {status: 'pending'});
      const sla = (await ticketSla(backend, t.id))!;
      expect(sla.metrics.map((m) => [m.metric, m.status, m.paused])).toEqual([
        ['firstResponse', 'achieved', false],
        ['resolution', 'paused', true],
      ]);
      expect((await slaStatus(backend)).tickets.map((x) => x.ticketId)).toContain(t.id);
      await updateTicket(backend, t.id, {status: 'solved'});
      expect((await slaStatus(backend)).tickets.map((x) => x.ticketId)).not.toContain(t.id);
    });

    it('measures a ticket by the version in force at its creation', async () => {
      const before = await createTicket(backend, {title: 'Old rules', body: 'x', priority: 'urgent'});
      await sleep(5);
      const stricter = parseSlaPolicyFile({policies: [{name: 'urgent', match: {priority: ['urgent']}, targets: {firstResponse: '30m'}}]});
      const version = await target.admin.sla!.importPolicies(stricter, {source: 'stricter.yaml'});
      expect(version.version).toBe(3);
      await sleep(5);
      const after = await createTicket(backend, {title: 'New rules', body: 'x', priority: 'urgent'});
      const report = await slaStatus(backend, {tickets: [before.id, after.id]});
      expect(report.tickets.map((t) => t.metrics.find((m) => m.metric === 'firstResponse')!.dueAt)).toEqual([
        iso(Date.parse(before.createdAt) + HOUR),
        iso(Date.parse(after.createdAt) + 30 * 60_000),
      ]);
      // Put the round-the-clock set back for the tests that follow.
      await target.admin.sla!.importPolicies(SET, {source: 'conformance.yaml'});
    });

    it('lists every open ticket created by the instant, in id order', async () => {
      const a = await createTicket(backend, {title: 'A', body: 'x'});
      const b = await createTicket(backend, {title: 'B', body: 'x', tags: ['office']});
      const all = await slaStatus(backend);
      const ids = all.tickets.map((t) => t.ticketId);
      expect(ids).toEqual([...ids].sort((x, y) => Number(x) - Number(y)));
      expect(all.tickets.find((t) => t.ticketId === b.id)?.policy).toBe('office');
      const earlier = await slaStatus(backend, {at: Date.parse(a.createdAt) - 1});
      expect(earlier.tickets.map((t) => t.ticketId)).not.toContain(a.id);
    });

    it('imports a policy file through the service and reports it', async () => {
      const file = join(target.scratch, 'team.yaml');
      writeFileSync(file, 'policies:\n  - name: everyone\n    targets: {firstResponse: 2h}\n');
      const report = await importSlaPolicies(target.admin, file);
      expect(report).toMatchObject({source: 'team.yaml', policies: ['everyone'], calendars: []});
      expect((await listSlaPolicies(backend)).version).toBe(report.version);
      await target.admin.sla!.importPolicies(SET, {source: 'conformance.yaml'});
    });
  });
}
