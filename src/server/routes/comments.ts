import {validateBody, type Role} from '../../domain/ticket.js';
import {Problem} from '../problem.js';
import type {Imported} from '../store/store.js';
import {canonicalJson, commentJson, sha256, type Handlers, type RouteContext} from './context.js';

/** A ticket's comments: customers see and write public ones only. */
export function commentHandlers(ctx: RouteContext): Handlers {
  const {store, visible, idempotent} = ctx;
  return {
    listComments: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const comments = await store.tickets.comments(id);
      return {status: 200, body: {comments: (caller.role === 'customer' ? comments.filter((c) => c.public) : comments).map(commentJson)}};
    },

    addComment: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const body = req.body as {body: string; public?: boolean; author?: string; authorRole?: Role; createdAt?: string};
      const isPublic = body.public ?? true;
      if (caller.role === 'customer' && !isPublic) throw new Problem('forbidden', 'Customers cannot write internal notes.');
      const importing = (['author', 'authorRole', 'createdAt'] as const).filter((f) => body[f] !== undefined);
      if (importing.length > 0 && caller.role !== 'admin') {
        throw new Problem('forbidden', `Only admin tokens may import ${importing.join(', ')}.`, {hint: 'Leave them out: the comment is then yours, written now.'});
      }
      const imported: Imported | undefined =
        importing.length > 0
          ? {
              ...(body.author === undefined ? {} : {by: body.author}),
              ...(body.authorRole === undefined ? {} : {role: body.authorRole}),
              ...(body.createdAt === undefined ? {} : {createdAt: Date.parse(body.createdAt)}),
            }
          : undefined;
      const text = validateBody(body.body, 'comment');
      const hashed = {body: text, public: isPublic, ...(imported ? {author: body.author, authorRole: body.authorRole, createdAt: body.createdAt} : {})};
      return idempotent(req, caller, `addComment ${id}`, sha256(canonicalJson(hashed)), async () => ({
        status: 201,
        body: commentJson(await store.tickets.comment(caller.actor, id, {body: text, public: isPublic}, imported ? {imported} : {})),
      }));
    },
  };
}
