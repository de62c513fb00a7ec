import {validateBody} from '../../domain/ticket.js';
import {Problem} from '../problem.js';
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
      const body = req.body as {body: string; public?: boolean};
      const isPublic = body.public ?? true;
      if (caller.role === 'customer' && !isPublic) throw new Problem('forbidden', 'Customers cannot write internal notes.');
      const text = validateBody(body.body, 'comment');
      return idempotent(req, caller, `addComment ${id}`, sha256(canonicalJson({body: text, public: isPublic})), async () => ({
        status: 201,
        body: commentJson(await store.tickets.comment(caller.actor, id, {body: text, public: isPublic})),
      }));
    },
  };
}
