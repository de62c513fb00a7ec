import {formatBytes} from '../../domain/ticket.js';
import {RULE_DESCRIPTIONS} from '../../diag/rules.js';
import type {ManifestCollector, ManifestSkip} from '../../diag/bundle.js';
import type {RedactionCounts} from '../../diag/scrubber.js';
import type {BundleInspectionResult, BundleSummary} from '../../services/diag.js';
import {colors, renderTable, type OutputMode} from '../output.js';

const redactionCell = (counts: RedactionCounts) =>
  Object.entries(counts)
    .map(([rule, n]) => `${rule}×${n}`)
    .join(', ');

const total = (counts: RedactionCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * What a bundle holds, for the consent question and --dry-run: the files with their sizes and
 * redactions, the redactions per rule, what was left out and why, and how each collector went.
 */
export async function renderBundleSummary(summary: BundleSummary, mode: OutputMode): Promise<string> {
  const c = await colors(mode);
  const out: string[] = [];
  const fileRows = await renderTable(
    summary.files,
    [
      {header: 'FILE', get: (f) => f.path},
      {header: 'SIZE', get: (f) => (mode.tty ? formatBytes(f.size) : String(f.size))},
      {header: 'FROM', get: (f) => f.collector, style: (s, _f, k) => k.gray(s)},
      {header: 'CUT', get: (f) => (f.truncated ? 'yes' : mode.tty ? '' : 'no')},
      {header: 'REDACTED', get: (f) => redactionCell(f.redactions), style: (s, _f, k) => k.yellow(s)},
    ],
    mode,
  );
  if (!mode.tty) {
    // Piped: one line per item, its kind first, so `grep ^file` or `awk` can take it apart.
    const lines = [`bundle\t${summary.path}\t${summary.written ? 'written' : 'not written'}\t${summary.size}\t${summary.sha256}`];
    lines.push(...fileRows.split('\n').filter(Boolean).map((row) => `file\t${row}`));
    for (const [rule, n] of Object.entries(summary.redactions)) lines.push(`redaction\t${rule}\t${n}`);
    for (const s of summary.skipped) lines.push(`skipped\t${s.source}\t${s.reason}\t${s.detail ?? ''}`.replace(/[\r\n]+/g, ' '));
    for (const col of summary.collectors) lines.push(`collector\t${col.name}\t${col.ok ? 'ok' : 'failed'}\t${col.durationMs}\t${col.error ?? ''}`.replace(/[\r\n]+/g, ' '));
    return lines.join('\n');
  }
  out.push(c.bold(`Bundle ${summary.path}`) + c.gray(summary.written ? ' (written)' : ' (not written yet)'));
  out.push(`${summary.files.length} files, ${formatBytes(summary.totalSize)} (${formatBytes(summary.size)} compressed)`);
  if (summary.profileFile) out.push(c.gray(`Collection profile: ${summary.profileFile}`));
  out.push('', fileRows);
  out.push('', ...(await renderRedactions(summary.redactions, mode)));
  out.push('', ...(await renderSkipped(summary.skipped, mode)));
  out.push('', ...(await renderCollectors(summary.collectors, mode)));
  if (summary.pseudonymMap) out.push('', c.gray(`Pseudonyms replace e-mails, addresses and host names; the key to them stays in ${summary.pseudonymMap}.`));
  return out.join('\n');
}

async function renderRedactions(counts: RedactionCounts, mode: OutputMode): Promise<string[]> {
  const c = await colors(mode);
  const rows = Object.entries(counts);
  if (rows.length === 0) return [c.bold('Redactions: ') + 'none'];
  return [
    c.bold(`Redactions: ${total(counts)}`),
    ...rows.map(([rule, n]) => `  ${String(n).padStart(5)}  ${rule}${RULE_DESCRIPTIONS[rule] ? c.gray(` — ${RULE_DESCRIPTIONS[rule]}`) : ''}`),
  ];
}

async function renderSkipped(skipped: readonly ManifestSkip[], mode: OutputMode): Promise<string[]> {
  const c = await colors(mode);
  if (skipped.length === 0) return [c.bold('Left out: ') + 'nothing'];
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

async function renderCollectors(collectors: readonly ManifestCollector[], mode: OutputMode): Promise<string[]> {
  const c = await colors(mode);
  return [
    c.bold('Collectors'),
    ...collectors.map((col) => `  ${col.ok ? c.green('ok    ') : c.red('failed')} ${col.name} ${c.gray(`${col.durationMs} ms`)}${col.error ? ` ${c.red(col.error)}` : ''}`),
  ];
}

/** `diag inspect`: the verdict first, then the contents and the redaction summary. */
export async function renderInspection(result: BundleInspectionResult, mode: OutputMode): Promise<string> {
  const c = await colors(mode);
  const files = await renderTable(
    result.files,
    [
      {header: 'FILE', get: (f) => f.path},
      {header: 'SIZE', get: (f) => (mode.tty ? formatBytes(f.size) : String(f.size))},
      {header: 'SHA256', get: (f) => (mode.tty ? f.sha256.slice(0, 12) : f.sha256), style: (s, _f, k) => k.gray(s)},
      {header: 'CHECK', get: (f) => (f.verified ? 'ok' : 'MISMATCH'), style: (s, f, k) => (f.verified ? k.green(s) : k.red(s))},
      {header: 'REDACTED', get: (f) => redactionCell(f.redactions), style: (s, _f, k) => k.yellow(s)},
    ],
    mode,
  );
  if (!mode.tty) {
    const lines = [`bundle\t${result.path}\t${result.ok ? 'ok' : 'mismatch'}\t${result.size}\t${result.sha256}`];
    lines.push(...files.split('\n').filter(Boolean).map((row) => `file\t${row}`));
    for (const [rule, n] of Object.entries(result.redactions)) lines.push(`redaction\t${rule}\t${n}`);
    for (const s of result.skipped) lines.push(`skipped\t${s.source}\t${s.reason}\t${s.detail ?? ''}`.replace(/[\r\n]+/g, ' '));
    for (const p of result.problems) lines.push(`problem\t${p.kind}\t${p.path ?? ''}\t${p.detail}`.replace(/[\r\n]+/g, ' '));
    return lines.join('\n');
  }
  const verdict = result.ok
    ? c.green(`✓ All ${result.files.length} files match the manifest.`)
    : c.red(`✗ ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}: the bundle does not match its manifest.`);
  const out = [
    c.bold(`Bundle ${result.path}`) + c.gray(` ${formatBytes(result.size)}, sha256 ${result.sha256}`),
    c.gray(`Created ${result.createdAt ?? 'at an unknown time'} by ${result.toolkit ? `${result.toolkit.name} ${result.toolkit.version}` : 'an unknown tool'}`),
    verdict,
    '',
    files,
    '',
    ...(await renderRedactions(result.redactions, mode)),
    '',
    ...(await renderSkipped(result.skipped, mode)),
  ];
  if (result.collectors.some((col) => !col.ok)) out.push('', ...(await renderCollectors(result.collectors, mode)));
  if (result.problems.length) {
    out.push('', c.bold(c.red('Problems')), ...result.problems.map((p) => `  ${c.red(p.kind)} ${p.path ?? ''} ${c.gray(p.detail)}`));
  }
  return out.join('\n');
}
