import {Args} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {renderSlaImport} from '../../../cli/render/sla.js';
import {importSlaPolicies, type SlaPolicyImportReport} from '../../../services/sla.js';

export type SlaPolicyImportResult = SlaPolicyImportReport;

export default class SlaPolicyImport extends BaseCommand<typeof SlaPolicyImport> {
  static override summary = 'Import an SLA policy file (YAML) as the policies for new tickets.';
  static override description =
    'The whole file is checked first and every problem is reported with its place in the file (like policies[1].targets.resolution); ' +
    'a bad file changes nothing and exits 2. A good file becomes a new version, in force for tickets created from now on: tickets ' +
    'opened earlier keep the policies they were opened under.';

  static override examples = ['<%= config.bin %> <%= command.id %> sla-policies.yaml', '<%= config.bin %> <%= command.id %> sla-policies.yaml --json'];
  static override args = {file: Args.string({description: 'Policy file (YAML or JSON).', required: true})};

  async run(): Promise<SlaPolicyImportResult> {
    const report = await importSlaPolicies(await this.ctx.backend(), this.args.file);
    this.print(renderSlaImport(report, this.ctx.mode));
    return report;
  }
}
