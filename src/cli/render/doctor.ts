import type {DoctorCheck, DoctorReport} from '../../services/doctor.js';
import {colors, type OutputMode} from '../output.js';

const label = (c: DoctorCheck) => (c.profile ? `${c.check} (${c.profile})` : c.check);

/**
 * One line per check. On a terminal: a mark, the check, what was found and the fix; piped:
 * tab-separated status, check, profile, detail, fix, for grep and awk.
 */
export async function renderDoctorReport(report: DoctorReport, mode: OutputMode): Promise<string> {
  if (!mode.tty) return report.checks.map((c) => [c.status, c.check, c.profile ?? '', c.detail, c.fix ?? ''].join('\t')).join('\n');
  const c = await colors(mode);
  const mark = {ok: c.green('✓'), warn: c.yellow('!'), fail: c.red('✗')};
  const width = Math.max(...report.checks.map((check) => label(check).length));
  return report.checks
    .map((check) => {
      const fix = check.fix ? ` ${c.bold('Fix:')} ${check.fix}` : '';
      return `${mark[check.status]} ${label(check).padEnd(width)}  ${check.detail}${fix}`;
    })
    .join('\n');
}
