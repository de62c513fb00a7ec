import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import TicketCreate from '../../src/commands/ticket/create.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/** What a person sees when the server refuses the input: one sentence, then every failed rule. */
let box: Sandbox;
let server: TestServer;
let token: string;

beforeEach(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
  token = await server.token('agent', 'alice');
});
afterEach(async () => {
  await server.close();
  box.cleanup();
});

const create = (argv: string[]) =>
  runCommand(TicketCreate, ['--title', 'Refused', '--body', 'b', '--no-suggest', ...argv], {
    env: {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: token},
  });

const longTag = 't'.repeat(101);
const longField = 'f'.repeat(101);

describe('a 400 validation answer through the rest backend', () => {
  it('with one failed rule: one sentence naming the field, exit 5', async () => {
    const run = await create(['--tag', longTag]);
    expect(run.exitCode).toBe(5);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('Error: Field tags[0] must NOT have more than 100 characters.\nHint: Correct what the server named, then run the command again.\n');
  });

  it('with several: a sentence that counts them, then one line per field', async () => {
    const run = await create(['--tag', longTag, '--field', `${longField}=1`]);
    expect(run.exitCode).toBe(5);
    expect(run.stderr.split('\n')).toEqual([
      'Error: The server refused the request for 2 reasons:',
      '  tags[0]: must NOT have more than 100 characters',
      `  fields.${longField}: has an invalid name: it must NOT have more than 100 characters`,
      'Hint: Correct what the server named, then run the command again.',
      '',
    ]);
    const json = await create(['--tag', longTag, '--field', `${longField}=1`, '--json']);
    expect(parseJson<{error: {code: string; message: string; exitCode: number}}>(json.stdout).error).toMatchObject({
      code: 'rejected',
      exitCode: 5,
      message: expect.stringMatching(/^The server refused the request for 2 reasons:\n {2}tags\[0\]: /),
    });
  });

  it('with many: the first ten lines, then how many more', async () => {
    const tags = Array.from({length: 12}, (_, i) => ['--tag', `${i}${longTag}`]).flat();
    const run = await create(tags);
    expect(run.exitCode).toBe(5);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe('Error: The server refused the request for 12 reasons:');
    expect(lines.slice(1, 11)).toEqual(Array.from({length: 10}, (_, i) => `  tags[${i}]: must NOT have more than 100 characters`));
    expect(lines[11]).toBe('  and 2 more');
  });
});
