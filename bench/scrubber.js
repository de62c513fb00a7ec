#!/usr/bin/env node
// Scrubber throughput on one core, as MB/s and as a ratio to gzip (the bundle's other
// per-byte cost) measured in the same run; then the collection scenario: many log
// files under a total cap, with wall time and peak RSS.
// Usage: node bench/scrubber.js [scrubMB] [files] [fileMB]   (run `npm run build` first)
// Defaults: 64 MB scrubbed; 1,000 files of 1 MB (1 GB) with a 50 MB total and 10 MB per-file cap.
import {mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const {createScrubber, loadScrubber} = await import(join(root, 'dist/diag/scrubber.js'));
const {createBundleWriter} = await import(join(root, 'dist/diag/bundle.js'));
const {collectFiles} = await import(join(root, 'dist/diag/collect-files.js'));

const scrubMB = Number(process.argv[2] ?? 64);
const files = Number(process.argv[3] ?? 1000);
const fileMB = Number(process.argv[4] ?? 1);

// Realistic log text: mostly ordinary lines, some with key=value pairs, JSON, URLs and a few secrets.
const templates = [
  (i) => `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00.123Z INFO request handled method=GET path=/api/v2/tickets/${i} status=200 duration_ms=${i % 500}`,
  (i) => `2024-05-01T10:00:00Z DEBUG cache hit key=tickets:${i} ttl=300 node=worker-${i % 8}`,
  (i) => `{"level":"info","ts":"2024-05-01T10:00:00Z","msg":"sync done","account":${i},"items":${i % 97},"user":"agent${i % 13}"}`,
  (i) => `2024-05-01T10:00:00Z WARN retrying https://api.example.org/v1/items?page=${i}&per_page=100 after 429`,
  (i) => `    at Object.handler (/srv/app/node_modules/lib/index.js:${i % 900}:17)`,
  (i) => `2024-05-01T10:00:00Z INFO login user=agent${i} password=pw${i}Xk29sLq token=ghp_${'aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5'.slice(0, 36)}`,
  (i) => `2024-05-01T10:00:00Z INFO container 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb1${i % 10}`,
];
function logText(bytes) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    // One line in forty carries a secret; the rest are ordinary.
    const line = (i % 40 === 0 ? templates[5] : templates[i % 5 === 4 ? 6 : i % 5])(i);
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

// --- collection under caps ----------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'supportkit-bench-diag-'));
try {
  const logs = join(dir, 'logs');
  const block = logText(fileMB * 1024 * 1024);
  for (let i = 0; i < files; i++) {
    const sub = join(logs, `svc-${i % 20}`);
    mkdirSync(sub, {recursive: true});
    const file = join(sub, `app-${i}.log`);
    writeFileSync(file, block);
    const t = new Date(Date.now() - i * 60_000);
    utimesSync(file, t, t);
  }
  const rssBefore = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  const writer = await createBundleWriter({path: join(dir, 'bundle.tar.gz'), toolkitVersion: 'bench', level: 6});
  const result = await collectFiles({writer, scrubber: createScrubber(), root: logs, include: ['**/*.log'], maxFileSize: 10 * 1024 * 1024, maxTotalSize: 50 * 1024 * 1024});
  const finished = await writer.finish();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peakMB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `collect: ${files} files x ${fileMB} MB (${((files * fileMB) / 1024).toFixed(2)} GB), caps 10 MB/file 50 MB total: ` +
      `${seconds.toFixed(2)} s wall, ${result.files.length} files in, ${result.skipped.length} left out, ` +
      `bundle ${(finished.size / 1024 / 1024).toFixed(1)} MB; peak RSS ${peakMB.toFixed(0)} MB (whole process, ${(rssBefore / 1024 / 1024).toFixed(0)} MB before collecting)`,
  );
} finally {
  rmSync(dir, {recursive: true, force: true});
}

