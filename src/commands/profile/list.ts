import {BaseCommand} from '../../cli/base-command.js';
import {pagerFlags} from '../../cli/flags.js';
import {renderProfileTable} from '../../cli/render/profiles.js';
import {listProfiles, type ProfileSummary} from '../../services/profiles.js';

export type ProfileListResult = {profiles: ProfileSummary[]};

export default class ProfileList extends BaseCommand<typeof ProfileList> {
  static override aliases = ['profile ls'];
  static override summary = 'List profiles; the current one is marked with *.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = {...pagerFlags};

  async run(): Promise<ProfileListResult> {
    const profiles = await listProfiles(this.ctx.profiles);
    await this.printPaged(await renderProfileTable(profiles, this.ctx.mode));
    return {profiles};
  }
}
