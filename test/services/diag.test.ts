import {createHash} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {buffer} from 'node:stream/consumers';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {AttachmentSource, Backend, Capability} from '../../src/backends/backend.js';
import {RateLimitError, RejectedError, UnavailableError, UnsupportedError} from '../../src/domain/errors.js';
import type {Attachment} from '../../src/domain/ticket.js';
import {attachBundle, defaultBundleName} from '../../src/services/diag.js';

let dir: string;
let file: string;
const content = Buffer.from('a bundle '.repeat(10_000));
const digest = createHash('sha256').update(content).digest('hex');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'diag-attach-'));
  file = join(dir, 'bundle.tar.gz');
  writeFileSync(file, content);
});
afterEach(() => rmSync(dir, {recursive: true, force: true}));

/** A backend whose attach reads the whole stream, then fails as scripted or stores it. */
function flakyBackend(failures: Error[], options: {capabilities?: Capability[]; corrupt?: boolean} = {}) {
  const received: Buffer[] = [];
  const backend = {
    kind: 'fake',
    capabilities: new Set<Capability>(options.capabilities ?? ['tickets', 'attachments']),
    tickets: {
      async attach(id: string, source: AttachmentSource): Promise<Attachment> {
        const body = await buffer(source.open());
        received.push(body);
        const failure = failures.shift();
        if (failure) throw failure;
        const sha256 = options.corrupt ? '0'.repeat(64) : createHash('sha256').update(body).digest('hex');
        return {id: '7', ticketId: id, name: source.name, size: body.length, sha256, contentType: source.contentType ?? '', createdAt: new Date().toISOString()};
      },
    },
  } as unknown as Backend;
  return {backend, received};
}

describe('attachBundle', () => {
  it('retries after network and rate-limit errors from a re-opened file, with back-off and Retry-After', async () => {
    const {backend, received} = flakyBackend([new UnavailableError('connection reset'), new RateLimitError('slow down', {retryAfterSeconds: 7})]);
    const waits: number[] = [];
    const progress: number[] = [];
    const result = await attachBundle(backend, '42', file, {baseDelayMs: 100, sleep: async (ms) => void waits.push(ms), onProgress: (sent) => progress.push(sent)});
    expect(result).toMatchObject({attempts: 3, sha256: digest, attachment: {ticketId: '42', sha256: digest}});
    expect(received.map((b) => b.equals(content))).toEqual([true, true, true]);
    expect(waits).toEqual([100, 7000]);
    expect(progress.at(-1)).toBe(content.length);
  });

  it('gives up after the last attempt with the backend error', async () => {
    const {backend} = flakyBackend([new UnavailableError('a'), new UnavailableError('b'), new UnavailableError('c')]);
    await expect(attachBundle(backend, '42', file, {attempts: 3, sleep: async () => {}})).rejects.toThrow('c');
  });

  it('does not retry an error the backend will give again', async () => {
    const {backend, received} = flakyBackend([new RejectedError('too large')]);
    await expect(attachBundle(backend, '42', file, {sleep: async () => {}})).rejects.toBeInstanceOf(RejectedError);
    expect(received).toHaveLength(1);
  });

  it('fails when the sha256 the backend stored differs from the local file', async () => {
    const {backend} = flakyBackend([], {corrupt: true});
    await expect(attachBundle(backend, '42', file)).rejects.toThrow(/differs from the local file/);
  });

  it('says so when the backend has no attachments', async () => {
    const {backend} = flakyBackend([], {capabilities: ['tickets']});
    await expect(attachBundle(backend, '42', file)).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe('defaultBundleName', () => {
  it('names the host and the UTC time, safe for a file name', () => {
    expect(defaultBundleName('build box/7', new Date('2024-05-01T10:15:30.123Z'))).toBe('support-bundle-build-box-7-20240501T101530Z.tar.gz');
  });
});
