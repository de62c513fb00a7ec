// The github backend through the fake GitHub on loopback (every request and answer checked
// against GitHub's own description, as in the tests). Prints figures; asserts none.
//
//   npm run build && npx tsx bench/github.ts [--list-runs 7] [--rows 300] [--writes 80] [--skip-bulk]
//
// 1. `support ticket list --limit 1000 --json` of 1,000 issues (and 50 pull requests mixed in,
//    which the adapter drops): GitHub's pages of 100 over the Link header, against the same
//    command on the local backend; median wall time of the built CLI, each after one warm-up.
// 2. `support ticket bulk update` of N rows ({id, priority}: the adapter reads each issue's
//    labels, then sends one PATCH) with the fake enforcing GitHub's documented limits: 5,000
//    requests an hour (primary; x-ratelimit-* on every answer) and 80 content-creating requests
//    in any minute (secondary; 403 with retry-after and GitHub's message past it). No --rate:
//    the pacer learns from the answers. Reported: wall time, requests, 403/429s, the busiest
//    60 s of writes, and the share of the secondary limit achieved, i.e. the time the best
//    schedule the window allows would take (80 at once, then 80 a minute) over the time taken.
// 3. Conditional reads: a bulk update with a `tags` column reads each issue twice (the bulk
//    service, then the adapter); the second read carries If-None-Match, and GitHub's 304 does
//    not count against the primary limit.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {startGithubFake} from '../test/vendors/github/fake.js';
import {benchCli, busiest, numberArg, perTenSeconds} from './vendor-kit.js';

const listRuns = numberArg('list-runs', 7);
const rows = numberArg('rows', 300);
const writes = numberArg('writes', 80);

// The fake is not github.com: its token goes in the Enterprise Server variable; no gh is asked.
const {dir, cli, cliAsync, median: medianOf, seedLocalTickets, cleanup} = benchCli('github', {GH_ENTERPRISE_TOKEN: 'alice-token'}, /^(GH_TOKEN|GITHUB_TOKEN)$/i);
const median = (args: string[]) => medianOf(args, listRuns);

const profile = (url: string) => {
  try {
    cli(['profile', 'remove', 'oss']);
  } catch {
    // none yet
  }
  cli(['profile', 'add', 'oss', '--backend', 'github', '--repo', 'acme/support', '--url', url]);
};

