import type {OperationRef} from '../harness/spec-cut.js';

/** The Support API operations the zendesk adapter calls: what the committed cut keeps. */
export const SUPPORT_OPERATIONS: readonly OperationRef[] = [
  {method: 'get', path: '/api/v2/users/me'},
  {method: 'get', path: '/api/v2/users/show_many'},
  {method: 'get', path: '/api/v2/users/search'},
  {method: 'post', path: '/api/v2/tickets'},
  {method: 'get', path: '/api/v2/tickets'},
  {method: 'get', path: '/api/v2/tickets/show_many'},
  {method: 'get', path: '/api/v2/tickets/{ticket_id}'},
  {method: 'put', path: '/api/v2/tickets/{ticket_id}'},
  {method: 'get', path: '/api/v2/tickets/{ticket_id}/comments'},
  {method: 'get', path: '/api/v2/tickets/{ticket_id}/audits'},
  {method: 'get', path: '/api/v2/search'},
  {method: 'post', path: '/api/v2/uploads'},
  {method: 'get', path: '/api/v2/ticket_fields'},
  {method: 'get', path: '/api/v2/custom_statuses'},
];

export const FULL_SPEC_FILE = 'zendesk-support-api.yaml';
