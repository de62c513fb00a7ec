import {Args} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {renderSlaPolicy} from '../../../cli/render/sla.js';
import {viewSlaPolicy, type SlaPolicyReport} from '../../../services/sla.js';

export type SlaPolicyViewResult = SlaPolicyReport;

export default class SlaPolicyView extends BaseCommand<typeof SlaPolicyView> {
  static override summary = 'Show one SLA policy: what it matches, its calendar and its targets.';
  static override examples = ['<%= config.bin %> <%= command.id %> standard', '<%= config.bin %> <%= command.id %> urgent --json'];
  static override args = {name: Args.string({description: 'Policy name.', required: true})};

  async run(): Promise<SlaPolicyViewResult> {
    const report = await viewSlaPolicy(await this.ctx.backend(), this.args.name);
    this.print(await renderSlaPolicy(report, this.ctx.mode));
    return report;
  }
}
