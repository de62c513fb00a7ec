import {createHash} from 'node:crypto';
import {Transform, type Readable} from 'node:stream';

import {ClientGone, isHangUp, Problem} from '../problem.js';
import {idempotencyKey, keyScope, replay, sha256, stillRunning, type Handlers, type Result, type RouteContext} from './context.js';

/** Attachments: uploads stream into the store, downloads stream out of it. */
export function attachmentHandlers(ctx: RouteContext): Handlers {
  const {store, visible, maxUploadBytes: maxUpload} = ctx;

  /**
   * An upload's body as a stream that fails past the size limit (the error handler then drains
   * the rest of the request, so that the client reads a 413 rather than a reset connection) and
   * when the client hangs up (one log line, nothing stored).
   */
  const uploadBody = (raw: Readable, declared: number): Readable => {
    let received = 0;
    const payload = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > maxUpload) done(new Problem('payload-too-large', `The file is larger than the ${maxUpload} bytes this server accepts.`));
        else done(null, chunk);
      },
    });
    const hungUp = () =>
      new ClientGone(`the client hung up after ${received} of ${Number.isFinite(declared) ? declared : 'an unknown number of'} bytes; nothing was stored.`);
    raw.on('error', (error) => payload.destroy(isHangUp(error) ? hungUp() : error));
    raw.on('close', () => {
      if (!raw.readableEnded) payload.destroy(hungUp());
    });
    return raw.pipe(payload);
  };

  const findAttachment = async (caller: Parameters<RouteContext['visible']>[0], ticketId: string, attachmentId: string) => {
    const ticket = await visible(caller, ticketId);
    const attachment = ticket.attachments.find((a) => a.id === attachmentId);
    if (!attachment) throw new Problem('not-found', `Ticket ${ticketId} has no attachment ${attachmentId}.`);
    return attachment;
  };

  return {
    uploadAttachment: async (req, caller): Promise<Result> => {
      const id = (req.params as {ticketId: string}).ticketId;
      const {name} = req.query as {name: string};
      await visible(caller, id);
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxUpload) {
        throw new Problem('payload-too-large', `The file is ${declared} bytes; this server accepts at most ${maxUpload}.`);
      }
      const contentType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      // The key is settled before a byte of the body is read: a completed upload replays, one
      // still streaming (on any instance) makes this one a 409, so that one key never makes two attachments.
      const key = idempotencyKey(req);
      const scoped = keyScope(caller, `uploadAttachment ${id}`);
      const claim = key ? await store.idempotency.claim(scoped, key) : undefined;
      if (claim?.state === 'busy') throw stillRunning();
      const payload = uploadBody(req.body as Readable, declared);
      if (claim?.state === 'done') {
        // A retried upload: hash what was sent again, and replay only when it is the same file.
        const hash = createHash('sha256');
        for await (const chunk of payload) hash.update(chunk as Buffer);
        return replay(claim.response, sha256(`${name}\n${hash.digest('hex')}`), 'upload');
      }
      let opened = false;
      let attachment;
      try {
        attachment = await store.tickets.attach(caller.actor, id, {
          name,
          size: Number.isFinite(declared) ? declared : 0,
          contentType,
          open: () => {
            if (opened) throw new Error('The request body can be read only once.');
            opened = true;
            return payload;
          },
        });
      } catch (error) {
        if (key) await store.idempotency.release(scoped, key);
        throw error;
      }
      if (key) await store.idempotency.complete(scoped, key, {requestHash: sha256(`${name}\n${attachment.sha256}`), status: 201, body: JSON.stringify(attachment)});
      return {
        status: 201,
        body: attachment,
        headers: {location: `/v1/tickets/${id}/attachments/${attachment.id}`, ...(key ? {'idempotent-replayed': 'false'} : {})},
      };
    },

    getAttachment: async (req, caller) => {
      const {ticketId, attachmentId} = req.params as {ticketId: string; attachmentId: string};
      return {status: 200, body: await findAttachment(caller, ticketId, attachmentId)};
    },

    downloadAttachment: async (req, caller) => {
      const {ticketId, attachmentId} = req.params as {ticketId: string; attachmentId: string};
      const attachment = await findAttachment(caller, ticketId, attachmentId);
      const stream = await store.tickets.openAttachment(ticketId, attachmentId);
      if (!stream) throw new Problem('not-found', `Ticket ${ticketId} has no attachment ${attachmentId}.`);
      return {
        status: 200,
        stream,
        headers: {
          'content-type': attachment.contentType,
          'content-length': String(attachment.size),
          etag: `"${attachment.sha256}"`,
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(attachment.name)}`,
        },
      };
    },
  };
}
