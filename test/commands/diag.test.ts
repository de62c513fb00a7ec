import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import {join} from 'node:path';
import {gunzipSync, gzipSync} from 'node:zlib';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import DiagAttach, {type DiagAttachResult} from '../../src/commands/diag/attach.js';
import DiagCollect, {type DiagCollectResult} from '../../src/commands/diag/collect.js';
import DiagInspect, {type DiagInspectResult} from '../../src/commands/diag/inspect.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketView from '../../src/commands/ticket/view.js';
import {secretlintBundle} from '../diag/secretlint.js';
import {readBundleFile} from '../../src/diag/bundle.js';
import type {Ticket, TicketWithComments} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
let root: string;
let cwdBefore: string;
const TOKEN = `st_${createHash('sha256').update(String(Math.random())).digest('hex')}`;

beforeEach(() => {
  box = sandbox();
  root = join(box.dir, 'app');
  mkdirSync(join(root, 'logs'), {recursive: true});
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'logs', 'app.log'), '2024-05-01T10:00:00Z INFO started\n2024-05-01T10:00:01Z INFO login password=Hunter2Hunter2 ok\n');
  writeFileSync(join(root, 'config', 'app.yml'), 'server:\n  port: 8080\n  api_key: Zq8vLk2mPx9wRt4yBn6cVd3s\n');
  writeFileSync(join(root, 'config', 'cert.key'), 'leave me out\n');
  writeFileSync(
    join(root, 'support-diag.yml'),
    [
      'files:',
      '  - config/*.yml',
      '  - config/*.key',
      'exclude:',
      '  - "**/*.key"',
      'logs:',
      '  - path: logs/*.log',
      '    tail: 1MB',
      'commands:',
      '  - name: greeting',
      '    run: [echo, "hello secret=Zq8vLk2mPx9wRt4yBn6cVd3s"]',
      'scrub:',
      '  - id: order',
      '    pattern: "ORD-[0-9]{6}"',
      '',
    ].join('\n'),
  );
  cwdBefore = process.cwd();
  process.chdir(root);
});
afterEach(() => {
  process.chdir(cwdBefore);
  box.cleanup();
});

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand<T>(cmd, argv, {...options, env: {...box.env, SUPPORT_TOKEN: TOKEN, LANG: 'en_GB.UTF-8', ...options.env}});

const bundleText = (path: string) => gunzipSync(readFileSync(path)).toString('latin1');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function collect(extra: string[] = [], env: Record<string, string> = {}) {
  const output = join(box.dir, 'bundle.tar.gz');
  const r = await run<DiagCollectResult>(DiagCollect, ['--yes', '--output', output, '--json', ...extra], {env});
  expect(r.exitCode, r.stderr).toBe(0);
  const lint = await secretlintBundle(output);
  expect(lint.findings, lint.report).toBe(0);
  return {output, summary: parseJson<DiagCollectResult>(r.stdout)};
}

