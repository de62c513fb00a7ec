/**
 * How a token goes into the Authorization header. The adapter chooses the scheme its vendor
 * wants; the HTTP client only ever asks the scheme for the header and never logs it.
 */
export interface AuthScheme {
  /** For debug lines and messages: "bearer", "basic (email/token)"... never the secret. */
  readonly name: string;
  header(token: string): string;
}

const basicHeader = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** `Authorization: Bearer TOKEN`: OAuth access tokens, our own server, GitHub. */
export const bearerAuth: AuthScheme = {name: 'bearer', header: (token) => `Bearer ${token}`};

/** Zendesk's API tokens: Basic with `{email}/token` as the user and the token as the password. */
export function emailTokenAuth(email: string): AuthScheme {
  return {name: 'basic (email/token)', header: (token) => basicHeader(`${email}/token`, token)};
}

/** Basic with a user name and the token as the password: Atlassian's email + API token. */
export function basicAuth(user: string): AuthScheme {
  return {name: 'basic', header: (token) => basicHeader(user, token)};
}

/** Freshdesk's API keys: Basic with the key as the user and a dummy password `X`. */
export const apiKeyAuth: AuthScheme = {name: 'basic (API key)', header: (token) => basicHeader(token, 'X')};
