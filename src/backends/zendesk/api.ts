import type {HttpClient, HttpRequest, HttpResponse} from '../../http/client.js';
import {toDomainError, type ErrorContext} from './errors.js';
import {FieldCatalog, type ZdCustomStatus, type ZdTicketField, type ZdUser} from './map.js';

/** Users per show_many request (Zendesk's limit). */
const USERS_PER_REQUEST = 100;

/**
 * One Zendesk account as the adapter's modules share it: requests with Zendesk's errors turned
 * into the CLI's, and what changes rarely (the signed-in user, users seen, ticket fields,
 * custom statuses) read once per run.
 */
export class ZendeskApi {
  readonly users = new Map<number, ZdUser>();
  private fieldsLoaded?: Promise<FieldCatalog>;
  private statusesLoaded?: Promise<Map<number, ZdCustomStatus>>;
  private meLoaded?: Promise<ZdUser>;

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
      throw toDomainError(error, {profile: this.profile, ...ctx});
    }
  }

  /** The user the token belongs to (GET /api/v2/users/me). */
  me(): Promise<ZdUser> {
    this.meLoaded ??= this.call<{user: ZdUser}>({method: 'GET', path: 'api/v2/users/me'}, {action: 'say who you are'}).then(({user}) => {
      if (user.id !== null) this.users.set(user.id, user);
      return user;
    });
    return this.meLoaded;
  }

  /** Makes sure these users are known (sideloaded ones are remembered; the rest fetched 100 at a time). */
  async loadUsers(ids: Iterable<number | null | undefined>): Promise<void> {
    const missing = [...new Set([...ids].filter((id): id is number => typeof id === 'number' && !this.users.has(id)))];
    for (let i = 0; i < missing.length; i += USERS_PER_REQUEST) {
      const {users} = await this.call<{users: ZdUser[]}>({method: 'GET', path: 'api/v2/users/show_many', query: {ids: missing.slice(i, i + USERS_PER_REQUEST).join(',')}}, {action: 'read users'});
      this.remember(users);
    }
  }

  remember(users: readonly ZdUser[] | undefined): void {
    for (const u of users ?? []) if (u.id !== null) this.users.set(u.id, u);
  }

  fields(): Promise<FieldCatalog> {
    this.fieldsLoaded ??= this.call<{ticket_fields: ZdTicketField[]}>({method: 'GET', path: 'api/v2/ticket_fields'}, {action: 'read the ticket fields'}).then(
      ({ticket_fields}) => new FieldCatalog(ticket_fields.filter((f) => f.active !== false)),
    );
    return this.fieldsLoaded;
  }

  customStatuses(): Promise<Map<number, ZdCustomStatus>> {
    this.statusesLoaded ??= this.call<{custom_statuses: ZdCustomStatus[]}>({method: 'GET', path: 'api/v2/custom_statuses'}, {action: 'read the custom statuses'}).then(
      ({custom_statuses}) => new Map(custom_statuses.map((s) => [s.id, s])),
      // An account without custom statuses may refuse the list: the tickets' categories still read.
      () => new Map(),
    );
    return this.statusesLoaded;
  }
}
