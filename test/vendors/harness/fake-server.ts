import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';

import type {Contract, ContractRequest, MatchedOperation} from './contract.js';

/**
 * A stateful fake of a vendor's API on 127.0.0.1, behind its contract: every request is checked
 * against the vendor's description before a handler sees it (a request the description refuses
 * gets the vendor's own error answer, and is recorded as a violation), and every response a
 * handler gives is checked before it goes out (an invalid one is recorded and replaced by a 500,
 * so a fake that drifts from the description fails the tests that use it). Faults are injected
 * per request: an answer instead of the handler's, a cut connection before or after the handler
 * ran (a lost response after a committed write), a delay.
 */
export interface FakeRequest extends ContractRequest {
  /** The raw body bytes (uploads). */
  raw: Buffer;
  operationId: string;
  /** Path parameters by name. */
  params: Record<string, string>;
  /** The n-th request this fake received, from 1. */
  seq: number;
  /** The file parts of a multipart/form-data body, with their bytes. */
  files: {field: string; name: string; type: string; data: Buffer}[];
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON; undefined for no body. */
  body?: unknown;
  /** A body that is not JSON (text/plain errors some APIs send). */
  text?: string;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export type Fault =
  | {kind: 'respond'; response: FakeResponse}
  /** Cut the connection before the handler runs: nothing happened. */
  | {kind: 'drop'}
  /** Run the handler (the write is committed), then cut the connection instead of answering. */
  | {kind: 'commit-then-drop'}
  | {kind: 'delay'; ms: number};

export interface FaultRule {
  match: (req: FakeRequest) => boolean;
  fault: Fault;
  /** How many matching requests it applies to (default 1; Infinity for all). */
  times?: number;
}

export interface Recorded {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  operationId: string | null;
  status: number | null;
  violations: string[];
  at: number;
}

export interface VendorFakeOptions {
  contract: Contract;
  handlers: Record<string, Handler>;
  /** The vendor's answer to a request its description refuses (usually a 400 with its error body). */
  rejected: (violations: string[]) => FakeResponse;
  /** The vendor's answer to a path it does not have. */
  notFound: (req: ContractRequest) => FakeResponse;
  /** Before the handler: authentication and rate limits; a response answers instead. */
  before?: (req: FakeRequest) => FakeResponse | undefined;
  /** Headers every response gets (rate-limit state), after the answer is known. */
  decorate?: (req: FakeRequest, res: FakeResponse) => void;
  /**
   * Check a multipart/form-data body as an object (fields, and each file as {filename,
   * contentType, size}) against the operation's schema, for APIs whose multipart forms carry
   * fields besides the file (Freshdesk). Otherwise the body is left to the operation's x-checks.
   */
  parseMultipart?: boolean;
}

function flatQuery(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of search) {
    const prior = out[key];
    out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A multipart/form-data body (parsed by Node's own fetch implementation) as an object the contract
 * can check: text fields as strings (a name ending in [] collects a list), each file part as
 * {filename, contentType, size}; the files' bytes go to the handler. A body that is not valid
 * multipart is kept as text, which no schema of an object accepts.
 */
async function parseMultipart(raw: Buffer, contentType: string): Promise<{body: unknown; files: FakeRequest['files']}> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), {headers: {'content-type': contentType}}).formData();
  } catch {
    return {body: raw.toString('utf8'), files: []};
  }
  const body: Record<string, unknown> = {};
  const files: FakeRequest['files'] = [];
  for (const [name, value] of form.entries()) {
    let entry: unknown = value;
    if (typeof value !== 'string') {
      const data = Buffer.from(await value.arrayBuffer());
      files.push({field: name, name: value.name, type: value.type, data});
      entry = {filename: value.name, contentType: value.type, size: data.length};
    }
    if (name.endsWith('[]')) ((body[name] ??= []) as unknown[]).push(entry);
    else body[name] = entry;
  }
  return {body, files};
}

