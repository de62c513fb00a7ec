import {NotFoundError, UsageError} from '../../domain/errors.js';
import type {HttpClient, HttpRequest, HttpResponse} from '../../http/client.js';
import {toDomainError, type ErrorContext} from './errors.js';
import {FieldCatalog, userRef, type JiraField, type JiraUser, type SdPage, type SdRequestType, type SdServiceDesk} from './map.js';

/** Service Desk API pages: JSM caps them at 50 by default and 100 at most for most resources. */
export const SD_PAGE = 50;

export interface JsmSettings {
  /** The service desk: a project key (ITSM) or a service desk id. */
  serviceDesk?: string;
  /** The request type of new requests: an id or a name. */
  requestType?: string;
  /** incident:Report an incident,question:Get IT help — the request type each toolkit type stands for. */
  typeMap?: string;
}

/**
 * One Jira Service Management site as the adapter's modules share it: requests with JSM's errors
 * turned into the CLI's, and what changes rarely (the signed-in user, the fields, the service desk
 * and its request types) read once per run.
 */
export class JsmApi {
  private meLoaded?: Promise<JiraUser>;
  private fieldsLoaded?: Promise<FieldCatalog>;
  private deskLoaded?: Promise<SdServiceDesk>;
  private typesLoaded?: Promise<SdRequestType[]>;
  private readonly formFields = new Map<string, Promise<Set<string>>>();
  private readonly users = new Map<string, Promise<JiraUser[]>>();
  /** Issue ids this run wrote to, newest last: JQL search may lag writes, and reconciles these (at most 50). */
  readonly written: number[] = [];

  constructor(
    readonly http: HttpClient,
    readonly profile: string,
    readonly settings: JsmSettings,
  ) {}

  async call<T>(req: HttpRequest, ctx: Omit<ErrorContext, 'profile'> = {}): Promise<T> {
    return (await this.send(req, ctx)).body as T;
  }

  async send(req: HttpRequest, ctx: Omit<ErrorContext, 'profile'> = {}): Promise<HttpResponse> {
    try {
      return await this.http.request(req);
    } catch (error) {
      const catalog = this.fieldsLoaded ? await this.fieldsLoaded.catch(() => undefined) : undefined;
      throw toDomainError(error, {profile: this.profile, fieldName: catalog ? (id) => catalog.keyOf(id) : undefined, ...ctx});
    }
  }

  noteWrite(issueId: string | number | undefined): void {
    const id = Number(issueId);
    if (!Number.isInteger(id)) return;
    const at = this.written.indexOf(id);
    if (at !== -1) this.written.splice(at, 1);
    this.written.push(id);
    if (this.written.length > 50) this.written.shift();
  }

  /** The user the token belongs to (GET /rest/api/3/myself). */
  me(): Promise<JiraUser> {
    this.meLoaded ??= this.call<JiraUser>({method: 'GET', path: 'rest/api/3/myself'}, {action: 'say who you are'});
    return this.meLoaded;
  }

  fields(): Promise<FieldCatalog> {
    this.fieldsLoaded ??= this.call<JiraField[]>({method: 'GET', path: 'rest/api/3/field'}, {action: 'read the fields'}).then((list) => new FieldCatalog(list));
    return this.fieldsLoaded;
  }