// --- throughput ------------------------------------------------------------------------
const data = logText(scrubMB * 1024 * 1024);
const chunkSize = 64 * 1024;
function timeIt(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const structuredScrubber = await loadScrubber();
const logCpu = process.cpuUsage();
const scrubSeconds = timeIt(() => {
  const session = structuredScrubber.session({name: 'app.log'});
  for (let off = 0; off < data.length; off += chunkSize) Buffer.from(session.write(data.subarray(off, off + chunkSize).toString('latin1')), 'latin1');
  session.end();
});
const logCpuSeconds = (({user, system}) => (user + system) / 1e6)(process.cpuUsage(logCpu));
const gzipSeconds = timeIt(() => {
  for (let off = 0; off < data.length; off += 4 * 1024 * 1024) gzipSync(data.subarray(off, off + 4 * 1024 * 1024), {level: 6});
});
const mb = data.length / 1024 / 1024;
console.log(`scrubber: ${mb.toFixed(0)} MB of log text in ${scrubSeconds.toFixed(2)} s = ${(mb / scrubSeconds).toFixed(1)} MB/s on one core (${(mb / logCpuSeconds).toFixed(1)} MB per CPU second)`);
console.log(`gzip -6 (peer, same data): ${(mb / gzipSeconds).toFixed(1)} MB/s; scrubber/gzip speed ratio ${(gzipSeconds / scrubSeconds).toFixed(2)}`);

// --- structure-aware: config files parsed whole (JSON, YAML, TOML, XML, .properties) -------
// Two corpora per format (bench/scrubber-corpus.js): one large document in which every few
// dozen values is a secret, so that nothing can be skipped unparsed; and a realistic mix of the
// files a bundle holds, one in four with a secret. Each is scrubbed through a session in 64 KB
// chunks, as files are read, and timed as the median of five rounds, in wall time and in CPU
// time (the process's, all threads: on a shared machine the figure that others' load moves least).
const {withSecrets, realisticMix} = await import('./scrubber-corpus.js');
const {mayHoldStructuredSecrets} = await import(join(root, 'dist/diag/structure.js')).catch(() => ({}));
const FORMATS = ['json', 'yaml', 'toml', 'xml', 'properties'];
const corpora = [
  ['with secrets', withSecrets()],
  ['realistic mix', realisticMix()],
];
const cpuSeconds = () => {
  const {user, system} = process.cpuUsage();
  return (user + system) / 1e6;
};
function scrubFiles(files) {
  for (const [name, data] of files) {
    const session = structuredScrubber.session({name});
    for (let off = 0; off < data.length; off += chunkSize) session.write(data.subarray(off, off + chunkSize).toString('latin1'));
    session.end();
  }
}
function measure(files, targetMB) {
  const bytes = files.reduce((n, [, data]) => n + data.length, 0);
  const repeat = Math.max(1, Math.round((targetMB * 1024 * 1024) / bytes));
  scrubFiles(files);
  const walls = [];
  const cpus = [];
  for (let round = 0; round < 5; round++) {
    const cpu = cpuSeconds();
    const start = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) scrubFiles(files);
    walls.push(Number(process.hrtime.bigint() - start) / 1e9);
    cpus.push(cpuSeconds() - cpu);
  }
  const median = (values) => values.sort((a, b) => a - b)[2];
  const mb = (bytes * repeat) / 1024 / 1024;
  return {wall: mb / median(walls), cpu: mb / median(cpus), bytes};
}
/** gzip -6 over the same files, timed the same way (median of 5 rounds, wall and CPU). */
function gzipOf(files, targetMB) {
  const all = Buffer.concat(files.map(([, data]) => data));
  const repeat = Math.max(1, Math.round((targetMB * 1024 * 1024) / all.length));
  const walls = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) gzipSync(all, {level: 6});
    walls.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return (all.length * repeat) / 1024 / 1024 / walls.sort((a, b) => a - b)[2];
}
console.log('structure-aware, per format: MB/s on one core (median of 5 rounds; wall | CPU time), gzip -6 on the same files');
const totals = {};
for (const [label, corpus] of corpora) {
  totals[label] = {bytes: 0, seconds: 0, cpuSeconds: 0};
  for (const format of FORMATS) {
    const files = corpus[format].map(([name, text]) => [name, Buffer.from(text)]);
    const result = measure(files, Math.max(1, scrubMB / 16));
    totals[label].bytes += result.bytes;
    totals[label].seconds += result.bytes / 1024 / 1024 / result.wall;
    totals[label].cpuSeconds += result.bytes / 1024 / 1024 / result.cpu;
    // Files the prefilter would spare a library's parse (it guards only the slow readers).
    const nameless = mayHoldStructuredSecrets ? files.filter(([, data]) => !mayHoldStructuredSecrets(format, data.toString('latin1'))).length : 0;
    const sizes = `${files.length} file${files.length === 1 ? '' : 's'}, ${(result.bytes / 1024).toFixed(0)} KB`;
    const names = mayHoldStructuredSecrets ? `, ${nameless} naming no secret` : '';
    const gzip = gzipOf(files, Math.max(1, scrubMB / 16));
    console.log(
      `  ${label.padEnd(13)} ${format.padEnd(10)} ${result.wall.toFixed(1).padStart(6)} | ${result.cpu.toFixed(1).padStart(6)} MB/s   gzip ${gzip.toFixed(0).padStart(4)} MB/s, ratio ${(result.wall / gzip).toFixed(2)}   (${sizes}${names})`,
    );
  }
  const t = totals[label];
  const mb = t.bytes / 1024 / 1024;
  console.log(`  ${label.padEnd(13)} ${'all five'.padEnd(10)} ${(mb / t.seconds).toFixed(1).padStart(6)} | ${(mb / t.cpuSeconds).toFixed(1).padStart(6)} MB/s`);
}
