#!/usr/bin/env node
// Scrubber throughput on one core, as MB/s and as a ratio to gzip (the bundle's other
// per-byte cost) measured in the same run; then the issue's collection scenario: many log
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
const scrubSeconds = timeIt(() => {
  const session = structuredScrubber.session({name: 'app.log'});
  for (let off = 0; off < data.length; off += chunkSize) Buffer.from(session.write(data.subarray(off, off + chunkSize).toString('latin1')), 'latin1');
  session.end();
});
const gzipSeconds = timeIt(() => {
  for (let off = 0; off < data.length; off += 4 * 1024 * 1024) gzipSync(data.subarray(off, off + 4 * 1024 * 1024), {level: 6});
});
const mb = data.length / 1024 / 1024;
console.log(`scrubber: ${mb.toFixed(0)} MB of log text in ${scrubSeconds.toFixed(2)} s = ${(mb / scrubSeconds).toFixed(1)} MB/s on one core`);
console.log(`gzip -6 (peer, same data): ${(mb / gzipSeconds).toFixed(1)} MB/s; scrubber/gzip speed ratio ${(gzipSeconds / scrubSeconds).toFixed(2)}`);


// --- structure-aware: config files parsed whole (JSON, YAML, TOML, XML, .properties) -------
// Each document is about 256 KB of realistic nesting with a secret every few dozen values.
function structuredDocs() {
  const items = Array.from({length: 1200}, (_, i) => ({
    name: `svc-${i}`,
    image: `registry.example.org/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f0${String(i % 100).padStart(4, '0')}`,
    env: [{name: 'LOG_LEVEL', value: 'info'}, {name: i % 7 === 0 ? 'DB_PASSWORD' : 'REGION', value: i % 7 === 0 ? `pw${i}Xk29sLq` : 'eu-west-1'}],
    database: {host: `db-${i}.internal`, port: 5432, user: 'app', ...(i % 5 === 0 ? {password: `s3cr3t-${i}-Zq8vLk2m`} : {})},
  }));
  const json = JSON.stringify({services: items}, null, 2);
  const yaml = items.map((it) => `- name: ${it.name}\n  image: ${it.image}\n  env:\n${it.env.map((e) => `    - name: ${e.name}\n      value: "${e.value}"`).join('\n')}\n  database:\n    host: ${it.database.host}\n    port: 5432\n${it.database.password ? `    password: ${it.database.password}\n` : ''}`).join('');
  const toml = items.map((it) => `[${it.name}]\nimage = "${it.image}"\nhost = "${it.database.host}"\n${it.database.password ? `password = "${it.database.password}"\n` : ''}`).join('\n');
  const xml = `<services>\n${items.map((it) => `  <service name="${it.name}">\n    <image>${it.image}</image>\n    <entry key="db.host">${it.database.host}</entry>\n${it.database.password ? `    <entry key="db.password">${it.database.password}</entry>\n` : ''}  </service>`).join('\n')}\n</services>\n`;
  const properties = items.map((it) => `${it.name}.image=${it.image}\n${it.name}.db.host=${it.database.host}\n${it.database.password ? `${it.name}.db.password=${it.database.password}\n` : ''}`).join('');
  return [['app.json', json], ['app.yaml', yaml], ['app.toml', toml], ['app.xml', xml], ['app.properties', properties]];
}
const docs = structuredDocs().map(([name, text]) => [name, Buffer.from(text)]);
const docBytes = docs.reduce((n, [, b]) => n + b.length, 0);
const rounds = Math.max(1, Math.round((scrubMB / 4) * 1024 * 1024 / docBytes));
const structuredSeconds = timeIt(() => {
  for (let r = 0; r < rounds; r++) {
    for (const [name, data] of docs) {
      const session = structuredScrubber.session({name});
      for (let off = 0; off < data.length; off += chunkSize) session.write(data.subarray(off, off + chunkSize).toString('latin1'));
      session.end();
    }
  }
});
const structuredMB = (docBytes * rounds) / 1024 / 1024;
console.log(`structure-aware: ${structuredMB.toFixed(0)} MB of JSON, YAML, TOML, XML and .properties (${(docBytes / docs.length / 1024).toFixed(0)} KB documents) in ${structuredSeconds.toFixed(2)} s = ${(structuredMB / structuredSeconds).toFixed(1)} MB/s on one core`);
for (const [name, data] of docs) {
  const n = Math.max(1, Math.round(4 * 1024 * 1024 / data.length));
  const seconds = timeIt(() => {
    for (let r = 0; r < n; r++) {
      const session = structuredScrubber.session({name});
      session.write(data.toString('latin1'));
      session.end();
    }
  });
  console.log(`  ${name.padEnd(15)} ${((data.length * n) / 1024 / 1024 / seconds).toFixed(1)} MB/s`);
}