/** Path parameters of a concrete path under an OpenAPI template such as /api/v2/tickets/{ticket_id}. */
function pathParams(template: string, path: string): Record<string, string> {
  const names: string[] = [];
  const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}|\{([^}]+)\}/g, (_m, a, b) => (names.push(a ?? b), '([^/]+)'))}$`);
  const m = pattern.exec(path);
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m?.[i + 1] ?? '')]));
}

export class VendorFake {
  readonly requests: Recorded[] = [];
  readonly violations: string[] = [];
  private readonly faults: (FaultRule & {left: number})[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly options: VendorFakeOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.violations.push(`fake crashed on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
        res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Applies `fault` to the next matching request(s). */
  inject(rule: FaultRule): void {
    this.faults.push({...rule, left: rule.times ?? 1});
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests of one operation, in order. */
  received(operationId: string): Recorded[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://fake');
    const raw = await readBody(req);
    const contentType = String(req.headers['content-type'] ?? '');
    let body: unknown;
    let files: FakeRequest['files'] = [];
    if (raw.length && /json/i.test(contentType)) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    } else if (this.options.parseMultipart && raw.length && /^multipart\/form-data/i.test(contentType)) {
      ({body, files} = await parseMultipart(raw, contentType));
    }
    const contractRequest: ContractRequest = {method: req.method!, path: url.pathname, query: flatQuery(url.searchParams), headers: req.headers, body, contentType: contentType || undefined, rawLength: raw.length, raw};
    const record: Recorded = {
      seq: this.requests.length + 1,
      method: req.method!,
      path: url.pathname,
      query: contractRequest.query,
      headers: req.headers,
      body: body ?? (raw.length ? `<${raw.length} bytes>` : undefined),
      operationId: null,
      status: null,
      violations: [],
      at: Date.now(),
    };
    this.requests.push(record);
    const {operation, violations} = this.options.contract.checkRequest(contractRequest);
    record.operationId = operation?.operationId ?? null;
    if (violations.length) {
      record.violations.push(...violations);
      this.violations.push(...violations);
      return this.send(res, record, operation, operation ? this.options.rejected(violations) : this.options.notFound(contractRequest), undefined);
    }
    const fakeReq: FakeRequest = {...contractRequest, raw, files, operationId: operation!.operationId, params: pathParams(operation!.path, url.pathname), seq: record.seq};
    const rule = this.faults.find((f) => f.left > 0 && f.match(fakeReq));
    if (rule) rule.left--;
    const fault = rule?.fault;
    if (fault?.kind === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    let response = fault?.kind === 'respond' ? fault.response : this.options.before?.(fakeReq);
    if (!response) {
      const handler = this.options.handlers[operation!.operationId];
      response = handler ? await handler(fakeReq) : {status: 501, body: {error: 'NotImplementedInFake', description: `The fake has no handler for ${operation!.operationId}.`}};
    }
    if (fault?.kind === 'commit-then-drop') {
      record.status = response.status;
      res.socket?.destroy();
      return;
    }
    this.send(res, record, operation, response, fakeReq);
  }

  private send(res: ServerResponse, record: Recorded, operation: MatchedOperation | undefined, response: FakeResponse, req: FakeRequest | undefined): void {
    if (req) this.options.decorate?.(req, response);
    const isText = response.text !== undefined;
    const type = isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    const payload = isText ? response.text! : response.body === undefined ? '' : JSON.stringify(response.body);
    if (operation) {
      const problems = this.options.contract.checkResponse(operation, response.status, payload ? type : '', response.body ?? (isText ? response.text : undefined));
      if (problems.length) {
        record.violations.push(...problems);
        this.violations.push(...problems);
        record.status = 500;
        res.writeHead(500, {'content-type': 'application/json'});
        res.end(JSON.stringify({error: 'FakeAnsweredOutsideTheDescription', description: problems.join('; ')}));
        return;
      }
    }
    record.status = response.status;
    res.writeHead(response.status, {...(payload ? {'content-type': type} : {}), ...response.headers});
    res.end(payload);
  }
}
