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
    '<%= config.bin %> <%= command.id %> --role customer --name bob --json | jq -r .token | support auth login --profile work --with-token',
  ];

  static override flags = {
    role: Flags.option({options: TOKEN_ROLES, description: 'What the token may do.', required: true})(),
    name: Flags.string({description: 'Name of the user the token acts as; unique on the server, and never given to another token.', required: true}),
    'data-dir': serverDataDirFlag,
    database: serverDatabaseFlag,
  };

  async run(): Promise<ServeTokenCreateResult> {
    const {flags} = this;
    const created = await createServerToken({dataDir: flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: flags.database}, flags.name, flags.role);
    this.print(created.token);
    this.note(`Token ${created.id} for ${created.name} (${created.role}). Store it now: it cannot be shown again.`);
    return {token: created.token};
  }
}
