import {BaseCommand} from '../../cli/base-command.js';
import {authStatus, type AuthStatus} from '../../services/auth.js';

export type AuthStatusResult = AuthStatus;

const SOURCES = {env: 'SUPPORT_TOKEN', keyring: 'system keyring', file: 'credentials file (unencrypted)'};

export default class AuthStatusCommand extends BaseCommand<typeof AuthStatusCommand> {
  static override summary = 'Show whether the profile has a token, and where it comes from.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile work --json'];

  async run(): Promise<AuthStatusResult> {
    const {name, profile} = await this.ctx.activeProfile();
    const status = await authStatus(this.ctx.credentials, name, profile);
    const where = status.url ? `${status.backend} at ${status.url}` : status.backend;
    let line: string;
    if (!status.needsToken) line = `${name}: ${where}, no login needed.`;
    else if (status.loggedIn) line = `${name}: ${where}, token from the ${SOURCES[status.tokenSource!]}.`;
    else line = `${name}: ${where}, not logged in. Run: support auth login --profile ${name}`;
    this.print(line);
    return status;
  }
}
