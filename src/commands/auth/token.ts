import {BaseCommand} from '../../cli/base-command.js';
import {readToken} from '../../services/auth.js';

export type AuthTokenResult = {token: string};

export default class AuthToken extends BaseCommand<typeof AuthToken> {
  static override summary = 'Print the token of a profile (the only command that ever does).';
  static override examples = ['curl -H "Authorization: Bearer $(<%= config.bin %> <%= command.id %> --profile work)" https://support.example.com/v1/me'];

  async run(): Promise<AuthTokenResult> {
    const {name, profile} = await this.ctx.activeProfile();
    const token = await readToken(this.ctx.credentials, name, profile, this.ctx.env);
    this.print(token);
    return {token};
  }
}
