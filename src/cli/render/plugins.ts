import type {PluginSummary} from '../plugins.js';
import {renderTable, type OutputMode} from '../output.js';
import type {Shown} from '../shown.js';

export function renderPluginTable(plugins: readonly PluginSummary[], mode: OutputMode): Promise<Shown> {
  return renderTable(
    plugins,
    [
      {header: 'NAME', get: (p) => p.name},
      {header: 'VERSION', get: (p) => p.version},
      {header: 'TYPE', get: (p) => (p.type === 'link' ? `link ${p.root}` : 'npm')},
      {header: 'BACKENDS', get: (p) => p.backends.map((b) => b.kind).join(', '), style: (s, p, c) => (p.problem ? c.red(s || '(none)') : s)},
      {header: 'PROBLEM', get: (p) => p.problem ?? ''},
    ],
    mode,
  );
}
