import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {uninstallPlugin, type UninstallResult} from '../../cli/plugins.js';

export type PluginsUninstallResult = UninstallResult;

export default class PluginsUninstall extends BaseCommand<typeof PluginsUninstall> {
  static override aliases = ['plugins unlink', 'plugins remove'];
  static override summary = 'Remove an installed or linked plugin.';
  static override examples = ['<%= config.bin %> <%= command.id %> supportkit-backend-example'];

  static override args = {plugin: Args.string({description: 'Name of the plugin (or the folder of a linked one).', required: true})};

  async run(): Promise<PluginsUninstallResult> {
    const result = await uninstallPlugin(this.config, this.args.plugin, async () => (await this.ctx.profiles.read()).profiles, this.io.stderr);
    const orphans = result.orphanedProfiles;
    this.note(
      `Removed ${result.name}.` +
        (orphans.length ? ` The profile${orphans.length > 1 ? 's' : ''} ${orphans.join(', ')} used its backend${orphans.length > 1 ? 's' : ''} and cannot be used until a plugin adds ${orphans.length > 1 ? 'them' : 'it'} again.` : ''),
    );
    return result;
  }
}
