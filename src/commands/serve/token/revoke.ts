import {Args} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import type {TokenInfo} from '../../../server/store/store.js';
import {defaultServerDir, revokeServerToken} from '../../../services/server.js';

export type ServeTokenRevokeResult = TokenInfo;

export default class ServeTokenRevoke extends BaseCommand<typeof ServeTokenRevoke> {
  static override summary = 'Revoke a token; a running server refuses it from the next request on.';
  static override examples = ['<%= config.bin %> <%= command.id %> 3f9a1c2b7d4e', '<%= config.bin %> <%= command.id %> alice'];
  static override args = {token: Args.string({description: 'Token id, or the name of its only active token.', required: true})};
  static override flags = {'data-dir': serverDataDirFlag, database: serverDatabaseFlag};

  async run(): Promise<ServeTokenRevokeResult> {
    const info = await revokeServerToken({dataDir: this.flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: this.flags.database}, this.args.token);
    this.note(`Revoked token ${info.id} (${info.name}, ${info.role}).`);
    return info;
  }
}
