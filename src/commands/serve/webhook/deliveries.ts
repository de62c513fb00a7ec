import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {pagerFlags} from '../../../cli/flags.js';
import {renderTable, timeCell} from '../../../cli/output.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import type {WebhookDelivery} from '../../../server/store/store.js';
import {defaultServerDir, listServerDeliveries} from '../../../services/server.js';

export type ServeWebhookDeliveriesResult = {deliveries: WebhookDelivery[]};

const STATES = ['pending', 'delivered', 'failed'] as const;

export default class ServeWebhookDeliveries extends BaseCommand<typeof ServeWebhookDeliveries> {
  static override summary = 'Show the delivery log: each event posted to a webhook, its attempts and how the last one went.';
  static override description = 'Newest first. Delivered and failed deliveries are kept 30 days.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> wh_3f9a1c2b7d4e5f60 --state failed',
    '<%= config.bin %> <%= command.id %> --state pending --json',
  ];

  static override args = {id: Args.string({description: 'Only this webhook’s deliveries (default: every webhook’s).'})};
  static override flags = {
    state: Flags.option({options: STATES, description: 'Only deliveries in this state.'})(),
    limit: Flags.integer({description: 'Show at most this many.', default: 50, min: 1, max: 1000}),
    'data-dir': serverDataDirFlag,
    database: serverDatabaseFlag,
    ...pagerFlags,
  };

  async run(): Promise<ServeWebhookDeliveriesResult> {
    const {flags} = this;
    const {deliveries} = await listServerDeliveries(
      {dataDir: flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: flags.database},
      {webhookId: this.args.id, state: flags.state, limit: flags.limit},
    );
    const mode = this.ctx.mode;
    if (deliveries.length === 0) this.note(flags.state ? `No ${flags.state} deliveries.` : 'No deliveries yet.');
    else {
      await this.printPaged(
        await renderTable(
          deliveries,
          [
            {header: 'ID', get: (d) => d.id, truncate: false},
            {header: 'WEBHOOK', get: (d) => d.webhookId, truncate: false},
            {header: 'EVENT', get: (d) => `${d.eventId} ${d.eventType}`},
            {header: 'TICKET', get: (d) => d.ticketId, truncate: false},
            {
              header: 'STATE',
              get: (d) => d.state,
              style: (s, d, c) => (d.state === 'delivered' ? c.green(s) : d.state === 'failed' ? c.red(s) : c.yellow(s)),
            },
            {header: 'ATTEMPTS', get: (d) => String(d.attempts), truncate: false},
            {header: 'LAST', get: (d) => (d.lastError ?? (d.lastStatus === null ? '' : String(d.lastStatus)))},
            {
              header: 'WHEN',
              get: (d) =>
                d.deliveredAt ? timeCell(d.deliveredAt, mode) : d.nextAttemptAt ? `next ${timeCell(d.nextAttemptAt, mode)}` : d.lastAttemptAt ? timeCell(d.lastAttemptAt, mode) : '',
              truncate: false,
            },
          ],
          mode,
        ),
      );
    }
    return {deliveries};
  }
}
