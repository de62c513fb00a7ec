import {UnsupportedError} from '../domain/errors.js';
import type {Backend, Capability, CapabilityContext} from './backend.js';

/** What each capability lets a user do, as the sentence "the X backend cannot ..." ends. */
const CANNOT: Record<Capability, string> = {
  tickets: 'work tickets',
  comments: 'add comments to tickets',
  'internal-comments': 'add internal comments',
  attachments: 'attach files to tickets',
  events: 'show the history of a ticket',
  kb: 'search a knowledge base',
  'kb-write': 'import articles into its knowledge base',
  'kb-sync': 'copy its knowledge base for offline use',
  sla: 'report SLA clocks',
  'sla-policies': 'import or list the toolkit’s SLA policies',
  'idempotent-create': 'create tickets idempotently',
  'custom-fields': 'set custom fields',
  'conditional-update': 'refuse an update based on an outdated read',
  'external-id': 'keep external ids of tickets',
  'updated-since': 'list tickets by when they last changed',
};

/**
 * The one sentence a command says when the backend cannot do what it was asked, with the
 * backend's own hint; `about` names the ticket, for a hint that points at it.
 */
export function unsupported(backend: Pick<Backend, 'kind' | 'hints'>, capability: Capability, about: CapabilityContext = {}): UnsupportedError {
  const message = capability === 'kb' ? `The ${backend.kind} backend has no knowledge base.` : `The ${backend.kind} backend cannot ${CANNOT[capability]}.`;
  const hint = backend.hints?.[capability];
  return new UnsupportedError(backend.kind, capability, {
    message,
    hint: (typeof hint === 'function' ? hint(about) : hint) ?? 'Use a profile whose backend can (support profile list).',
  });
}

/** Throws the sentence above unless the backend declares the capability. */
export function requireCapability(backend: Pick<Backend, 'kind' | 'hints' | 'capabilities'>, capability: Capability, about: CapabilityContext = {}): void {
  if (!backend.capabilities.has(capability)) throw unsupported(backend, capability, about);
}
