import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {Backend} from '../../src/backends/backend.js';
import {createLocalBackend} from '../../src/backends/local/index.js';
import {UnsupportedError} from '../../src/domain/errors.js';
import {DEFAULT_SLA_POLICY_SET, parseSlaPolicyFile} from '../../src/domain/sla/index.js';
import {slaStatus} from '../../src/services/sla.js';
import {sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const open = (name: string, role: 'agent' | 'customer') =>
  createLocalBackend({profile: name, dataDir: box.env.SUPPORT_DATA_DIR, cacheDir: box.env.SUPPORT_CACHE_DIR, identity: {name, role}});

describe('SLA over the local store', () => {
  it('starts with the built-in default as version 1, in force from the epoch', async () => {
    const backend = await open('carol', 'customer');
    const versions = await backend.sla!.policyVersions();
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({version: 1, effectiveFrom: '1970-01-01T00:00:00.000Z', source: '(built-in default)'});
    expect(versions[0]!.policySet).toEqual(DEFAULT_SLA_POLICY_SET);
    expect((await backend.sla!.policies()).version).toBe(1);
    await backend.close();
  });

  it('gives the same status when the service evaluates over tickets.list and tickets.events', async () => {
    const carol = await open('carol', 'customer');
    const alice = await open('alice', 'agent');
    await carol.sla!.importPolicies(
      parseSlaPolicyFile({
        calendars: [{name: 'berlin', timezone: 'Europe/Berlin', hours: {mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-15:00']}, holidays: []}],
        policies: [
          {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '8h'}},
          {name: 'standard', match: {}, calendar: 'berlin', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending']},
        ],
      }),
    );
    for (let i = 0; i < 25; i++) {
      const t = await carol.tickets.create({title: `t${i}`, body: 'b', priority: i % 3 === 0 ? 'urgent' : 'normal'});
      if (i % 2 === 0) await alice.tickets.comment(t.id, {body: 'hi', public: i % 4 === 0});
      if (i % 5 === 0) await alice.tickets.update(t.id, {status: 'pending'});
      if (i % 7 === 0) await alice.tickets.update(t.id, {status: 'solved'});
      if (i % 3 === 1) await carol.tickets.comment(t.id, {body: 'more'});
    }
    const at = Date.now() + 3 * 3_600_000;
    const generic: Backend = {...carol, sla: {...carol.sla!, status: undefined}};
    generic.sla!.policies = carol.sla!.policies.bind(carol.sla);
    generic.sla!.policyVersions = carol.sla!.policyVersions.bind(carol.sla);
    const native = await slaStatus(carol, {at});
    const evaluated = await slaStatus(generic, {at});
    expect(native.tickets.length).toBe(25 - 4); // solved ones are not open
    expect(evaluated).toEqual(native);
    expect(await slaStatus(generic, {at, tickets: ['3', '1']})).toEqual(await slaStatus(carol, {at, tickets: ['3', '1']}));
    await carol.close();
    await alice.close();
  });

  it('names the backend and the capability when there is no SLA', async () => {
    const backend = await open('carol', 'customer');
    const without: Backend = {...backend, capabilities: new Set(['tickets']), sla: undefined};
    await expect(slaStatus(without)).rejects.toThrow(UnsupportedError);
    await expect(slaStatus(without)).rejects.toThrow('The local backend cannot report SLA clocks.');
    await backend.close();
  });
});
