import type {DoctorCheck, DoctorReport} from '../../services/doctor.js';
import {paint, type OutputMode} from '../output.js';
import {joinShown, plainRow, shown, type Shown} from '../shown.js';

const label = (c: DoctorCheck) => (c.profile ? `${c.check} (${c.profile})` : c.check);

/**
 * One line per check. On a terminal: a mark, the check, what was found and the fix; piped:
 * tab-separated status, check, profile, detail, fix, for grep and awk. Details quote servers'
 * words and paths: each part is neutralised.
 */
export async function renderDoctorReport(report: DoctorReport, mode: OutputMode): Promise<Shown> {
  if (!mode.tty) return joinShown(report.checks.map((c) => plainRow([c.status, c.check, c.profile ?? '', c.detail, c.fix ?? ''])));
  const p = await paint(mode);
  const mark = {ok: p.green('✓'), warn: p.yellow('!'), fail: p.red('✗')};
  const width = Math.max(...report.checks.map((check) => label(check).length));
  return joinShown(
    report.checks.map((check) => {
      const fix = check.fix ? shown` ${p.bold('Fix:')} ${check.fix}` : '';
      return shown`${mark[check.status]} ${label(check).padEnd(width)}  ${check.detail}${fix}`;
    }),
  );
}
