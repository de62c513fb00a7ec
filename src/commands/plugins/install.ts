import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {installPlugin, pluginAddedNote, type PluginSummary} from '../../cli/plugins.js';

export type PluginsInstallResult = PluginSummary;

export default class PluginsInstall extends BaseCommand<typeof PluginsInstall> {
  static override summary = 'Install a plugin from npm: a backend for another helpdesk, or more commands.';
  static override description =
    'npm installs the package into the data directory of support (SUPPORT_DATA_DIR); a tag or version may follow the name ' +
    '(NAME@1.2.0). A plugin whose backend declaration is not valid, or that declares a backend kind that exists already, ' +
    'is removed again. SUPPORT_NPM_REGISTRY names another registry; SUPPORT_NPM_LOG_LEVEL sets how much npm says.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> supportkit-backend-example',
    '<%= config.bin %> <%= command.id %> @acme/supportkit-backend@1.2.0',
  ];

  static override args = {plugin: Args.string({description: 'npm package to install, with an optional @tag or @version.', required: true})};
  static override flags = {
    force: Flags.boolean({description: 'Make npm fetch the package again even if a copy is cached.'}),
  };

  async run(): Promise<PluginsInstallResult> {
    const plugin = await installPlugin(this.config, this.args.plugin, {force: this.flags.force, talk: this.io.stderr});
    this.note(pluginAddedNote(plugin, 'Installed'));
    return plugin;
  }
}
