import {Flags} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../../cli/serve-flags.js';
import {WEBHOOK_EVENT_TYPES, type CreatedWebhook} from '../../../server/store/store.js';
import {addServerWebhook, defaultServerDir} from '../../../services/server.js';

export type ServeWebhookAddResult = CreatedWebhook;

export default class ServeWebhookAdd extends BaseCommand<typeof ServeWebhookAdd> {
  static override summary = 'Have the server post ticket events to a URL, signed; the signing secret is printed once.';
  static override description =
    'Every event of the types given (all by default) is posted to the URL as JSON, signed with HMAC-SHA256 in the ' +
    'Support-Signature header, and retried with backoff until the receiver answers 2xx (docs/protocol.md, "Webhooks"). ' +
    'The URL must be http or https; the server posts to whatever address it names, internal ones included.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --url https://hooks.example.com/support',
    '<%= config.bin %> <%= command.id %> --url https://hooks.example.com/support --event created --event status_changed --description "Escalations"',
    '<%= config.bin %> <%= command.id %> --url https://hooks.example.com/support --json | jq -r .secret',
  ];

  static override flags = {
    url: Flags.string({description: 'Where to post the events (http or https).', required: true}),
    event: Flags.option({options: WEBHOOK_EVENT_TYPES, description: 'Only this event type (repeatable; default: all).', multiple: true})(),
    description: Flags.string({description: 'What the subscription is for, shown by `serve webhook list`.'}),
    'data-dir': serverDataDirFlag,
    database: serverDatabaseFlag,
  };

  async run(): Promise<ServeWebhookAddResult> {
    const {flags} = this;
    const created = await addServerWebhook(
      {dataDir: flags['data-dir'] ?? defaultServerDir(this.config.dataDir), databaseUrl: flags.database},
      {url: flags.url, events: flags.event, description: flags.description},
    );
    this.print(created.secret);
    this.note(
      `Webhook ${created.id} posts ${created.events ? created.events.join(', ') : 'every'} event${created.events?.length === 1 ? '' : 's'} to ${created.url}. ` +
        'The signing secret above is shown once: give it to the receiver to check Support-Signature.',
    );
    return created;
  }
}
