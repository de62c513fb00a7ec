import {createHash} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {buffer} from 'node:stream/consumers';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {AttachmentSource, Backend, CallOptions, Capability} from '../../src/backends/backend.js';
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

/** A backend whose attach reads the whole stream (`reopen` times, as a client retrying would), then fails as scripted or stores it. */
function flakyBackend(failures: Error[], options: {capabilities?: Capability[]; corrupt?: boolean; reopen?: number} = {}) {
  const received: Buffer[] = [];
  const calls: CallOptions[] = [];
  const backend = {
    kind: 'fake',
    capabilities: new Set<Capability>(options.capabilities ?? ['tickets', 'attachments']),
    tickets: {
      async attach(id: string, source: AttachmentSource, call: CallOptions = {}): Promise<Attachment> {
        calls.push(call);
        let body = Buffer.alloc(0);
        for (let i = 0; i < (options.reopen ?? 1); i++) {
          body = await buffer(source.open());
          received.push(body);
        }
        const failure = failures.shift();
        if (failure) throw failure;
        const sha256 = options.corrupt ? '0'.repeat(64) : createHash('sha256').update(body).digest('hex');
        return {id: '7', ticketId: id, name: source.name, size: body.length, sha256, contentType: source.contentType ?? '', createdAt: new Date().toISOString()};
      },
    },
  } as unknown as Backend;
  return {backend, received, calls};
}

describe('attachBundle', () => {
  it('sends the bundle once per call, with one idempotency key, and leaves the retries to the backend’s client', async () => {
    const {backend, received, calls} = flakyBackend([]);
    const progress: number[] = [];
    const result = await attachBundle(backend, '42', file, {onProgress: (sent) => progress.push(sent)});
    expect(result).toMatchObject({attempts: 1, sha256: digest, attachment: {ticketId: '42', sha256: digest}});
    expect(received).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(content.length);
  });

  it('never loops around the backend: a network error after its retries is the outcome', async () => {
    for (const failure of [new UnavailableError('connection reset'), new RateLimitError('slow down', {retryAfterSeconds: 7}), new RejectedError('too large')]) {
      const {backend, received} = flakyBackend([failure]);
      await expect(attachBundle(backend, '42', file)).rejects.toBe(failure);
      expect(received).toHaveLength(1);
    }
  });

  it('counts the attempts the backend’s client made, each from a re-opened file starting at 0', async () => {
    const {backend, received} = flakyBackend([], {reopen: 3});
    const progress: number[] = [];
    const result = await attachBundle(backend, '42', file, {onProgress: (sent) => progress.push(sent)});
    expect(result.attempts).toBe(3);
    expect(received.map((b) => b.equals(content))).toEqual([true, true, true]);
    expect(progress.filter((p) => p === 0)).toHaveLength(3);
    expect(progress.at(-1)).toBe(content.length);
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
