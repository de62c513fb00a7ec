import {Problem} from '../problem.js';
import type {TokenRole, TokenScope} from '../store/store.js';
import type {Handlers, RouteContext} from './context.js';

/** Tokens, for admins: the same as `support serve token`, over HTTP. */
export function tokenHandlers(ctx: RouteContext): Handlers {
  const {store, requireRole} = ctx;
  return {
    listTokens: async (_req, caller) => {
      requireRole(caller, 'admin');
      return {status: 200, body: {tokens: await store.tokens.list()}};
    },
    createToken: async (req, caller) => {
      requireRole(caller, 'admin');
      const body = req.body as {name: string; role: TokenRole; expiresAt?: string; scopes?: TokenScope[]};
      const options = {...(body.expiresAt === undefined ? {} : {expiresAt: Date.parse(body.expiresAt)}), ...(body.scopes === undefined ? {} : {scopes: body.scopes})};
      return {status: 201, body: await store.tokens.create(body.name, body.role, options)};
    },
    revokeToken: async (req, caller) => {
      requireRole(caller, 'admin');
      const {tokenId} = req.params as {tokenId: string};
      if (!(await store.tokens.list()).some((t) => t.id === tokenId)) throw new Problem('not-found', `No token has the id ${tokenId}.`);
      await store.tokens.revoke(tokenId);
      return {status: 204};
    },
  };
}
