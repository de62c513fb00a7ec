import {UsageError} from '../../domain/errors.js';
import {Problem} from '../problem.js';
import type {DeliveryState} from '../store/store.js';
import {checkWebhookEvents, checkWebhookUrl} from '../webhooks/payload.js';
import type {Handlers, RouteContext} from './context.js';

/** Webhook subscriptions and their delivery log, for admins: the same as `support serve webhook`, over HTTP. */
export function webhookHandlers(ctx: RouteContext): Handlers {
  const {store, requireRole} = ctx;
  return {
    listWebhooks: async (_req, caller) => {
      requireRole(caller, 'admin');
      return {status: 200, body: {webhooks: await store.webhooks.list()}};
    },
    createWebhook: async (req, caller) => {
      requireRole(caller, 'admin');
      const body = req.body as {url: string; events?: string[]; description?: string};
      const created = await store.webhooks.create({url: checkWebhookUrl(body.url), events: checkWebhookEvents(body.events), description: body.description ?? null});
      return {status: 201, body: created, headers: {location: `/v1/webhooks/${created.id}`}};
    },
    getWebhook: async (req, caller) => {
      requireRole(caller, 'admin');
      return {status: 200, body: await store.webhooks.get((req.params as {webhookId: string}).webhookId)};
    },
    deleteWebhook: async (req, caller) => {
      requireRole(caller, 'admin');
      await store.webhooks.remove((req.params as {webhookId: string}).webhookId);
      return {status: 204};
    },
    listWebhookDeliveries: async (req, caller) => {
      requireRole(caller, 'admin');
      const q = req.query as {state?: DeliveryState; limit?: number; cursor?: string};
      try {
        const page = await store.webhooks.deliveries({webhookId: (req.params as {webhookId: string}).webhookId, state: q.state, limit: q.limit ?? 50, cursor: q.cursor});
        return {status: 200, body: page};
      } catch (error) {
        if (error instanceof UsageError && q.cursor !== undefined) throw new Problem('invalid-cursor', error.message, {hint: error.hint});
        throw error;
      }
    },
  };
}
