import {formatBytes} from '../../domain/ticket.js';
import {RULE_DESCRIPTIONS} from '../../diag/rules.js';
import type {ManifestCollector, ManifestSkip} from '../../diag/bundle.js';
import type {RedactionCounts} from '../../diag/scrubber.js';
import type {BundleInspectionResult, BundleSummary, UploadCheck} from '../../services/diag.js';
import {paint, renderTable, timeCell, type OutputMode} from '../output.js';
import {joinShown, plainRow, shown, type Painter, type Shown} from '../shown.js';

const redactionCell = (counts: RedactionCounts) =>
  Object.entries(counts)
    .map(([rule, n]) => `${rule}×${n}`)
    .join(', ');

const total = (counts: RedactionCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * What a bundle holds, for the consent question and --dry-run: the files with their sizes and
 * redactions, the redactions per rule, what was left out and why, and how each collector went.
 */
export async function renderBundleSummary(summary: BundleSummary, mode: OutputMode): Promise<Shown> {
  if (!mode.tty) {
    // Piped: one line per item, its kind first, so `grep ^file` or `awk` can take it apart.
    return joinShown([
      plainRow(['bundle', summary.path, summary.written ? 'written' : 'not written', summary.size, summary.sha256]),
      ...summary.files.map((f) => plainRow(['file', f.path, f.size, f.collector, f.truncated ? 'yes' : 'no', redactionCell(f.redactions)])),
      ...Object.entries(summary.redactions).map(([rule, n]) => plainRow(['redaction', rule, n])),
      ...summary.skipped.map((s) => plainRow(['skipped', s.source, s.reason, s.detail ?? ''])),
      ...summary.collectors.map((col) => plainRow(['collector', col.name, col.ok ? 'ok' : 'failed', col.durationMs, col.error ?? ''])),
    ]);
  }
  const c = await paint(mode);
  const fileRows = await renderTable(
    summary.files,
    [
      {header: 'FILE', get: (f) => f.path},
      {header: 'SIZE', get: (f) => formatBytes(f.size), truncate: false},
      {header: 'FROM', get: (f) => f.collector, style: (s, _f, k) => k.gray(s)},
      {header: 'CUT', get: (f) => (f.truncated ? 'yes' : '')},
      {header: 'REDACTED', get: (f) => redactionCell(f.redactions), style: (s, _f, k) => k.yellow(s)},
    ],
    mode,
  );
  const out: Shown[] = [];
  out.push(shown`${c.bold(`Bundle ${summary.path}`)}${c.gray(summary.written ? ' (written)' : ' (not written yet)')}`);
  out.push(shown`${summary.files.length} files, ${formatBytes(summary.totalSize)} (${formatBytes(summary.size)} compressed)`);
  if (summary.profileFile) out.push(c.gray(`Collection profile: ${summary.profileFile}`));
  out.push(shown``, fileRows);
  out.push(shown``, ...(await renderRedactions(summary.redactions, mode)));
  out.push(shown``, ...(await renderSkipped(summary.skipped, mode)));
  out.push(shown``, ...(await renderCollectors(summary.collectors, mode)));
  if (summary.pseudonymMap) out.push(shown``, c.gray(`Pseudonyms replace e-mails, addresses and host names; the key to them stays in ${summary.pseudonymMap}.`));
  return joinShown(out);
}

async function renderRedactions(counts: RedactionCounts, mode: OutputMode): Promise<Shown[]> {
  const c = await paint(mode);
  const rows = Object.entries(counts);
  if (rows.length === 0) return [shown`${c.bold('Redactions: ')}none`];
  return [
    c.bold(`Redactions: ${total(counts)}`),
    ...rows.map(([rule, n]) => shown`  ${String(n).padStart(5)}  ${rule}${RULE_DESCRIPTIONS[rule] ? c.gray(` — ${RULE_DESCRIPTIONS[rule]}`) : ''}`),
  ];
}

async function renderSkipped(skipped: readonly ManifestSkip[], mode: OutputMode): Promise<Shown[]> {
  const c = await paint(mode);
  if (skipped.length === 0) return [shown`${c.bold('Left out: ')}nothing`];
  const table = await renderTable(
    skipped,
    [
      {header: 'LEFT OUT', get: (s) => s.source},
      {header: 'REASON', get: (s) => s.reason, style: (t, _s, k) => k.yellow(t)},
      {header: 'DETAIL', get: (s) => s.detail ?? '', style: (t, _s, k) => k.gray(t)},
    ],
    mode,
  );
  return [table];
}

async function renderCollectors(collectors: readonly ManifestCollector[], mode: OutputMode): Promise<Shown[]> {
  const c = await paint(mode);
  return [
    c.bold('Collectors'),
    ...collectors.map((col) => shown`  ${col.ok ? c.green('ok    ') : c.red('failed')} ${col.name} ${c.gray(`${col.durationMs} ms`)}${col.error ? shown` ${c.red(col.error)}` : ''}`),
  ];
}

/** `diag inspect`: the verdict first, then the contents and the redaction summary. */
export async function renderInspection(result: BundleInspectionResult, mode: OutputMode): Promise<Shown> {
  if (!mode.tty) {
    return joinShown([
      plainRow(['bundle', result.path, result.ok ? 'ok' : 'mismatch', result.size, result.sha256]),
      ...result.files.map((f) => plainRow(['file', f.path, f.size, f.sha256, f.verified ? 'ok' : 'MISMATCH', redactionCell(f.redactions)])),
      ...Object.entries(result.redactions).map(([rule, n]) => plainRow(['redaction', rule, n])),
      ...result.skipped.map((s) => plainRow(['skipped', s.source, s.reason, s.detail ?? ''])),
      ...result.problems.map((p) => plainRow(['problem', p.kind, p.path ?? '', p.detail])),
      ...(result.upload ? [uploadRow(result.upload)] : []),
    ]);
  }
  const c = await paint(mode);
  const files = await renderTable(
    result.files,
    [
      {header: 'FILE', get: (f) => f.path},
      {header: 'SIZE', get: (f) => formatBytes(f.size), truncate: false},
      {header: 'SHA256', get: (f) => f.sha256.slice(0, 12), truncate: false, style: (s, _f, k) => k.gray(s)},
      {header: 'CHECK', get: (f) => (f.verified ? 'ok' : 'MISMATCH'), truncate: false, style: (s, f, k) => (f.verified ? k.green(s) : k.red(s))},
      {header: 'REDACTED', get: (f) => redactionCell(f.redactions), style: (s, _f, k) => k.yellow(s)},
    ],
    mode,
  );
  const own = result.problems.filter((p) => p.kind !== 'upload-mismatch');
  const verdict = own.length === 0
    ? c.green(`✓ All ${result.files.length} files match the manifest.`)
    : c.red(`✗ ${own.length} problem${own.length === 1 ? '' : 's'}: the bundle does not match its manifest.`);
  const out: Shown[] = [
    shown`${c.bold(`Bundle ${result.path}`)}${c.gray(` ${formatBytes(result.size)}, sha256 ${result.sha256}`)}`,
    c.gray(`Created ${result.createdAt ? timeCell(result.createdAt, mode) : 'at an unknown time'} by ${result.toolkit ? `${result.toolkit.name} ${result.toolkit.version}` : 'an unknown tool'}`),
    verdict,
    ...(result.upload ? [uploadVerdict(result.upload, c, mode)] : []),
    shown``,
    files,
    shown``,
    ...(await renderRedactions(result.redactions, mode)),
    shown``,
    ...(await renderSkipped(result.skipped, mode)),
  ];
  if (result.collectors.some((col) => !col.ok)) out.push(shown``, ...(await renderCollectors(result.collectors, mode)));
  if (result.problems.length) {
    out.push(shown``, c.bold(c.red('Problems')), ...result.problems.map((p) => shown`  ${c.red(p.kind)} ${p.path ?? ''} ${c.gray(p.detail)}`));
  }
  return joinShown(out);
}

/** Piped: `upload  TICKET  match|mismatch  ATTACHMENT-ID  NAME  UPLOADED-AT`. */
function uploadRow(upload: UploadCheck): Shown {
  const a = upload.match;
  return plainRow(['upload', upload.ticketId, a ? 'match' : 'mismatch', a?.id ?? '', a?.name ?? '', a?.createdAt ?? '']);
}

function uploadVerdict(upload: UploadCheck, c: Painter, mode: OutputMode): Shown {
  const a = upload.match;
  if (a) return c.green(`✓ Unaltered since the upload: it is attachment ${a.name} (id ${a.id}) of ticket #${upload.ticketId}, attached ${timeCell(a.createdAt, mode)}.`);
  return c.red(`✗ Not what was uploaded: no attachment of ticket #${upload.ticketId} has this file's sha256.`);
}
