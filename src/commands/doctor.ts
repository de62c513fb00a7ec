import {BaseCommand} from '../cli/base-command.js';
import {renderDoctorReport} from '../cli/render/doctor.js';
import {runDoctor, type DoctorReport} from '../services/doctor.js';

export type DoctorResult = DoctorReport;

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Check that support can work here: Node, directories, the local store, every profile.';
  static override description =
    'One line per check, each failing one with what to do: the Node.js version; the config, data and cache directories ' +
    '(writable, free space); the local store (SQLite integrity check); every profile (the server answers, the token is ' +
    'valid, the clocks agree, the proxy and CA certificates in effect, keyring or plain file); the age of the offline ' +
    'knowledge base. Exits 1 when a check fails; warnings alone do not fail.';

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<DoctorResult> {
    const {ctx} = this;
    const report = await runDoctor({
      paths: ctx.paths,
      env: ctx.env,
      profiles: ctx.profiles,
      credentials: ctx.credentials,
      nodeRange: (this.config.pjson.engines as {node: string}).node,
      open: (name, profile) => ctx.openProfile(name, profile),
    });
    this.print(await renderDoctorReport(report, ctx.mode));
    const failed = report.checks.filter((c) => c.status === 'fail').length;
    const warned = report.checks.filter((c) => c.status === 'warn').length;
    if (ctx.mode.tty) {
      this.note(failed ? `\n${failed} check(s) failed.` : warned ? `\nNo check failed; ${warned} warning(s).` : '\nEverything looks fine.');
    }
    if (failed) this.io.exitCode = 1;
    return report;
  }
}
