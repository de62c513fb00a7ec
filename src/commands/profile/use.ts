import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {useProfile, type ProfileSummary} from '../../services/profiles.js';

export type ProfileUseResult = ProfileSummary;

export default class ProfileUse extends BaseCommand<typeof ProfileUse> {
  static override summary = 'Make a profile the current one.';
  static override examples = ['<%= config.bin %> <%= command.id %> work'];
  static override args = {name: Args.string({description: 'Profile name.', required: true})};

  async run(): Promise<ProfileUseResult> {
    const profile = await useProfile(this.ctx.profiles, this.args.name);
    this.note(`Now using profile "${profile.name}" (${profile.backend}).`);
    return profile;
  }
}