describe('diag collect', () => {
  it('collects the system facts and what support-diag.yml asks for, scrubbed, into a 0600 bundle', async () => {
    const {output, summary} = await collect();
    expect(statSync(output).mode & 0o777).toBe(0o600);
    expect(summary).toMatchObject({path: output, written: true, sha256: sha256(output), size: statSync(output).size, profileFile: join(root, 'support-diag.yml')});
    const paths = summary.files.map((f) => f.path).sort();
    expect(paths).toEqual(['commands/greeting.txt', 'environment.json', 'files/config/app.yml', 'logs/logs/app.log', 'network.json', 'runtime.json', 'system.json']);
    expect(summary.skipped).toContainEqual(expect.objectContaining({source: 'config/cert.key', reason: 'excluded'}));
    expect(summary.collectors.map((c) => [c.name, c.ok])).toEqual([
      ['system', true], ['runtime', true], ['network', true], ['environment', true], ['files', true], ['logs', true], ['command:greeting', true],
    ]);
    expect(summary.redactions['secret-key-name']).toBeGreaterThanOrEqual(3);

    const text = bundleText(output);
    for (const secret of [TOKEN, 'Hunter2Hunter2', 'Zq8vLk2mPx9wRt4yBn6cVd3s']) expect(text).not.toContain(secret);
    expect((await readBundleFile(output, 'logs/logs/app.log'))!.toString()).toContain('login password=REDACTED ok');
    expect((await readBundleFile(output, 'commands/greeting.txt'))!.toString()).toBe('$ echo \'hello secret=REDACTED\'\nhello secret=REDACTED\n[exit code 0]\n');

    const system = JSON.parse((await readBundleFile(output, 'system.json'))!.toString());
    expect(system).toMatchObject({arch: process.arch, kernel: expect.any(String), cpu: {cores: expect.any(Number)}, memory: {totalBytes: expect.any(Number)}, timeZone: {name: expect.any(String)}});
    expect(system.disks[0]).toMatchObject({path: root, availableBytes: expect.any(Number)});
    const runtime = JSON.parse((await readBundleFile(output, 'runtime.json'))!.toString());
    expect(runtime).toMatchObject({node: {version: process.version}, toolkit: {name: 'supportkit'}, activeProfile: 'default'});
    const environment = JSON.parse((await readBundleFile(output, 'environment.json'))!.toString());
    expect(environment.variables).toContain('SUPPORT_TOKEN');
    expect(environment.values).not.toHaveProperty('SUPPORT_TOKEN');
    expect(environment.values).toMatchObject({LANG: 'en_GB.UTF-8', SUPPORT_DATA_DIR: box.env.SUPPORT_DATA_DIR});
    const network = JSON.parse((await readBundleFile(output, 'network.json'))!.toString());
    expect(network.backend).toMatchObject({kind: 'local', target: 'local store', database: {path: join(box.env.SUPPORT_DATA_DIR, 'local', 'support.db')}});
  });

  it('takes --include and --exclude globs, caps each file and the total, and applies --since to logs', async () => {
    writeFileSync(join(root, 'logs', 'app.log'), `2020-01-01T00:00:00Z INFO old line\n2099-01-01T00:00:00Z INFO future line\n`);
    writeFileSync(join(root, 'big.txt'), 'x'.repeat(5000) + '\nlast line\n');
    writeFileSync(join(root, 'skip.txt'), 'excluded\n');
    const {summary, output} = await collect(['--include', '*.txt', '--exclude', 'skip.txt', '--max-file-size', '1KB', '--since', '24h']);
    const big = summary.files.find((f) => f.path === 'files/big.txt')!;
    expect(big).toMatchObject({truncated: true});
    expect(big.size).toBeLessThanOrEqual(1024);
    expect(summary.skipped).toContainEqual(expect.objectContaining({source: 'skip.txt', reason: 'excluded'}));
    expect((await readBundleFile(output, 'logs/logs/app.log'))!.toString()).toBe('2099-01-01T00:00:00Z INFO future line\n');
  });

  it('--dry-run prints the summary and writes nothing', async () => {
    const before = readdirSync(root).sort();
    const r = await run<DiagCollectResult>(DiagCollect, ['--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readdirSync(root).sort()).toEqual(before);
    expect(readdirSync(box.dir).filter((n) => n.endsWith('.tar.gz'))).toEqual([]);
    expect(r.stdout).toMatch(/^bundle\t.*support-bundle-.*\.tar\.gz\tnot written\t/m);
    expect(r.stdout).toMatch(/^file\tlogs\/logs\/app\.log\t/m);
    expect(r.stdout).toMatch(/^redaction\tsecret-key-name\t\d+$/m);
    expect(r.stdout).toMatch(/^skipped\tconfig\/cert\.key\texcluded\t/m);
    expect(r.result).toMatchObject({written: false, attachment: null});
  });

  it('shows a readable summary table on a terminal for --dry-run', async () => {
    const r = await run(DiagCollect, ['--dry-run'], {tty: true});
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('(not written yet)');
    expect(r.stdout).toMatch(/FILE\s+SIZE\s+FROM\s+CUT\s+REDACTED/);
    expect(r.stdout).toMatch(/Redactions: \d+/);
    expect(r.stdout).toMatch(/LEFT OUT\s+REASON\s+DETAIL/);
    expect(r.stdout).toContain('config/cert.key');
  });

  it('refuses to write without a terminal or --yes: exit 2 naming --yes, and nothing written', async () => {
    const before = readdirSync(root).sort();
    const r = await run(DiagCollect, ['--output', join(box.dir, 'bundle.tar.gz')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(r.stderr).toContain('--dry-run');
    expect(existsSync(join(box.dir, 'bundle.tar.gz'))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(before);
  });

  it('records a command that times out and one that cannot run, and still completes the bundle', async () => {
    writeFileSync(
      join(root, 'slow.yml'),
      ['commands:', '  - name: slow', '    run: "echo started; sleep 20"', '    shell: true', '    timeout: 1s', '  - name: missing', '    run: [no-such-program-here]', ''].join('\n'),
    );
    const started = Date.now();
    const {output, summary} = await collect(['--profile-file', 'slow.yml']);
    expect(Date.now() - started).toBeLessThan(15_000);
    const slow = summary.collectors.find((c) => c.name === 'command:slow')!;
    expect(slow).toMatchObject({ok: false, error: expect.stringContaining('timed out after 1 s')});
    expect(summary.collectors.find((c) => c.name === 'command:missing')).toMatchObject({ok: false, error: expect.stringContaining('not found')});
    expect(summary.collectors.filter((c) => c.ok).map((c) => c.name)).toEqual(['system', 'runtime', 'network', 'environment']);
    expect((await readBundleFile(output, 'commands/slow.txt'))!.toString()).toMatch(/^\$ echo started; sleep 20\nstarted\n\[killed: no exit within 1 s\]\n$/);
    const inspected = await run<DiagInspectResult>(DiagInspect, [output, '--json']);
    expect(inspected.exitCode).toBe(0);
    expect(parseJson<DiagInspectResult>(inspected.stdout).collectors).toContainEqual(expect.objectContaining({name: 'command:slow', ok: false}));
  });

  it('probes a URL backend: DNS, TCP and HTTP status, with the userinfo out of the bundle', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as {port: number}).port;
    try {
      const {output} = await collect([], {SUPPORT_BACKEND: 'rest', SUPPORT_URL: `http://agent:S3cretPassw0rd@127.0.0.1:${port}/api`, HTTPS_PROXY: 'http://proxyuser:Pr0xyPass@proxy.internal:3128'});
      const network = JSON.parse((await readBundleFile(output, 'network.json'))!.toString());
      expect(network.backend).toMatchObject({kind: 'rest', target: `http://127.0.0.1:${port}/api`, reachable: true, tcp: {ok: true, port}, http: {ok: true, status: 204}});
      expect(network.backend.latencyMs).toEqual(expect.any(Number));
      expect(network.proxies.HTTPS_PROXY).toBe('http://REDACTED@proxy.internal:3128');
      const text = bundleText(output);
      expect(text).not.toContain('S3cretPassw0rd');
      expect(text).not.toContain('Pr0xyPass');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('--ticket attaches the bundle; the ticket lists it with the bundle sha256', async () => {
    const created = await run<Ticket>(TicketCreate, ['--title', 'Crash', '--body', 'See bundle', '--json']);
    const ticket = parseJson<Ticket>(created.stdout);
    const {output, summary} = await collect(['--ticket', ticket.id]);
    expect(summary.attachment).toMatchObject({ticketId: ticket.id, name: 'bundle.tar.gz', sha256: sha256(output), size: statSync(output).size, contentType: 'application/gzip'});
    const view = parseJson<TicketWithComments>((await run(TicketView, [ticket.id, '--json'])).stdout);
    expect(view.attachments).toEqual([expect.objectContaining({name: 'bundle.tar.gz', sha256: summary.sha256})]);
  });

  it('--ticket with a ticket that does not exist fails before collecting (exit 3)', async () => {
    const r = await run(DiagCollect, ['--yes', '--output', join(box.dir, 'bundle.tar.gz'), '--ticket', '99']);
    expect(r.exitCode).toBe(3);
    expect(existsSync(join(box.dir, 'bundle.tar.gz'))).toBe(false);
  });

  it('reports a bad collection profile as a usage error', async () => {
    writeFileSync(join(root, 'bad.yml'), 'logs: [\n');
    const r = await run(DiagCollect, ['--dry-run', '--profile-file', 'bad.yml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is not valid YAML');
    const unknown = await run(DiagCollect, ['--dry-run', '--max-total-size', 'lots']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('"lots" is not a --max-total-size');
  });

  it('--pseudonymize replaces the host name and keeps the map on this machine', async () => {
    const {hostname} = await import('node:os');
    writeFileSync(join(root, 'logs', 'app.log'), `2024-05-01T10:00:00Z INFO mail from alice@corp.example on ${hostname()}\n`);
    const {output, summary} = await collect(['--pseudonymize']);
    const text = bundleText(output);
    expect(text).not.toContain('alice@corp.example');
    expect(summary.pseudonymMap).toBe(join(box.env.SUPPORT_DATA_DIR, 'diag', 'pseudonyms.json'));
    const map = JSON.parse(readFileSync(summary.pseudonymMap!, 'utf8'));
    expect(Object.values(map.entries)).toContain('alice@corp.example');
  });
});

describe('diag inspect', () => {
  it('verifies every checksum and lists the contents and redactions', async () => {
    const {output, summary} = await collect();
    const r = await run<DiagInspectResult>(DiagInspect, [output, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = parseJson<DiagInspectResult>(r.stdout);
    expect(result).toMatchObject({ok: true, problems: [], sha256: summary.sha256, redactions: summary.redactions});
    expect(result.files.every((f) => f.verified)).toBe(true);
    const table = await run(DiagInspect, [output], {tty: true});
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toContain(`All ${summary.files.length} files match the manifest.`);
  });

  it('exits 1 and names the file when the bundle was tampered with', async () => {
    const {output} = await collect();
    const tar = gunzipSync(readFileSync(output));
    const at = tar.indexOf('INFO started');
    expect(at).toBeGreaterThan(0);
    tar.write('INFO STARTED', at, 'latin1');
    writeFileSync(output, gzipSync(tar));
    const r = await run<DiagInspectResult>(DiagInspect, [output, '--json']);
    expect(r.exitCode).toBe(1);
    const result = parseJson<DiagInspectResult>(r.stdout);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({kind: 'checksum-mismatch', path: 'logs/logs/app.log'})]);
    expect(result.files.find((f) => f.path === 'logs/logs/app.log')!.verified).toBe(false);
    const plain = await run(DiagInspect, [output]);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toMatch(/^problem\tchecksum-mismatch\tlogs\/logs\/app\.log\t/m);
    expect(plain.stderr).toContain('does not match its manifest');
  });

  it('exits 2 for a file that does not exist', async () => {
    const r = await run(DiagInspect, [join(box.dir, 'nope.tar.gz')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('does not exist');
  });
});

describe('diag attach', () => {
  it('uploads a bundle to a ticket on the local backend and stores it beside the ticket', async () => {
    const ticket = parseJson<Ticket>((await run(TicketCreate, ['--title', 'Crash', '--body', 'x', '--json'])).stdout);
    const {output} = await collect();
    const r = await run<DiagAttachResult>(DiagAttach, [output, '--ticket', ticket.id, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = parseJson<DiagAttachResult>(r.stdout);
    expect(result).toMatchObject({attempts: 1, sha256: sha256(output), attachment: {ticketId: ticket.id, sha256: sha256(output)}});
    const stored = join(box.env.SUPPORT_DATA_DIR, 'local', 'attachments', ticket.id, result.sha256);
    expect(readFileSync(stored).equals(readFileSync(output))).toBe(true);
    const piped = await run(DiagAttach, [output, '--ticket', ticket.id]);
    expect(piped.stdout.trim()).toMatch(/^\d+$/);
  });

  it('fails with exit 3 for a ticket that does not exist', async () => {
    const {output} = await collect();
    const r = await run(DiagAttach, [output, '--ticket', '404']);
    expect(r.exitCode).toBe(3);
  });
});
