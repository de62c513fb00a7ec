// The freshdesk backend through the fake Freshdesk on loopback (every request and answer checked
// against the rules written out from Freshdesk's reference, as in the tests). Prints figures;
// asserts none.
//
//   npm run build && npx tsx bench/freshdesk.ts [--list-runs 7] [--rows 200] [--plan growth|pro|enterprise] [--skip-bulk]
//
// 1. `support ticket list --limit 1000 --json` of 1,000 tickets: pages of 100 from the list
//    endpoint (updated_since from the start, include=requester,description: 5 credits a page),
//    against the same command on the local backend; median wall time of the built CLI in a child
//    process, each run after one warm-up.
// 2. `support ticket bulk update` of N rows ({id, priority}) with the fake enforcing the plan's
//    per-minute credit budget (Growth 200, Pro 400, Enterprise 700, as ../shared/vendors/freshdesk.md
//    has them for the per-minute plans; 429 + Retry-After past it) and sending X-RateLimit-Total/
//    -Remaining/-Used-CurrentRequest; no --rate: the pacer learns the budget from the headers.
//    What a row costs (its PUT, and the reads the adapter needs) is in the figures, as requests
//    and credits. Reported: wall time, requests,
//    credits, 429s, and the share of the budget achieved: the time the best schedule the budget
//    allows would take (a minute's budget at once, then one a minute) over the time taken.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {PLAN_LIMITS, startFreshdeskFake} from '../test/vendors/freshdesk/fake.js';
import {arg, benchCli, perTenSeconds} from './vendor-kit.js';

const listRuns = Number(arg('list-runs', '7'));
const rows = Number(arg('rows', '200'));
const plan = arg('plan', 'growth') as keyof typeof PLAN_LIMITS;
const limit = PLAN_LIMITS[plan];

const {dir, cli, cliAsync, median: medianOf, seedLocalTickets, cleanup} = benchCli('freshdesk');
const median = (args: string[]) => medianOf(args, listRuns);

try {
  console.log(`node ${process.version}; ${listRuns} runs of each list, median wall time of the built CLI`);
  const listFake = await startFreshdeskFake();
  // Half of them older than 30 days: the list must not stop there.
  listFake.seedTickets(500, (i) => ({subject: `Old ticket ${i}`, tags: ['bench', `t${i % 7}`]}), 60);
  listFake.seedTickets(500, (i) => ({subject: `Ticket ${i}`, tags: ['bench', `t${i % 7}`]}));
  cli(['profile', 'add', 'fd', '--backend', 'freshdesk', '--url', listFake.url]);
  await cliAsync(['auth', 'login', '--profile', 'fd', '--with-token'], 'alice-api-key\n');
  seedLocalTickets(1000);
  const listArgs = ['ticket', 'list', '--limit', '1000', '--json'];
  const local = await median(listArgs);
  const before = listFake.server.requests.length;
  const creditsBefore = listFake.credits.length;
  const fd = await median([...listArgs, '--profile', 'fd']);
  const got = (JSON.parse((await cliAsync([...listArgs, '--profile', 'fd'])).stdout) as {tickets: unknown[]}).tickets.length;
  const runs = listRuns + 2;
  const lists = listFake.server.requests.slice(before).filter((r) => r.operationId === 'ListTickets').length / runs;
  const credits = listFake.credits.slice(creditsBefore).reduce((n, c) => n + c.cost, 0) / runs;
  console.log(`ticket list --limit 1000 --json, local              ${local.toFixed(0).padStart(6)} ms`);
  console.log(`ticket list --limit 1000 --json, freshdesk (fake)   ${fd.toFixed(0).padStart(6)} ms   ${(fd / local).toFixed(2)}x local; ${got} tickets (500 older than 30 days); ${lists.toFixed(0)} list requests and ${credits.toFixed(0)} credits a run`);
  if (listFake.server.violations.length) console.log(`rule violations: ${listFake.server.violations.length}\n${listFake.server.violations.slice(0, 5).join('\n')}`);
  await listFake.close();

  if (!process.argv.includes('--skip-bulk')) {
    const fake = await startFreshdeskFake({creditsPerMinute: limit});
    const ids = fake.seedTickets(rows);
    cli(['profile', 'remove', 'fd']);
    cli(['profile', 'add', 'fd', '--backend', 'freshdesk', '--url', fake.url]);
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, ids.map((id, i) => JSON.stringify({id: String(id), priority: i % 2 ? 'high' : 'urgent'})).join('\n'));
    await cliAsync(['auth', 'login', '--profile', 'fd', '--with-token'], 'alice-api-key\n');
    // The login's check counts against the minute too: wait for a fresh one before the run.
    await new Promise((r) => setTimeout(r, 61_000));
    const first = fake.server.requests.length;
    const firstCredit = fake.credits.length;
    const start = Date.now();
    const {ms, stdout} = await cliAsync(['ticket', 'bulk', 'update', '--profile', 'fd', '--input', input, '--json']);
    const result = JSON.parse(stdout) as {succeeded: number; failed: number};
    const sent = fake.server.requests.slice(first);
    const refused = sent.filter((r) => r.status === 429).length;
    const spent = fake.credits.slice(firstCredit).reduce((n, c) => n + c.cost, 0);
    // The best the budget allows: a minute's worth at once, then one a minute.
    const bestMs = Math.floor((spent - 1) / limit) * 60_000;
    console.log(`ticket bulk update, ${rows} rows, fake on the ${plan} plan: ${limit} credits a minute, --concurrency 4 (default), no --rate`);
    console.log(`  ${result.succeeded} succeeded, ${result.failed} failed in ${(ms / 1000).toFixed(1)} s; ${sent.length} requests, ${spent} credits, ${refused} answered 429 (${((100 * refused) / sent.length).toFixed(2)}%)`);
    console.log(`  average ${((spent / ms) * 60_000).toFixed(0)} credits/min (${((rows / ms) * 60_000).toFixed(0)} rows/min)`);
    console.log(`  share of the budget achieved: ${((100 * bestMs) / ms).toFixed(1)}% (best schedule the budget allows: ${(bestMs / 1000).toFixed(0)} s for ${spent} credits)`);
    console.log(`  requests per 10 s: ${perTenSeconds(sent.map((r) => r.at - start))}`);
    if (fake.server.violations.length) console.log(`rule violations: ${fake.server.violations.length}\n${fake.server.violations.slice(0, 5).join('\n')}`);
    await fake.close();
  }
} finally {
  cleanup();
}
