import type {ProfileSummary} from '../../services/profiles.js';
import {renderTable, type OutputMode} from '../output.js';
import type {Shown} from '../shown.js';

export function renderProfileTable(profiles: readonly ProfileSummary[], mode: OutputMode): Promise<Shown> {
  return renderTable(
    profiles,
    [
      {header: '', get: (p) => (p.current ? '*' : ''), style: (s, _p, c) => c.green(s)},
      {header: 'NAME', get: (p) => p.name, style: (s, p, c) => (p.current ? c.bold(s) : s)},
      {header: 'BACKEND', get: (p) => p.backend},
      {header: 'URL', get: (p) => [p.url, p.repo].filter(Boolean).join(' ')},
      {header: 'AS', get: (p) => p.as},
    ],
    mode,
  );
}
