import {BaseCommand} from '../../cli/base-command.js';
import {brokenPlugins} from '../../cli/broken-plugins.js';
import {installedPlugins, summarizePlugin, type PluginSummary} from '../../cli/plugins.js';
import {renderPluginTable} from '../../cli/render/plugins.js';

export type PluginsListResult = {plugins: PluginSummary[]};

export default class PluginsList extends BaseCommand<typeof PluginsList> {
  static override aliases = ['plugins ls'];
  static override summary = 'List installed and linked plugins, and the backend kinds each adds.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<PluginsListResult> {
    const installed = installedPlugins(this.config);
    const broken = (await brokenPlugins(this.config)).map((b) => ({name: b.name, version: '', type: b.type, root: b.root, backends: [], problem: b.message}));
    const plugins = [...installed.map((p) => summarizePlugin(p, installed)), ...broken].sort((a, b) => a.name.localeCompare(b.name));
    if (plugins.length === 0) this.note('No plugins installed. Add one with `support plugins install PACKAGE`.');
    else this.print(await renderPluginTable(plugins, this.ctx.mode));
    return {plugins};
  }
}