  /**
   * The profile's service desk (`--option service-desk=ITSM`: a project key or a desk id); without
   * the option, the site's only desk, or a usage error naming the desks there are.
   */
  serviceDesk(): Promise<SdServiceDesk> {
    this.deskLoaded ??= (async () => {
      const wanted = this.settings.serviceDesk?.trim();
      if (wanted) {
        return this.call<SdServiceDesk>(
          {method: 'GET', path: `rest/servicedeskapi/servicedesk/${encodeURIComponent(wanted)}`},
          {subject: `service desk ${wanted}`, action: `read the service desk ${wanted}`},
        ).catch((error: unknown) => {
          if (error instanceof NotFoundError) {
            throw new NotFoundError(`There is no service desk ${wanted} on this site, or this user is no agent of it.`, {hint: 'Give the project key of the desk, e.g. --option service-desk=ITSM (support profile remove, then profile add).'});
          }
          throw error;
        });
      }
      const desks = await this.allPages<SdServiceDesk>('rest/servicedeskapi/servicedesk', {}, 'list the service desks');
      if (desks.length === 1) return desks[0]!;
      throw new UsageError(desks.length ? `The profile "${this.profile}" names no service desk, and this site has ${desks.length}.` : 'This user is an agent of no service desk on this site.', {
        hint: desks.length
          ? `Add the profile again with --option service-desk=KEY; the desks are: ${desks.map((d) => `${d.projectKey} (${d.projectName ?? d.id})`).join(', ')}.`
          : 'The Service Desk API needs an agent of a service desk: ask a Jira admin to add you to one.',
      });
    })();
    return this.deskLoaded;
  }

  requestTypes(): Promise<SdRequestType[]> {
    this.typesLoaded ??= this.serviceDesk().then((desk) => this.allPages<SdRequestType>(`rest/servicedeskapi/servicedesk/${desk.id}/requesttype`, {}, 'list the request types'));
    return this.typesLoaded;
  }

  /** The fields on a request type's portal form: only these may go with the create. */
  requestTypeFields(deskId: string, requestTypeId: string): Promise<Set<string>> {
    const key = `${deskId}/${requestTypeId}`;
    let loaded = this.formFields.get(key);
    if (!loaded) {
      loaded = this.call<{requestTypeFields?: {fieldId: string}[]}>(
        {method: 'GET', path: `rest/servicedeskapi/servicedesk/${deskId}/requesttype/${requestTypeId}/field`},
        {action: 'read the fields of the request type'},
      ).then((meta) => new Set((meta.requestTypeFields ?? []).map((f) => f.fieldId)));
      this.formFields.set(key, loaded);
    }
    return loaded;
  }

  /** Users whose name or email matches (GET /rest/api/3/user/search), once per text and run. */
  findUsers(text: string): Promise<JiraUser[]> {
    const key = text.trim().toLowerCase();
    let found = this.users.get(key);
    if (!found) {
      found = this.call<JiraUser[]>({method: 'GET', path: 'rest/api/3/user/search', query: {query: text.trim(), maxResults: 50}}, {action: `look up the user ${text}`});
      this.users.set(key, found);
    }
    return found;
  }

  /**
   * One user named as the toolkit names them: an account id, an email, or an exact display name
   * (one must match); undefined when nobody does.
   */
  async user(text: string): Promise<JiraUser | undefined> {
    const wanted = text.trim();
    const me = await this.me();
    if (wanted === me.accountId || wanted.toLowerCase() === userRef(me).toLowerCase()) return me;
    const users = (await this.findUsers(wanted)).filter((u) => u.accountType !== 'app');
    const exact = users.filter((u) => u.accountId === wanted || u.emailAddress?.toLowerCase() === wanted.toLowerCase() || u.displayName?.toLowerCase() === wanted.toLowerCase());
    const agents = exact.filter((u) => u.accountType !== 'customer');
    const pick = agents.length ? agents : exact;
    if (pick.length > 1) {
      throw new UsageError(`Several Jira users are named "${wanted}".`, {hint: `Give the email or account id instead: ${pick.map((u) => u.emailAddress ?? u.accountId).filter(Boolean).join(', ')}.`});
    }
    return pick[0];
  }

  /** Every page of a Service Desk API list. */
  async allPages<T>(path: string, query: HttpRequest['query'], action: string): Promise<T[]> {
    const out: T[] = [];
    for (let start = 0; ; ) {
      const page = await this.call<SdPage<T>>({method: 'GET', path, query: {...query, start, limit: SD_PAGE}}, {action});
      out.push(...page.values);
      if (page.isLastPage !== false || page.values.length === 0) return out;
      start += page.values.length;
    }
  }
}
