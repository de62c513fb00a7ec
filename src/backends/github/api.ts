import {NotFoundError, RejectedError} from '../../domain/errors.js';
import {HttpStatusError, type HttpClient, type HttpRequest, type HttpResponse} from '../../http/client.js';
import {toDomainError, type ErrorContext} from './errors.js';
import type {GhUser} from './map.js';

/** What a repository lets the token's user do (GET .../collaborators/{user}/permission). */
export interface GhPermission {
  permission: string;
  role_name: string;
}

/** Responses kept for conditional requests, at most this many (the least recently stored go first). */
const ETAG_ENTRIES = 500;

/**
 * One repository of one GitHub as the adapter's modules share it: requests with GitHub's
 * errors turned into the CLI's, the signed-in user read once per run, and reads made
 * conditional: a GET repeated in the same run sends If-None-Match, and GitHub's 304 (which does
 * not count against the rate limit) is answered from the copy kept.
 */
export class GithubApi {
  private meLoaded?: Promise<GhUser>;
  private permissionLoaded?: Promise<GhPermission | undefined>;
  private readonly etags = new Map<string, {etag: string; response: HttpResponse}>();
  /** Conditional reads answered 304 so far, for the benchmark. */
  notModified = 0;

  constructor(
    readonly http: HttpClient,
    readonly profile: string,
    readonly owner: string,
    readonly name: string,
  ) {}

  get repo(): string {
    return `${this.owner}/${this.name}`;
  }

  /** The repository's path prefix: repos/OWNER/NAME. */
  get base(): string {
    return `repos/${encodeURIComponent(this.owner)}/${encodeURIComponent(this.name)}`;
  }

  async call<T>(req: HttpRequest, ctx: Omit<ErrorContext, 'profile' | 'repo'> = {}): Promise<T> {
    return (await this.send(req, ctx)).body as T;
  }

  async send(req: HttpRequest, ctx: Omit<ErrorContext, 'profile' | 'repo'> = {}): Promise<HttpResponse> {
    const key = req.method === 'GET' ? `${req.path}?${new URLSearchParams(Object.entries(req.query ?? {}).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString()}` : undefined;
    const kept = key ? this.etags.get(key) : undefined;
    try {
      const response = await this.http.request(kept ? {...req, headers: {...req.headers, 'if-none-match': kept.etag}} : req);
      const etag = response.headers.etag;
      if (key && typeof etag === 'string') {
        this.etags.delete(key);
        this.etags.set(key, {etag, response});
        if (this.etags.size > ETAG_ENTRIES) this.etags.delete(this.etags.keys().next().value!);
      }
      return response;
    } catch (error) {
      if (kept && error instanceof HttpStatusError && error.status === 304) {
        this.notModified++;
        return kept.response;
      }
      throw toDomainError(error, {profile: this.profile, repo: this.repo, ...ctx});
    }
  }

  /** The user the token belongs to (GET /user). */
  me(): Promise<GhUser> {
    this.meLoaded ??= this.call<GhUser>({method: 'GET', path: 'user'}, {action: 'say who you are'});
    return this.meLoaded;
  }

  /**
   * What the repository lets that user do; undefined when GitHub will not say (a user without
   * push access may not read collaborator permissions: a reader, then). A 404 there is either a
   * repository the token cannot see or a user who is no collaborator: reading one issue of the
   * repository tells which (and whether issues are turned on).
   */
  permission(): Promise<GhPermission | undefined> {
    this.permissionLoaded ??= this.me().then(async (me) => {
      try {
        return await this.call<GhPermission>({method: 'GET', path: `${this.base}/collaborators/${encodeURIComponent(me.login)}/permission`}, {action: 'read your permission'});
      } catch (error) {
        if (error instanceof RejectedError) return undefined;
        if (!(error instanceof NotFoundError)) throw error;
        await this.call({method: 'GET', path: `${this.base}/issues`, query: {per_page: 1, state: 'all'}}, {action: 'read its issues'});
        return undefined;
      }
    });
    return this.permissionLoaded;
  }
}
