import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import AuthLogin from '../../src/commands/auth/login.js';
import AuthLogout from '../../src/commands/auth/logout.js';
import AuthStatusCommand from '../../src/commands/auth/status.js';
import AuthToken from '../../src/commands/auth/token.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = (cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand(cmd, argv, {...options, env: {...box.env, ...options.env}});

describe('auth on the local backend', () => {
  it('needs no login', async () => {
    const status = await run(AuthStatusCommand, ['--json']);
    expect(status.exitCode).toBe(0);
    expect(parseJson(status.stdout)).toEqual({
      profiles: [
        {profile: 'default', backend: 'local', url: null, email: null, needsToken: false, loggedIn: true, tokenSource: null, tokenOrigin: null, state: 'ok', user: 'tester', role: 'customer', backendRole: null, account: null, expiresAt: null, readOnly: null, problem: null},
      ],
    });
    const login = await run(AuthLogin, ['--with-token'], {stdin: 'abc\n'});
    expect(login.exitCode).toBe(2);
    expect(login.stderr).toContain('needs no login');
    const token = await run(AuthToken, []);
    expect(token.exitCode).toBe(2);
    expect(token.stdout).toBe('');
  });

  it('asks for --with-token when it cannot prompt', async () => {
    const r = await run(AuthLogin, []);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Missing --with-token');
  });

  it('logs out of a profile with nothing stored without failing', async () => {
    const r = await run(AuthLogout, []);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('No token was stored for default.');
  });
});
