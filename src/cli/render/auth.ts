import type {AuthStatus} from '../../services/auth.js';
import {renderTable, timeCell, type OutputMode} from '../output.js';
import type {Shown} from '../shown.js';

const SOURCES = {env: 'SUPPORT_TOKEN', keyring: 'keyring', file: 'file (unencrypted)'};

const STATES: Record<AuthStatus['state'], string> = {
  ok: 'ok',
  'not-logged-in': 'not logged in',
  invalid: 'token refused',
  unreachable: 'unreachable',
  error: 'error',
};

/** One row per profile: who the backend says you are, or what is wrong. */
export function renderAuthStatus(statuses: readonly AuthStatus[], mode: OutputMode): Promise<Shown> {
  return renderTable(
    statuses,
    [
      {header: 'PROFILE', get: (s) => s.profile, style: (t, _s, c) => c.bold(t)},
      {header: 'BACKEND', get: (s) => s.backend},
      {header: 'URL', get: (s) => s.url ?? ''},
      {header: 'STATUS', get: (s) => (s.needsToken || s.state !== 'ok' ? STATES[s.state] : 'no login needed'), style: (t, s, c) => (s.state === 'ok' ? c.green(t) : c.red(t))},
      {header: 'USER', get: (s) => s.user ?? ''},
      {header: 'ROLE', get: (s) => `${s.backendRole ?? s.role ?? ''}${s.readOnly ? ' (read-only)' : ''}`},
      {header: 'ACCOUNT', get: (s) => s.account ?? ''},
      {header: 'EXPIRES', get: (s) => (s.expiresAt ? timeCell(s.expiresAt, mode) : s.state === 'ok' && s.needsToken && s.readOnly !== null ? 'never' : ''), truncate: false},
      {header: 'TOKEN', get: (s) => (s.tokenSource === 'env' || s.tokenSource === 'external' ? (s.tokenOrigin ?? s.tokenSource) : s.tokenSource ? SOURCES[s.tokenSource] : '')},
    ],
    mode,
  );
}
