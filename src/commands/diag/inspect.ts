import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {renderInspection} from '../../cli/render/diag.js';
import {SupportError} from '../../domain/errors.js';
import {inspectDiagBundle, type BundleInspectionResult} from '../../services/diag.js';

export type DiagInspectResult = BundleInspectionResult;

export default class DiagInspect extends BaseCommand<typeof DiagInspect> {
  static override summary = 'Verify a diagnostic bundle against its manifest and list what it holds.';
  static override description =
    'Checks the sha256 and size of every file against manifest.json, and that the archive holds nothing the ' +
    'manifest does not list. Exits 1 when anything does not match.';

  static override examples = ['<%= config.bin %> <%= command.id %> ./support-bundle.tar.gz', '<%= config.bin %> <%= command.id %> ./support-bundle.tar.gz --json'];
  static override args = {file: Args.string({description: 'The bundle (.tar.gz).', required: true})};

  async run(): Promise<DiagInspectResult> {
    const result = await inspectDiagBundle(this.args.file);
    if (this.jsonEnabled()) {
      if (!result.ok) {
        this.logJson(result);
        // Printed above; the empty message leaves only the exit code.
        throw new SupportError('');
      }
      return result;
    }
    this.print(await renderInspection(result, this.ctx.mode));
    if (!result.ok) {
      throw new SupportError(`The bundle does not match its manifest (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}).`, {
        hint: 'It was changed or damaged after it was written; ask for a fresh bundle.',
      });
    }
    return result;
  }
}
