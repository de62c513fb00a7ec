import {createServer, type IncomingHttpHeaders} from 'node:http';
import type {AddressInfo} from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  /** Every request, in the order they arrived. */
  received: Received[];
  /** The most requests for one event id that were open at the same moment (1 when none overlapped). */
  maxOverlap(): number;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 that records every delivery and answers what `answer` says
 * (a status; with a `location` for a redirect) for the n-th request (from 1).
 */
export async function startReceiver(answer: (req: {headers: IncomingHttpHeaders; body: string}, n: number) => number | {status: number; location?: string} = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const open = new Map<string, number>();
  let overlap = 0;
  const server = createServer((req, res) => {
    const id = String(req.headers['support-event-id'] ?? '');
    open.set(id, (open.get(id) ?? 0) + 1);
    overlap = Math.max(overlap, open.get(id)!);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const decided = answer({headers: req.headers, body}, received.length + 1);
      const {status, location} = typeof decided === 'number' ? {status: decided, location: undefined} : decided;
      received.push({headers: req.headers, body, status});
      res.writeHead(status, location ? {location} : {});
      res.end(() => open.set(id, open.get(id)! - 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    maxOverlap: () => overlap,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `check` holds (polling), or fails with `what` after `ms`. A wait, not a timing assertion. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
