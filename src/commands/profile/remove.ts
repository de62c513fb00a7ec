import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {removeProfile, type ProfileSummary} from '../../services/profiles.js';

export type ProfileRemoveResult = ProfileSummary;

export default class ProfileRemove extends BaseCommand<typeof ProfileRemove> {
  static override aliases = ['profile rm'];
  static override summary = 'Remove a profile and its stored token.';
  static override examples = ['<%= config.bin %> <%= command.id %> work'];
  static override args = {name: Args.string({description: 'Profile name.', required: true})};

  async run(): Promise<ProfileRemoveResult> {
    const profile = await removeProfile(this.ctx.profiles, this.ctx.credentials, this.args.name);
    this.note(`Removed profile "${profile.name}".`);
    return profile;
  }
}
