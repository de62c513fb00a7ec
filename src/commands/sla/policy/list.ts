import {BaseCommand} from '../../../cli/base-command.js';
import {pagerFlags} from '../../../cli/flags.js';
import {describeVersion, renderSlaPolicyList} from '../../../cli/render/sla.js';
import {listSlaPolicies, type SlaPolicyListReport} from '../../../services/sla.js';

export type SlaPolicyListResult = SlaPolicyListReport;

export default class SlaPolicyList extends BaseCommand<typeof SlaPolicyList> {
  static override aliases = ['sla policy ls'];
  static override summary = 'List the SLA policies in force for new tickets, in matching order.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = {...pagerFlags};

  async run(): Promise<SlaPolicyListResult> {
    const report = await listSlaPolicies(await this.ctx.backend());
    if (this.ctx.mode.tty) this.note(describeVersion(report));
    await this.printPaged(await renderSlaPolicyList(report, this.ctx.mode));
    return report;
  }
}
