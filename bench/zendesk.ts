// The zendesk backend through the fake Zendesk on loopback (every request and answer checked
// against Zendesk's description, as in the tests). Prints figures; asserts none.
//
//   npm run build && npx tsx bench/zendesk.ts [--list-runs 7] [--rows 2000] [--limit 700] [--skip-bulk]
//
// 1. `support ticket list --limit 1000 --json` of 1,000 tickets: the fake answers pages of 100
//    (10 requests), against the same command on the local backend; median wall time of the
//    built CLI in a child process, each run after one warm-up.
// 2. `support ticket bulk update` of N rows ({id, priority}: one PUT each) with the fake enforcing
//    L requests in any 60 seconds (429 + Retry-After past it) and sending Zendesk's rate-limit
//    headers; no --rate: the pacer learns the limit from the headers. Reported: wall time,
//    requests, 429s, the busiest 60 seconds, and the share of the limit achieved, i.e. the time
//    the best schedule the window allows would take (L at once, then L a minute) over the time taken.
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {startZendeskFake} from '../test/vendors/zendesk/fake.js';
import {benchCli, busiest, numberArg, perTenSeconds} from './vendor-kit.js';

const listRuns = numberArg('list-runs', 7);
const rows = numberArg('rows', 2000);
const limit = numberArg('limit', 700);

const {dir, cli, cliAsync, median: medianOf, seedLocalTickets, cleanup} = benchCli('zendesk');
const median = (args: string[]) => medianOf(args, listRuns);

try {
  console.log(`node ${process.version}; ${listRuns} runs of each list, median wall time of the built CLI`);
  // 1. Listing 1,000 tickets.
  const listFake = await startZendeskFake();
  listFake.seedTickets(1000, (i) => ({subject: `Ticket ${i}`, tags: ['bench', `t${i % 7}`]}));
  cli(['profile', 'add', 'work', '--backend', 'zendesk', '--url', listFake.url, '--email', 'alice@acme.test']);
  await cliAsync(['auth', 'login', '--profile', 'work', '--with-token'], 'alice-api-token\n');
  seedLocalTickets(1000);
  const listArgs = ['ticket', 'list', '--limit', '1000', '--json'];
  const local = await median(listArgs);
  const before = listFake.server.requests.length;
  const zendesk = await median([...listArgs, '--profile', 'work']);
  const perRun = (listFake.server.requests.filter((r) => r.operationId === 'ListTickets').length - 0) / (listRuns + 1);
  console.log(`ticket list --limit 1000 --json, local            ${local.toFixed(0).padStart(6)} ms`);
  console.log(`ticket list --limit 1000 --json, zendesk (fake)   ${zendesk.toFixed(0).padStart(6)} ms   ${(zendesk / local).toFixed(2)}x local; ${perRun.toFixed(0)} list requests a run (pages of 100), ${listFake.server.requests.length - before} requests in all`);
  if (listFake.server.violations.length) console.log(`description violations: ${listFake.server.violations.length}\n${listFake.server.violations.slice(0, 5).join('\n')}`);
  await listFake.close();

  if (!process.argv.includes('--skip-bulk')) {
    // 2. Bulk update against the limit.
    const fake = await startZendeskFake({ratePerMinute: limit});
    const ids = fake.seedTickets(rows);
    cli(['profile', 'remove', 'work']);
    cli(['profile', 'add', 'work', '--backend', 'zendesk', '--url', fake.url, '--email', 'alice@acme.test']);
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, ids.map((id, i) => JSON.stringify({id: String(id), priority: i % 2 ? 'high' : 'low'})).join('\n'));
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
    console.log(`ticket bulk update, ${rows} rows, fake enforcing ${limit} requests/min (sliding 60 s window), --concurrency 4 (default), no --rate`);
    console.log(`  ${result.succeeded} succeeded, ${result.failed} failed in ${(ms / 1000).toFixed(1)} s; ${sent.length} requests, ${refused} answered 429 (${((100 * refused) / sent.length).toFixed(2)}%)`);
    console.log(`  busiest 60 s: ${busiestMinute} requests (limit ${limit}); average ${((accepted / ms) * 60_000).toFixed(0)} accepted requests/min`);
    console.log(`  share of the limit achieved: ${((100 * bestMs) / ms).toFixed(1)}% (best schedule the window allows: ${(bestMs / 1000).toFixed(0)} s for ${accepted} requests)`);
    console.log(`  requests per 10 s: ${perTenSeconds(times)}`);
    if (fake.server.violations.length) console.log(`description violations: ${fake.server.violations.length}\n${fake.server.violations.slice(0, 5).join('\n')}`);
    await fake.close();
  }
} finally {
  cleanup();
}
