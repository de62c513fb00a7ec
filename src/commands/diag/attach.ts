import {basename} from 'node:path';

import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {progressBar, uploadRetryNote} from '../../cli/progress.js';
import {formatBytes} from '../../domain/ticket.js';
import {attachBundle, type AttachBundleResult} from '../../services/diag.js';

export type DiagAttachResult = AttachBundleResult;

export default class DiagAttach extends BaseCommand<typeof DiagAttach> {
  static override summary = 'Attach a diagnostic bundle to a ticket.';
  static override description =
    'Uploads through the backend’s attachment API, with a progress bar on a terminal. A failed upload is sent again ' +
    'from the start of the file after network errors, 5xx answers and rate limits (at most 5 attempts, all with one ' +
    'idempotency key, so the ticket gets one attachment), and the sha256 the backend stored is checked against the local file.';

  static override examples = ['<%= config.bin %> <%= command.id %> ./support-bundle.tar.gz --ticket 42'];
  static override args = {file: Args.string({description: 'The bundle (.tar.gz).', required: true})};
  static override flags = {
    ticket: Flags.string({description: 'Ticket to attach it to.', required: true}),
  };

  async run(): Promise<DiagAttachResult> {
    const bar = progressBar('Uploading', {enabled: !this.jsonEnabled(), stream: this.io.stderr});
    let result: AttachBundleResult;
    try {
      result = await attachBundle(await this.ctx.backend(), this.flags.ticket, this.args.file, {
        onProgress: (sent, total) => bar.update(sent, total),
        onRetry: (event) => {
          bar.stop();
          this.note(uploadRetryNote(basename(this.args.file), event));
        },
      });
    } finally {
      bar.stop();
    }
    const a = result.attachment;
    this.print(this.ctx.mode.tty ? `Attached ${a.name} (${formatBytes(a.size)}, sha256 ${a.sha256}) to ticket #${a.ticketId}.` : a.id);
    return result;
  }
}
