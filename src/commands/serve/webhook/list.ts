import {BaseCommand} from '../../../cli/base-command.js';
import {pagerFlags} from '../../../cli/flags.js';
import {renderTable, timeCell} from '../../../cli/output.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import type {Webhook} from '../../../server/store/store.js';
import {defaultServerDir, listServerWebhooks} from '../../../services/server.js';

export type ServeWebhookListResult = {webhooks: Webhook[]};

export default class ServeWebhookList extends BaseCommand<typeof ServeWebhookList> {
  static override aliases = ['serve webhook ls'];
  static override summary = 'List the server’s webhook subscriptions (never their secrets).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = {'data-dir': serverDataDirFlag, database: serverDatabaseFlag, ...pagerFlags};

  async run(): Promise<ServeWebhookListResult> {
    const webhooks = await listServerWebhooks({dataDir: this.flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: this.flags.database});
    const mode = this.ctx.mode;
    if (webhooks.length === 0) this.note('No webhooks yet. Add one: support serve webhook add --url https://...');
    else {
      await this.printPaged(
        await renderTable(
          webhooks,
          [
            {header: 'ID', get: (w) => w.id, truncate: false},
            {header: 'URL', get: (w) => w.url},
            {header: 'EVENTS', get: (w) => (w.events ? w.events.join(' ') : 'all')},
            {header: 'DESCRIPTION', get: (w) => w.description ?? ''},
            {header: 'CREATED', get: (w) => timeCell(w.createdAt, mode), truncate: false},
          ],
          mode,
        ),
      );
    }
    return {webhooks};
  }
}
