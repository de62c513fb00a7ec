import {NotFoundError} from '../../domain/errors.js';
import type {HttpClient, HttpRequest, HttpResponse} from '../../http/client.js';
import {toDomainError, type ErrorContext} from './errors.js';
import {FieldCatalog, type FdAgent, type FdPerson, type FdTicketField} from './map.js';

/** Freshdesk's largest page (https://developers.freshdesk.com/api/#pagination). */
export const PAGE = 100;

/** The URL of the next page, from a `Link: <...>; rel="next"` header; null on the last page. */
export function nextLink(headers: HttpResponse['headers']): string | null {
  const raw = headers.link;
  const text = Array.isArray(raw) ? raw.join(', ') : raw;
  if (!text) return null;
  for (const part of text.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel="?next"?/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

/** The `page` a next link asks for. */
export function pageOf(link: string): number | undefined {
  const page = new URL(link, 'https://x.invalid').searchParams.get('page');
  return page && /^\d+$/.test(page) ? Number(page) : undefined;
}

/**
 * One Freshdesk account as the adapter's modules share it: requests with Freshdesk's errors
 * turned into the CLI's, and what changes rarely (the signed-in agent, the agents, people seen,
 * the ticket fields) read once per run.
 */
export class FreshdeskApi {
  /** Agents and contacts by id, as tickets and conversations name them. */
  readonly people = new Map<number, FdPerson>();
  private fieldsLoaded?: Promise<FieldCatalog>;
  private agentsLoaded?: Promise<FdAgent[]>;
  private meLoaded?: Promise<FdAgent>;
  private catalog?: FieldCatalog;

  constructor(
    readonly http: HttpClient,
    readonly profile: string,
  ) {}

  async call<T>(req: HttpRequest, ctx: Omit<ErrorContext, 'profile'> = {}): Promise<T> {
    return (await this.send(req, ctx)).body as T;
  }

  async send(req: HttpRequest, ctx: Omit<ErrorContext, 'profile'> = {}): Promise<HttpResponse> {
    try {
      return await this.http.request(req);
    } catch (error) {
      const catalog = this.catalog;
      throw toDomainError(error, {profile: this.profile, fieldKey: catalog ? (n) => catalog.keyOf(n) : undefined, ...ctx});
    }
  }

  /** Every item of a list, page by page through its Link header. */
  async all<T>(req: HttpRequest, ctx: Omit<ErrorContext, 'profile'> = {}): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; ) {
      const res = await this.send({...req, query: {...req.query, per_page: PAGE, page}}, ctx);
      out.push(...((res.body as T[] | undefined) ?? []));
      const next = nextLink(res.headers);
      const nextPage = next ? pageOf(next) : undefined;
      if (!nextPage || nextPage <= page) return out;
      page = nextPage;
    }
  }

  /** The agent the API key belongs to (GET /api/v2/agents/me). */
  me(): Promise<FdAgent> {
    this.meLoaded ??= this.call<FdAgent>({method: 'GET', path: 'api/v2/agents/me'}, {action: 'say who you are'}).then((agent) => {
      this.rememberAgent(agent);
      return agent;
    });
    return this.meLoaded;
  }

  /** Every agent of the account (few; read once): they assign and answer tickets. */
  agents(): Promise<FdAgent[]> {
    this.agentsLoaded ??= this.all<FdAgent>({method: 'GET', path: 'api/v2/agents'}, {action: 'list the agents'}).then((agents) => {
      for (const a of agents) this.rememberAgent(a);
      return agents;
    });
    return this.agentsLoaded;
  }

  rememberAgent(a: FdAgent): void {
    this.people.set(a.id, {id: a.id, name: a.contact.name, email: a.contact.email ?? null, agent: true});
  }

  /** A ticket's embedded requester (include=requester); an agent seen as an agent stays one. */
  rememberRequester(r: {id: number; name?: string | null; email?: string | null} | undefined): void {
    if (!r || this.people.get(r.id)?.agent) return;
    this.people.set(r.id, {id: r.id, name: r.name ?? '', email: r.email ?? null, agent: false});
  }

  /** Makes sure these users are known: agents from the agent list, the rest read one by one as contacts. */
  async loadPeople(ids: Iterable<number | null | undefined>): Promise<void> {
    const wanted = [...new Set([...ids].filter((id): id is number => typeof id === 'number'))];
    if (wanted.every((id) => this.people.has(id))) return;
    await this.agents();
    for (const id of wanted) {
      if (this.people.has(id)) continue;
      try {
        const c = await this.call<{id: number; name: string; email?: string | null}>({method: 'GET', path: `api/v2/contacts/${id}`}, {subject: `contact ${id}`, action: `read contact ${id}`});
        this.people.set(c.id, {id: c.id, name: c.name, email: c.email ?? null, agent: false});
      } catch (error) {
        // A deleted contact still names old tickets: they show its id.
        if (!(error instanceof NotFoundError)) throw error;
        this.people.set(id, {id, name: String(id), email: null, agent: false});
      }
    }
  }

  fields(): Promise<FieldCatalog> {
    this.fieldsLoaded ??= this.call<FdTicketField[]>({method: 'GET', path: 'api/v2/ticket_fields'}, {action: 'read the ticket fields'}).then((fields) => {
      this.catalog = new FieldCatalog(fields);
      return this.catalog;
    });
    return this.fieldsLoaded;
  }
}
