import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {linkPlugin, pluginAddedNote, type PluginSummary} from '../../cli/plugins.js';

export type PluginsLinkResult = PluginSummary;

export default class PluginsLink extends BaseCommand<typeof PluginsLink> {
  static override summary = 'Link a plugin from a folder, for developing it: changes to its build take effect at once.';
  static override description =
    'The folder is used where it is, so a rebuild of the plugin needs no new link. With --install (the default), npm ' +
    'installs the plugin’s dependencies in that folder first when it has a package-lock.json.';

  static override examples = ['<%= config.bin %> <%= command.id %> ./my-backend', '<%= config.bin %> <%= command.id %> ./my-backend --no-install'];

  static override args = {path: Args.string({description: 'Folder of the plugin (where its package.json is).', default: '.'})};
  static override flags = {
    install: Flags.boolean({description: 'Install the plugin’s dependencies first.', default: true, allowNo: true}),
  };

  async run(): Promise<PluginsLinkResult> {
    const plugin = await linkPlugin(this.config, this.args.path, {install: this.flags.install, talk: this.io.stderr});
    this.note(pluginAddedNote(plugin, 'Linked'));
    return plugin;
  }
}
