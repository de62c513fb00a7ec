import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {pagerFlags} from '../../cli/flags.js';
import {renderInspection} from '../../cli/render/diag.js';
import {SupportError} from '../../domain/errors.js';
import {inspectDiagBundle, type BundleInspectionResult} from '../../services/diag.js';

export type DiagInspectResult = BundleInspectionResult;

export default class DiagInspect extends BaseCommand<typeof DiagInspect> {
  static override summary = 'Verify a diagnostic bundle against its manifest and list what it holds.';
  static override description =
    'Checks the sha256 and size of every file against manifest.json, and that the archive holds nothing the ' +
    'manifest does not list: that shows the bundle is whole. With --ticket, also checks that the file is byte for ' +
    'byte one of the ticket’s attachments, by the sha256 the backend recorded when it was attached: that shows it ' +
    'is unaltered since the upload. Exits 1 when a check fails, 5 when the file is not a valid bundle.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> ./support-bundle.tar.gz',
    '<%= config.bin %> <%= command.id %> ./support-bundle.tar.gz --ticket 42',
    '<%= config.bin %> <%= command.id %> ./support-bundle.tar.gz --json',
  ];

  static override args = {file: Args.string({description: 'The bundle (.tar.gz).', required: true})};
  static override flags = {
    ...pagerFlags,
    ticket: Flags.string({description: 'Also check that the file is one of this ticket’s attachments, unaltered since the upload.'}),
  };

  async run(): Promise<DiagInspectResult> {
    const {flags, ctx} = this;
    const result = await inspectDiagBundle(this.args.file, {ticket: flags.ticket ? {id: flags.ticket, backend: () => ctx.backend()} : undefined});
    if (this.jsonEnabled()) {
      if (!result.ok) {
        this.logJson(result);
        // Printed above; the empty message leaves only the exit code.
        throw new SupportError('');
      }
      return result;
    }
    await this.printPaged(await renderInspection(result, ctx.mode));
    if (!result.ok) throw failure(result);
    return result;
  }
}

function failure(result: DiagInspectResult): SupportError {
  const own = result.problems.filter((p) => p.kind !== 'upload-mismatch');
  if (own.length > 0) {
    return new SupportError(`The bundle does not match its manifest (${own.length} problem${own.length === 1 ? '' : 's'}).`, {
      hint: 'It was changed or damaged after it was written; ask for a fresh bundle.',
    });
  }
  return new SupportError(`The file is not the bundle attached to ticket #${result.upload!.ticketId}: no attachment there has its sha256.`, {
    hint: 'It was changed after the upload, or it is another bundle: download the attachment from the ticket and inspect that.',
  });
}
