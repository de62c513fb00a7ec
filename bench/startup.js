#!/usr/bin/env node
// Start-up cost of `support`, as a ratio to `node -e 0` measured in the same run.
// Usage: node bench/startup.js [runs]   (run `npm run build` first)
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');
const runs = Number(process.argv[2] ?? 21);
const dir = mkdtempSync(join(tmpdir(), 'supportkit-bench-'));
const env = {
  ...process.env,
  SUPPORT_CONFIG_DIR: join(dir, 'config'),
  SUPPORT_DATA_DIR: join(dir, 'data'),
  SUPPORT_CACHE_DIR: join(dir, 'cache'),
  SUPPORT_USER: 'bench',
};

// A store of 1,000 tickets, written through the backend itself.
const seed = `
  const {createLocalBackend} = await import(${JSON.stringify(join(root, 'dist/backends/local/index.js'))});
  const b = await createLocalBackend({profile: 'bench', dataDir: process.argv[1], cacheDir: process.argv[1], identity: {name: 'bench', role: 'customer'}});
  for (let i = 0; i < 1000; i++) await b.tickets.create({title: 'Ticket ' + i, body: 'Body '.repeat(40), tags: ['bench', 't' + (i % 7)]});
  await b.close();`;
execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', seed, env.SUPPORT_DATA_DIR], {stdio: 'inherit'});

function median(cmd, args) {
  // one warm-up run fills Node's compile cache, as any second run of the CLI would have it
  spawnSync(cmd, args, {env, stdio: 'ignore'});
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']});
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const baseline = median(process.execPath, ['-e', '0']);
const cases = [
  ['support --version', ['--version'], 3],
  ['support --help', ['--help'], undefined],
  ['support ticket list --json (1,000 tickets)', ['ticket', 'list', '--json'], 4],
  ['support kb search word', ['kb', 'search', 'word'], 4.5],
];
console.log(`node ${process.version}, ${runs} runs each, median wall time`);
console.log(`${'node -e 0'.padEnd(44)} ${baseline.toFixed(1).padStart(7)} ms   1.00x`);
for (const [name, args, target] of cases) {
  const ms = median(process.execPath, [bin, ...args]);
  const ratio = ms / baseline;
  console.log(`${name.padEnd(44)} ${ms.toFixed(1).padStart(7)} ms   ${ratio.toFixed(2)}x${target ? `   (target <= ${target}x)` : ''}`);
}
rmSync(dir, {recursive: true, force: true});
