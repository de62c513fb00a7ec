import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {AlreadyReportedError} from '../../cli/errors.js';
import type {ImportReport} from '../../services/kb-import.js';
import {importKb} from '../../services/kb.js';

export type KbImportResult = ImportReport;

export default class KbImport extends BaseCommand<typeof KbImport> {
  static override summary = 'Import Markdown articles into the knowledge base.';
  static override description =
    'Each file is an article with YAML front matter (title, slug, tags, locale, url). Directories are read for .md files. ' +
    'Re-importing a file updates the article with its slug; it never makes a second one. Goes into the local store, or, on a ' +
    'rest profile, into the server (which needs an admin token). A file that cannot be read is reported with its line and ' +
    'skipped; the others are imported, and the command exits 1.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> ./articles',
    '<%= config.bin %> <%= command.id %> proxy.md login.md --profile work',
    '<%= config.bin %> <%= command.id %> ./articles --json | jq .failed',
  ];

  static override strict = false;
  static override args = {path: Args.string({description: 'Markdown files or directories (several allowed).', required: true})};

  async run(): Promise<KbImportResult> {
    const {ctx} = this;
    const {stderr} = this.io;
    const progress = stderr.isTTY && !this.jsonEnabled();
    const report = await importKb(await ctx.backend(), this.positionals, progress ? (done, total) => stderr.write(`\rImporting… ${done}/${total}`) : undefined);
    if (progress) stderr.write('\r\u001B[K');
    const total = report.created.length + report.updated.length + report.unchanged.length;
    this.note(`Imported ${total} article${total === 1 ? '' : 's'}: ${report.created.length} new, ${report.updated.length} updated, ${report.unchanged.length} unchanged.`);
    if (report.failed.length > 0) {
      if (!this.jsonEnabled()) {
        this.note(`${report.failed.length} file${report.failed.length === 1 ? '' : 's'} could not be imported:`);
        for (const f of report.failed) this.note(`  ${f.message}${f.hint ? ` (${f.hint})` : ''}`);
      } else {
        this.logJson(report);
      }
      throw new AlreadyReportedError();
    }
    return report;
  }
}
