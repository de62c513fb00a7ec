import {Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {readStdin} from '../../cli/input.js';
import {login, type LoginResult} from '../../services/auth.js';

export type AuthLoginResult = LoginResult;

export default class AuthLogin extends BaseCommand<typeof AuthLogin> {
  static override summary = 'Store a token for a profile, after checking it with the backend.';
  static override description =
    'The token goes to the system keyring when there is one, otherwise to a file only you can read ' +
    '(you are told which). SUPPORT_TOKEN, when set, is used instead of any stored token.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --profile work',
    '<%= config.bin %> <%= command.id %> --profile work --with-token < token.txt',
  ];

  static override flags = {
    'with-token': Flags.boolean({description: 'Read the token from standard input.'}),
  };

  async run(): Promise<AuthLoginResult> {
    const {ctx, flags} = this;
    const {name, profile} = await ctx.activeProfile();
    let token: string;
    if (flags['with-token']) {
      token = (await readStdin(this.io.stdin, 64 * 1024)).split(/\r?\n/)[0] ?? '';
    } else {
      ctx.requireInteractive(['--with-token (the token on standard input)']);
      token = await ctx.prompter.password(`Token for ${name} (${profile.url ?? profile.backend})`);
    }
    if (this.ctx.env.SUPPORT_TOKEN) this.warnUser('SUPPORT_TOKEN is set, and it is used instead of the stored token until you unset it.');
    const result = await login({
      credentials: ctx.credentials,
      profileName: name,
      profile,
      token,
      verify: async (candidate) => {
        const backend = await ctx.openActive(candidate);
        try {
          return await backend.whoami();
        } finally {
          await backend.close();
        }
      },
    });
    this.note(`Logged in to ${name} as ${result.user}; token stored in the ${result.storedIn === 'keyring' ? 'system keyring' : 'credentials file'}.`);
    return result;
  }
}
