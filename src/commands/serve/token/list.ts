import {BaseCommand} from '../../../cli/base-command.js';
import {pagerFlags} from '../../../cli/flags.js';
import {renderTable, timeCell} from '../../../cli/output.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import type {TokenInfo} from '../../../server/store/store.js';
import {defaultServerDir, listServerTokens} from '../../../services/server.js';

export type ServeTokenListResult = {tokens: TokenInfo[]};

const tokenState = (t: TokenInfo, now: number) => (t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active');

export default class ServeTokenList extends BaseCommand<typeof ServeTokenList> {
  static override aliases = ['serve token ls'];
  static override summary = 'List the server’s tokens (never their secrets).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = {'data-dir': serverDataDirFlag, database: serverDatabaseFlag, ...pagerFlags};

  async run(): Promise<ServeTokenListResult> {
    const tokens = await listServerTokens({dataDir: this.flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: this.flags.database});
    const mode = this.ctx.mode;
    const now = Date.now();
    if (tokens.length === 0) this.note('No tokens yet. Create one: support serve token create --role agent --name NAME');
    else {
      await this.printPaged(
        await renderTable(tokens, [
          {header: 'ID', get: (t) => t.id, truncate: false},
          {header: 'NAME', get: (t) => t.name},
          {header: 'ROLE', get: (t) => t.role},
          {header: 'CREATED', get: (t) => timeCell(t.createdAt, mode), truncate: false},
          {header: 'LAST USED', get: (t) => (t.lastUsedAt ? timeCell(t.lastUsedAt, mode) : '-'), truncate: false},
          {header: 'SCOPE', get: (t) => (t.scopes.includes('write') ? 'read, write' : 'read-only')},
          {header: 'EXPIRES', get: (t) => (t.expiresAt ? timeCell(t.expiresAt, mode) : 'never'), truncate: false},
          {header: 'STATE', get: (t) => tokenState(t, now), style: (s, t, c) => (tokenState(t, now) === 'active' ? c.green(s) : c.gray(s))},
        ], mode),
      );
    }
    return {tokens};
  }
}
