// The jsm backend through the fake Jira Service Management on loopback (every request and answer
// checked against the rules written from Atlassian's descriptions, as in the tests). Prints
// figures; asserts none.
//
//   npm run build && npx tsx bench/jsm.ts [--list-runs 7] [--rows 2000] [--limit 600] [--shape priority|comment] [--skip-bulk]
//
// 1. `support ticket list --limit 1000 --json` of 1,000 requests: the fake answers JQL pages of 100
//    (10 searches through nextPageToken), against the same command on the local backend; median
//    wall time of the built CLI in a child process, each run after one warm-up.
// 2. `support ticket bulk update` of N rows with the fake enforcing Atlassian's cost-based limit
//    as a budget of L cost points in any 60 seconds, one point per request (a write costs the
//    base point only), answering 429 with Retry-After, RateLimit-Reason and X-RateLimit-Reset (to
//    the minute, as Atlassian documents it) past it, and X-RateLimit-Limit/-Remaining on every
//    answer. Atlassian publishes the mechanism, not a figure for API-token traffic; L defaults to
//    600 (10 a second). Rows are {id, priority} (--shape priority) or {id, priority, comment}
//    (--shape comment); the figures say which requests a row took. No --rate: the pacer learns
//    the limit from the headers. Reported: wall time, requests, 429s, the busiest 60
//    seconds, and the share of the limit achieved: the time the best schedule the window allows
//    would take (L at once, then L a minute) over the time taken. A job that fits in one window
//    has no such share: make it more than L requests.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {startJsmFake} from '../test/vendors/jsm/fake.js';
import {benchCli, busiest, numberArg, perTenSeconds} from './vendor-kit.js';

const listRuns = numberArg('list-runs', 7);
const rows = numberArg('rows', 2000);
const limit = numberArg('limit', 600);
const shapeAt = process.argv.indexOf('--shape');
const shape = shapeAt === -1 ? 'priority' : process.argv[shapeAt + 1]!;
if (!['priority', 'comment'].includes(shape)) throw new Error('--shape is priority or comment');

const {dir, cli, cliAsync, median: medianOf, seedLocalTickets, cleanup} = benchCli('jsm');
const median = (args: string[]) => medianOf(args, listRuns);

try {
  console.log(`node ${process.version}; ${listRuns} runs of each list, median wall time of the built CLI`);
  // 1. Listing 1,000 tickets.
  const listFake = await startJsmFake();
  listFake.seedRequests(1000, (i) => ({summary: `Ticket ${i}`, labels: ['bench', `t${i % 7}`]}));
  cli(['profile', 'add', 'work', '--backend', 'jsm', '--url', listFake.url, '--email', 'alice@acme.test', '--option', 'service-desk=ITSM']);
  await cliAsync(['auth', 'login', '--profile', 'work', '--with-token'], 'alice-api-token\n');
  seedLocalTickets(1000);
  const listArgs = ['ticket', 'list', '--limit', '1000', '--json'];
  const local = await median(listArgs);
  const before = listFake.server.requests.length;
  const jsm = await median([...listArgs, '--profile', 'work']);
  const perRun = listFake.server.requests.filter((r) => r.operationId === 'searchAndReconsileIssuesUsingJqlPost').length / (listRuns + 1);
  console.log(`ticket list --limit 1000 --json, local        ${local.toFixed(0).padStart(6)} ms`);
  console.log(`ticket list --limit 1000 --json, jsm (fake)   ${jsm.toFixed(0).padStart(6)} ms   ${(jsm / local).toFixed(2)}x local; ${perRun.toFixed(0)} JQL searches a run (pages of 100), ${listFake.server.requests.length - before} requests in all`);
  if (listFake.server.violations.length) console.log(`description violations: ${listFake.server.violations.length}\n${listFake.server.violations.slice(0, 5).join('\n')}`);
  await listFake.close();

  if (!process.argv.includes('--skip-bulk')) {
    // 2. Bulk update against the limit.
    const fake = await startJsmFake({ratePerMinute: limit});
    const ids = fake.seedRequests(rows);
    cli(['profile', 'remove', 'work']);
    cli(['profile', 'add', 'work', '--backend', 'jsm', '--url', fake.url, '--email', 'alice@acme.test', '--option', 'service-desk=ITSM']);
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, ids.map((id, i) => JSON.stringify({id, priority: i % 2 ? 'high' : 'low', ...(shape === 'comment' ? {comment: `Moved in the bench, row ${i}.`} : {})})).join('\n'));
    // The login's check counts against the window too: wait for it to empty before the run.
    await cliAsync(['auth', 'login', '--profile', 'work', '--with-token'], 'alice-api-token\n');
    await new Promise((r) => setTimeout(r, 61_000));
    const first = fake.server.requests.length;
    const start = Date.now();
    const {ms, stdout} = await cliAsync(['ticket', 'bulk', 'update', '--profile', 'work', '--input', input, '--json']);
    const result = JSON.parse(stdout) as {succeeded: number; failed: number};
    const sent = fake.server.requests.slice(first);
    const refused = sent.filter((r) => r.status === 429).length;
    const times = sent.map((r) => r.at - start).sort((a, b) => a - b);
    const busiestMinute = busiest(times);
    const accepted = sent.length - refused;
    const bestMs = Math.floor((accepted - 1) / limit) * 60_000;
    const ops = new Map<string, number>();
    for (const r of sent) ops.set(r.operationId ?? '?', (ops.get(r.operationId ?? '?') ?? 0) + 1);
    console.log(`ticket bulk update, ${rows} rows {id, priority${shape === 'comment' ? ', comment' : ''}}, fake enforcing ${limit} cost points/min, 1 a request (sliding 60 s window), --concurrency 4 (default), no --rate`);
    console.log(`  ${result.succeeded} succeeded, ${result.failed} failed in ${(ms / 1000).toFixed(1)} s; ${sent.length} requests (${(sent.length / rows).toFixed(2)} a row: ${[...ops].map(([op, n]) => `${op} ${n}`).join(', ')}), ${refused} answered 429 (${((100 * refused) / sent.length).toFixed(2)}%)`);
    console.log(`  busiest 60 s: ${busiestMinute} requests (limit ${limit}); average ${((accepted / ms) * 60_000).toFixed(0)} accepted requests/min`);
    if (bestMs > 0) console.log(`  share of the limit achieved: ${((100 * bestMs) / ms).toFixed(1)}% (best schedule the window allows: ${(bestMs / 1000).toFixed(0)} s for ${accepted} requests)`);
    else console.log(`  no share of the limit: ${accepted} requests fit in one window of ${limit}; give more rows`);
    console.log(`  requests per 10 s: ${perTenSeconds(times)}`);
    if (fake.server.violations.length) console.log(`description violations: ${fake.server.violations.length}\n${fake.server.violations.slice(0, 5).join('\n')}`);
    await fake.close();
  }
} finally {
  cleanup();
}