try {
  console.log(`node ${process.version}; ${listRuns} runs of each list, median wall time of the built CLI`);
  // 1. Listing 1,000 issues.
  const listFake = await startGithubFake();
  listFake.seed(1050, (i) => ({title: `Issue ${i}`, labels: ['bench', `t${i % 7}`], pull_request: i % 21 === 20}));
  profile(listFake.url);
  seedLocalTickets(1000);
  const listArgs = ['ticket', 'list', '--limit', '1000', '--json'];
  const local = await median(listArgs);
  const before = listFake.server.requests.length;
  const github = await median([...listArgs, '--profile', 'oss']);
  const listed = JSON.parse((await cliAsync([...listArgs, '--profile', 'oss'])).stdout) as {tickets: unknown[]};
  const perRun = listFake.server.requests.slice(before).filter((r) => r.operationId === 'issues/list-for-repo').length / (listRuns + 2);
  console.log(`ticket list --limit 1000 --json, local           ${local.toFixed(0).padStart(6)} ms`);
  console.log(`ticket list --limit 1000 --json, github (fake)   ${github.toFixed(0).padStart(6)} ms   ${(github / local).toFixed(2)}x local; ${listed.tickets.length} issues, ${perRun.toFixed(0)} list requests a run (pages of 100, 50 pull requests dropped)`);
  if (listFake.server.violations.length) console.log(`description violations: ${listFake.server.violations.length}\n${listFake.server.violations.slice(0, 5).join('\n')}`);
  await listFake.close();

  if (!process.argv.includes('--skip-bulk')) {
    // 2. Bulk update against GitHub's documented limits.
    const fake = await startGithubFake({writesPerMinute: writes, primaryPerHour: 5000, enforcePrimary: true});
    const ids = fake.seed(rows, () => ({labels: ['bench']}));
    profile(fake.url);
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, ids.map((id, i) => JSON.stringify({id: String(id), priority: i % 2 ? 'high' : 'low'})).join('\n'));
    const first = fake.server.requests.length;
    const start = Date.now();
    const {ms, stdout} = await cliAsync(['ticket', 'bulk', 'update', '--profile', 'oss', '--input', input, '--json']);
    const result = JSON.parse(stdout) as {succeeded: number; failed: number};
    const sent = fake.server.requests.slice(first);
    const refused = sent.filter((r) => r.status === 403 || r.status === 429);
    const writesSent = sent.filter((r) => r.method === 'PATCH' && r.status === 200);
    const times = writesSent.map((r) => r.at - start).sort((a, b) => a - b);
    const busiestMinute = busiest(times);
    const bestMs = Math.floor((writesSent.length - 1) / writes) * 60_000;
    const primaryUsed = sent.filter((r) => r.status !== 304 && r.status !== 401).length;
    console.log(`ticket bulk update, ${rows} rows ({id, priority}: a GET and a PATCH each), fake enforcing ${writes} content-creating requests/min (sliding 60 s) and 5,000 requests/h; --concurrency 4 (default), no --rate`);
    console.log(`  ${result.succeeded} succeeded, ${result.failed} failed in ${(ms / 1000).toFixed(1)} s; ${sent.length} requests (${writesSent.length} PATCHes accepted), ${refused.length} answered 403/429 (${refused.filter((r) => r.status === 403).length} 403, ${refused.filter((r) => r.status === 429).length} 429; ${((100 * refused.length) / sent.length).toFixed(2)}% of requests)`);
    console.log(`  busiest 60 s: ${busiestMinute} PATCHes (limit ${writes}); average ${((writesSent.length / ms) * 60_000).toFixed(0)} accepted PATCHes/min`);
    console.log(`  share of the secondary limit achieved: ${((100 * bestMs) / ms).toFixed(1)}% (best schedule the window allows: ${(bestMs / 1000).toFixed(0)} s for ${writesSent.length} PATCHes)`);
    console.log(`  primary limit: ${primaryUsed} of 5,000 an hour used (${((100 * primaryUsed) / 5000).toFixed(1)}%); at ${writes} rows a minute a run of an hour would need ${(writes * 2 * 60).toLocaleString('en')} requests, so past ~${Math.floor(5000 / (writes * 2))} minutes the primary limit binds instead`);
    console.log(`  PATCHes per 10 s: ${perTenSeconds(times)}`);
    if (fake.server.violations.length) console.log(`description violations: ${fake.server.violations.length}\n${fake.server.violations.slice(0, 5).join('\n')}`);
    await fake.close();
  }

  // 3. Conditional reads in a bulk update with a tags column.
  const etagFake = await startGithubFake();
  const tagged = etagFake.seed(200, () => ({labels: ['bench']}));
  profile(etagFake.url);
  const tagsInput = join(dir, 'tags.jsonl');
  writeFileSync(tagsInput, tagged.map((id) => JSON.stringify({id: String(id), tags: ['bench', 'triaged']})).join('\n'));
  const from = etagFake.server.requests.length;
  await cliAsync(['ticket', 'bulk', 'update', '--profile', 'oss', '--input', tagsInput, '--json']);
  const reads = etagFake.server.requests.slice(from).filter((r) => r.operationId === 'issues/get');
  const conditional = reads.filter((r) => r.headers['if-none-match']).length;
  console.log(`conditional reads, bulk update of ${tagged.length} rows with a tags column: ${reads.length} GETs of issues, ${conditional} conditional, ${etagFake.notModified} answered 304 (free of the primary limit): ${((100 * etagFake.notModified) / reads.length).toFixed(0)}% of the reads`);
  await etagFake.close();
} finally {
  cleanup();
}
