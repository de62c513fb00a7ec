import {Flags} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import {TOKEN_ROLES} from '../../../server/store/store.js';
import {createServerToken, defaultServerDir} from '../../../services/server.js';

/** Exactly `{"token": "..."}`: scripts pipe it to `jq -r .token`. The id is on stderr and in `token list`. */
export type ServeTokenCreateResult = {token: string};

export default class ServeTokenCreate extends BaseCommand<typeof ServeTokenCreate> {
  static override summary = 'Create a token for the server; it is printed once and only its hash is kept.';
  static override description =
    'customer: sees and changes only the tickets they requested. agent: sees all tickets. admin: an agent who also manages tokens and SLA policies.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --role agent --name alice',
    '<%= config.bin %> <%= command.id %> --role agent --name reports --read-only --expires-in 30d',
    '<%= config.bin %> <%= command.id %> --role customer --name bob --json | jq -r .token | support auth login --profile work --with-token',
  ];

  static override flags = {
    role: Flags.option({options: TOKEN_ROLES, description: 'What the token may do.', required: true})(),
    name: Flags.string({description: 'Name of the user the token acts as; unique on the server, and never given to another token.', required: true}),
    'expires-in': Flags.string({description: 'Refuse the token after this long: 90m, 12h, 30d, 2w (default: never).', helpValue: 'DURATION'}),
    'read-only': Flags.boolean({description: 'The token may read but change nothing (every write is refused with 403 insufficient-scope).'}),
    'data-dir': serverDataDirFlag,
    database: serverDatabaseFlag,
  };

  async run(): Promise<ServeTokenCreateResult> {
    const {flags} = this;
    const created = await createServerToken({dataDir: flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: flags.database}, flags.name, flags.role, {
      expiresIn: flags['expires-in'],
      readOnly: flags['read-only'],
    });
    this.print(created.token);
    const limits = [created.scopes.includes('write') ? '' : 'read-only', created.expiresAt ? `expires ${created.expiresAt}` : ''].filter(Boolean).join(', ');
    this.note(`Token ${created.id} for ${created.name} (${created.role}${limits ? `, ${limits}` : ''}). Store it now: it cannot be shown again.`);
    return {token: created.token};
  }
}
