import {Flags} from '@oclif/core';

import {BaseCommand} from '../cli/base-command.js';
import {readStdin} from '../cli/input.js';
import {normalizeUrl} from '../services/profiles.js';
import {kindNeeds, setUp, setupKinds, suggestedProfileName, type KindNeeds, type SetupResult} from '../services/setup.js';

export type InitResult = SetupResult;

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Set up support: choose where tickets go, log in, and check that it works.';
  static override description =
    'Asks for what it needs on a terminal: the backend (this machine, a support server, a helpdesk), its URL and a token. ' +
    'It checks them (who the token belongs to, then a read of one ticket), and only then saves the profile, stores the token ' +
    'and makes the profile current. In scripts, give everything as flags (the token on standard input with --with-token) ' +
    'and add --no-input: a missing value is then a usage error naming its flag.';

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --backend local --no-input',
    '<%= config.bin %> <%= command.id %> --profile team --backend rest --url https://support.example.com --with-token < token.txt',
  ];

  static override flags = {
    backend: Flags.string({description: `Where tickets go: ${setupKinds().map((k) => k.kind).join(', ')}.`}),
    url: Flags.string({description: 'Base URL of a remote backend.'}),
    email: Flags.string({description: 'Login email that goes with an API token, for backends that take one.'}),
    option: Flags.string({description: 'A backend setting as key=value (repeatable), for backends that declare them.', multiple: true}),
    'with-token': Flags.boolean({description: 'Read the token from standard input.'}),
    force: Flags.boolean({description: 'Replace a profile of the same name.'}),
  };

  async run(): Promise<InitResult> {
    const {ctx, flags} = this;
    const {prompter} = ctx;
    const missing = (names: string[]) => {
      if (names.length) ctx.requireInteractive(names);
    };

    missing(flags.backend ? [] : ['--backend']);
    const backend =
      flags.backend ??
      (await prompter.select(
        'Where should tickets go?',
        setupKinds().map((k) => ({value: k.kind, name: k.kind, description: k.description})),
      ));
    const needs = kindNeeds(backend);

    const envToken = this.ctx.env.SUPPORT_TOKEN?.trim();
    const required = [
      needs.fields.url === 'required' && !flags.url ? '--url' : undefined,
      needs.fields.email === 'required' && !flags.email ? '--email' : undefined,
      needs.needsToken && !flags['with-token'] && !envToken ? '--with-token (the token on standard input)' : undefined,
    ].filter((m): m is string => Boolean(m));
    missing(required);

    const existing = Object.keys((await ctx.profiles.read()).profiles);
    const name =
      flags.profile ??
      (ctx.interactive
        ? await prompter.input('Profile name', {default: suggestedProfileName(backend, existing)})
        : suggestedProfileName(backend, existing));

    const url = flags.url ?? (needs.fields.url ? await this.askUrl(needs) : undefined);
    const email =
      flags.email ??
      (needs.fields.email && ctx.interactive
        ? (await prompter.input(needs.fields.email === 'required' ? 'Email' : 'Email (Enter for none)', {required: needs.fields.email === 'required'})) || undefined
        : undefined);

    let token: string | undefined;
    if (needs.needsToken) {
      if (flags['with-token']) token = (await readStdin(this.io.stdin, 64 * 1024)).split(/\r?\n/)[0] ?? '';
      else if (envToken) token = envToken;
      else token = await prompter.password(`Token${needs.tokenHelp ? ` (${needs.tokenHelp})` : ''}`);
    }
    if (envToken && !flags['with-token'] && needs.needsToken) this.warnUser('Using SUPPORT_TOKEN; it is checked but not stored.');

    let replace = flags.force;
    if (!replace && existing.includes(name) && ctx.interactive) {
      replace = await prompter.confirm(`Replace the existing profile "${name}"?`, {default: false});
    }

    if (ctx.interactive) this.note(`Checking ${url ?? backend}…`);
    const result = await setUp(
      {profiles: ctx.profiles, credentials: ctx.credentials, open: (n, profile, t) => ctx.openProfile(n, profile, t)},
      {name, backend, url, email, options: flags.option, token, storeToken: !(envToken && !flags['with-token']), replace: Boolean(replace)},
    );
    this.note(describe(result, this.config.bin));
    return result;
  }

  private async askUrl(needs: KindNeeds): Promise<string> {
    return this.ctx.prompter.input(`URL${needs.urlExample ? ` (like ${needs.urlExample})` : ''}`, {
      validate: (value) => {
        try {
          normalizeUrl(value);
          return true;
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
  }
}

function describe(r: SetupResult, bin: string): string {
  const where = r.url ? `${r.backend} at ${r.url}` : `the ${r.backend} backend`;
  const stored = r.tokenStoredIn === 'keyring' ? '; token stored in the system keyring' : r.tokenStoredIn === 'file' ? '; token stored in the credentials file' : '';
  return [
    `Profile "${r.profile}" is set up: ${where}, as ${r.user} (${r.role})${stored}. It is now the current profile.`,
    '',
    'Try next:',
    `  ${bin} ticket create --title "Something broke" --body "What happened"`,
    `  ${bin} ticket list`,
    `  ${bin} kb search proxy setup`,
    `  ${bin} doctor`,
  ].join('\n');
}
