import {BaseCommand} from '../../cli/base-command.js';
import {logout} from '../../services/auth.js';

export type AuthLogoutResult = {profile: string; removed: boolean};

export default class AuthLogout extends BaseCommand<typeof AuthLogout> {
  static override summary = 'Remove the stored token of a profile.';
  static override examples = ['<%= config.bin %> <%= command.id %> --profile work'];

  async run(): Promise<AuthLogoutResult> {
    const name = await this.ctx.profileName();
    const result = await logout(this.ctx.credentials, name);
    this.note(result.removed ? `Logged out of ${name}; its token was removed.` : `No token was stored for ${name}.`);
    if (this.ctx.env.SUPPORT_TOKEN) this.warnUser('SUPPORT_TOKEN is still set in your environment.');
    return result;
  }
}
