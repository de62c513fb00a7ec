import {BaseCommand} from '../../cli/base-command.js';
import {renderAuthStatus} from '../../cli/render/auth.js';
import {AuthError, SupportError, UnavailableError} from '../../domain/errors.js';
import {authStatus, type AuthStatus} from '../../services/auth.js';
import {DEFAULT_PROFILE, IMPLICIT_DEFAULT} from '../../store/profiles.js';

export type AuthStatusResult = {profiles: AuthStatus[]};

/** The outcome after the table: the worst state decides the exit code, the table stays on stdout. */
class StatusProblem extends SupportError {
  readonly resultPrinted = true;
}

export default class AuthStatusCommand extends BaseCommand<typeof AuthStatusCommand> {
  static override summary = 'Check each profile’s token with its backend: who you are, your role and account.';
  static override description =
    'Asks the backend of every profile (or only the one given with --profile or SUPPORT_PROFILE) who the token belongs to. ' +
    'Exits 4 when a token is missing, revoked or refused, 7 when a backend cannot be reached; the table (or --json) is printed first.';

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile work --json'];

  async run(): Promise<AuthStatusResult> {
    const {ctx} = this;
    let targets;
    if (ctx.profileNamed) {
      targets = [await ctx.activeProfile()];
    } else {
      const {profiles} = await ctx.profiles.read();
      const all = {...profiles};
      all[DEFAULT_PROFILE] ??= IMPLICIT_DEFAULT;
      targets = Object.keys(all)
        .sort()
        .map((name) => ({name, profile: all[name]!}));
    }
    const statuses = await authStatus({
      credentials: ctx.credentials,
      profiles: targets,
      open: (name, profile) => ctx.openProfile(name, profile),
      identity: (profile) => ctx.identity(profile),
      env: ctx.env,
    });
    const result = {profiles: statuses};
    if (!this.jsonEnabled()) this.print(await renderAuthStatus(statuses, ctx.mode));
    const bad = statuses.filter((s) => s.state !== 'ok');
    if (bad.length) {
      // The result first, as on success; then the exit code and a line per problem on stderr.
      if (this.jsonEnabled()) this.logJson(result);
      const lines = bad.map((s) => `${s.profile}: ${s.problem ?? s.state}`);
      const first = bad[0]!;
      const hint = `Log in again: support auth login --profile ${first.profile}`;
      const message = lines.join('\n');
      if (bad.some((s) => s.state === 'invalid' || s.state === 'not-logged-in')) throw Object.assign(new AuthError(message, {hint}), {resultPrinted: true});
      if (bad.some((s) => s.state === 'unreachable')) throw Object.assign(new UnavailableError(message, {hint: 'Check the URL (support profile list) and your network, then try again.'}), {resultPrinted: true});
      throw new StatusProblem(message, {hint: 'Fix the profile with support profile remove and support profile add.'});
    }
    return result;
  }
}
