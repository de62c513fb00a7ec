#!/usr/bin/env node
// The collection scenario through the real service (collectors, profile, scrubber,
// bundle, staging and move): 1 GB of logs across 1,000 files, 50 MB total and 10 MB per-file
// caps. The collection runs in a fresh child process so that its peak RSS is its own, next to
// a child that only loads the same modules (the floor). Then the scrubber's throughput on one
// core, against gzip -6 on the same text.
// Usage: node bench/diag.js [files] [fileMB] [scrubMB]   (run `npm run build` first)
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..');
const MB = 1024 * 1024;

const templates = [
  (i) => `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00.123Z INFO request handled method=GET path=/api/v2/tickets/${i} status=200 duration_ms=${i % 500}`,
  (i) => `2024-05-01T10:00:00Z DEBUG cache hit key=tickets:${i} ttl=300 node=worker-${i % 8}`,
  (i) => `{"level":"info","ts":"2024-05-01T10:00:00Z","msg":"sync done","account":${i},"items":${i % 97},"user":"agent${i % 13}"}`,
  (i) => `2024-05-01T10:00:00Z WARN retrying https://api.example.org/v1/items?page=${i}&per_page=100 after 429`,
  (i) => `    at Object.handler (/srv/app/node_modules/lib/index.js:${i % 900}:17)`,
  (i) => `2024-05-01T10:00:00Z INFO login user=agent${i} password=pw${i}Xk29sLq token=ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5`,
];
function logText(bytes) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = (i % 40 === 0 ? templates[5] : templates[i % 5])(i);
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

const mode = process.argv[2];

if (mode === '--child-collect' || mode === '--child-floor') {
  const dir = process.argv[3];
  const {planBundle} = await import(join(root, 'dist/services/diag.js'));
  if (mode === '--child-floor') {
    process.stdout.write(JSON.stringify({maxRSSKB: process.resourceUsage().maxRSS}));
    process.exit(0);
  }
  const start = process.hrtime.bigint();
  const staged = await planBundle({
    output: join(dir, 'bundle.tar.gz'),
    cwd: join(dir, 'app'),
    env: {LANG: 'C.UTF-8'},
    toolkit: {name: 'supportkit', version: 'bench'},
    settings: {},
    profiles: [],
    activeProfile: 'default',
    backend: {kind: 'local'},
    configDir: join(dir, 'config'),
    dataDir: join(dir, 'data'),
    maxFileSize: 10 * MB,
    maxTotalSize: 50 * MB,
    stagingDir: dir,
  });
  const summary = await staged.commit();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(
    JSON.stringify({seconds, maxRSSKB: process.resourceUsage().maxRSS, files: summary.files.length, skipped: summary.skipped.length, size: summary.size, totalSize: summary.totalSize}),
  );
  process.exit(0);
}

const files = Number(process.argv[2] ?? 1000);
const fileMB = Number(process.argv[3] ?? 1);
const scrubMB = Number(process.argv[4] ?? 64);

const dir = mkdtempSync(join(tmpdir(), 'supportkit-bench-diag-'));
try {
  const app = join(dir, 'app');
  const block = logText(fileMB * MB);
  for (let i = 0; i < files; i++) {
    const sub = join(app, 'logs', `svc-${i % 20}`);
    mkdirSync(sub, {recursive: true});
    const file = join(sub, `app-${i}.log`);
    writeFileSync(file, block);
    const t = new Date(Date.now() - i * 60_000);
    utimesSync(file, t, t);
  }
  writeFileSync(join(app, 'support-diag.yml'), 'logs:\n  - "logs/**/*.log"\n');
  const child = (flag) => JSON.parse(execFileSync(process.execPath, [here, flag, dir], {encoding: 'utf8', maxBuffer: 16 * MB}));
  const floor = child('--child-floor');
  const run = child('--child-collect');
  console.log(
    `collect (service, all collectors): ${files} files x ${fileMB} MB = ${((files * fileMB) / 1024).toFixed(2)} GB of logs, caps 10 MB/file 50 MB total\n` +
      `  wall ${run.seconds.toFixed(2)} s; ${run.files} files in (${(run.totalSize / MB).toFixed(1)} MB scrubbed), ${run.skipped} left out; bundle ${(run.size / MB).toFixed(1)} MB\n` +
      `  peak RSS ${(run.maxRSSKB / 1024).toFixed(0)} MB (target < 150 MB); a child that only loads the modules peaks at ${(floor.maxRSSKB / 1024).toFixed(0)} MB`,
  );
} finally {
  rmSync(dir, {recursive: true, force: true});
}

const {createScrubber} = await import(join(root, 'dist/diag/scrubber.js'));
const data = logText(scrubMB * MB);
const time = (fn) => {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};
const chunk = 64 * 1024;
const scrubSeconds = time(() => {
  const session = createScrubber().session();
  for (let off = 0; off < data.length; off += chunk) session.write(data.subarray(off, off + chunk).toString('latin1'));
  session.end();
});
const gzipSeconds = time(() => {
  for (let off = 0; off < data.length; off += 4 * MB) gzipSync(data.subarray(off, off + 4 * MB), {level: 6});
});
const mb = data.length / MB;
console.log(`scrubber: ${mb.toFixed(0)} MB of log text in ${scrubSeconds.toFixed(2)} s = ${(mb / scrubSeconds).toFixed(1)} MB/s on one core`);
console.log(`gzip -6 on the same text: ${(mb / gzipSeconds).toFixed(1)} MB/s; scrubber/gzip speed ratio ${(gzipSeconds / scrubSeconds).toFixed(2)}`);
