import {Args} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import type {Webhook} from '../../../server/store/store.js';
import {defaultServerDir, removeServerWebhook} from '../../../services/server.js';

export type ServeWebhookRemoveResult = Webhook;

export default class ServeWebhookRemove extends BaseCommand<typeof ServeWebhookRemove> {
  static override aliases = ['serve webhook rm'];
  static override summary = 'Remove a webhook subscription and its delivery log; nothing more is posted to it.';
  static override examples = ['<%= config.bin %> <%= command.id %> wh_3f9a1c2b7d4e5f60'];
  static override args = {id: Args.string({description: 'Webhook id (serve webhook list shows them).', required: true})};
  static override flags = {'data-dir': serverDataDirFlag, database: serverDatabaseFlag};

  async run(): Promise<ServeWebhookRemoveResult> {
    const removed = await removeServerWebhook({dataDir: this.flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: this.flags.database}, this.args.id);
    this.note(`Removed webhook ${removed.id} (${removed.url}).`);
    return removed;
  }
}
