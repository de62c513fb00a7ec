import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import ProfileAdd from '../../src/commands/profile/add.js';
import ProfileList, {type ProfileListResult} from '../../src/commands/profile/list.js';
import ProfileRemove from '../../src/commands/profile/remove.js';
import ProfileUse from '../../src/commands/profile/use.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketList, {type TicketListResult} from '../../src/commands/ticket/list.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], env: Record<string, string> = {}) =>
  runCommand<T>(cmd, argv, {env: {...box.env, ...env}});

describe('profiles', () => {
  it('has a default local profile with no configuration at all', async () => {
    const r = await run<ProfileListResult>(ProfileList, ['--json']);
    expect(parseJson<ProfileListResult>(r.stdout)).toEqual({
      profiles: [{name: 'default', backend: 'local', url: null, email: null, repo: null, options: {}, as: 'customer', current: true}],
    });
  });

  it('adds, lists, switches and removes profiles', async () => {
    expect((await run(ProfileAdd, ['desk', '--backend', 'local', '--as', 'agent'])).exitCode).toBe(0);
    const listed = parseJson<ProfileListResult>((await run(ProfileList, ['--json'])).stdout);
    expect(listed.profiles.map((p) => [p.name, p.as, p.current])).toEqual([
      ['default', 'customer', true],
      ['desk', 'agent', false],
    ]);
    const use = await run(ProfileUse, ['desk']);
    expect(use.exitCode).toBe(0);
    expect(use.stderr).toContain('Now using profile "desk"');
    const table = (await run(ProfileList, [])).stdout;
    expect(table).toContain('*\tdesk\tlocal\t\tagent');

    const removed = await run(ProfileRemove, ['desk']);
    expect(removed.exitCode).toBe(0);
    const after = parseJson<ProfileListResult>((await run(ProfileList, ['--json'])).stdout);
    expect(after.profiles).toEqual([{name: 'default', backend: 'local', url: null, email: null, repo: null, options: {}, as: 'customer', current: true}]);
  });

  it('selects the profile by --profile, then SUPPORT_PROFILE, then `profile use`', async () => {
    await run(ProfileAdd, ['a', '--backend', 'local', '--user', 'alice']);
    await run(ProfileAdd, ['b', '--backend', 'local', '--user', 'bob']);
    await run(ProfileUse, ['a']);
    const requester = async (argv: string[], env: Record<string, string> = {}) => {
      const r = await run(TicketCreate, ['--title', 't', '--body', 'b', '--json', ...argv], {...env, SUPPORT_USER: ''});
      return parseJson<{requester: string}>(r.stdout).requester;
    };
    expect(await requester([])).toBe('alice');
    expect(await requester([], {SUPPORT_PROFILE: 'b'})).toBe('bob');
    expect(await requester(['--profile', 'a'], {SUPPORT_PROFILE: 'b'})).toBe('alice');
  });

  it.each([
    [['x', '--backend', 'zendeskk'], 2, '"zendeskk" is not a known backend.'],
    [['bad name', '--backend', 'local'], 2, 'is not a valid profile name'],
    [['dup', '--backend', 'local', '--as', 'boss'], 2, 'Expected --as=boss to be one of: customer, agent'],
  ])('rejects %j', async (argv, code, message) => {
    const r = await run(ProfileAdd, argv);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it('refuses a second profile of the same name, and an unknown profile everywhere', async () => {
    await run(ProfileAdd, ['dup', '--backend', 'local']);
    const again = await run(ProfileAdd, ['dup', '--backend', 'local']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already exists');
    for (const [cmd, argv] of [[ProfileUse, ['ghost']], [ProfileRemove, ['ghost']], [TicketList, ['--profile', 'ghost']]] as const) {
      const r = await run(cmd, [...argv]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('There is no profile named "ghost".');
      expect(r.stderr).toContain('support profile list');
    }
    const env = await run(TicketList, [], {SUPPORT_PROFILE: 'ghost'});
    expect(env.exitCode).toBe(2);
  });

  it('says which settings file is not valid JSON, and leaves it untouched', async () => {
    mkdirSync(box.env.SUPPORT_CONFIG_DIR, {recursive: true});
    const file = join(box.env.SUPPORT_CONFIG_DIR, 'config.json');
    writeFileSync(file, '{"profiles": {"a": ');
    for (const [cmd, argv] of [[TicketList, []], [ProfileAdd, ['x', '--backend', 'local']], [ProfileList, []]] as const) {
      const r = await run(cmd, [...argv]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`The settings file ${file} is not valid JSON`);
      expect(r.stderr).toContain('Hint:');
    }
    expect(readFileSync(file, 'utf8')).toBe('{"profiles": {"a": ');
  });

  it('keeps the local store shared: two profiles on one data dir see the same tickets', async () => {
    await run(ProfileAdd, ['agent', '--backend', 'local', '--as', 'agent']);
    await run(TicketCreate, ['--title', 'shared', '--body', 'b']);
    const seen = parseJson<TicketListResult>((await run(TicketList, ['--profile', 'agent', '--json'])).stdout);
    expect(seen.tickets.map((t) => t.title)).toEqual(['shared']);
  });
});
