import {createHash, randomUUID} from 'node:crypto';
import {createWriteStream} from 'node:fs';
import {mkdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {finished} from 'node:stream/promises';

import type {Backend} from '../backends/backend.js';
import type {BulkFormat, RowValues} from '../domain/bulk.js';
import {MAX_LIST_LIMIT, normalizeTags, type Ticket, type TicketQuery, type TicketWithComments} from '../domain/ticket.js';
import {openInput, type RowSource} from './bulk-input.js';
import {formatCsvRecord} from './csv.js';
import {pacedCall, Pacer} from './bulk-pacer.js';

/** The columns of an export, in order; `ticket bulk update` reads them all back. */
export const EXPORT_COLUMNS = ['id', 'title', 'body', 'status', 'priority', 'type', 'tags', 'assignee', 'requester', 'createdAt', 'updatedAt', 'fields'] as const;

export interface ExportOptions {
  format: BulkFormat;
  withComments?: boolean;
  /** Tickets per page while walking the cursor. */
  pageSize?: number;
  signal?: AbortSignal;
  /** Paces the calls, so that a large export stays within the backend's rate limit. */
  pacer?: Pacer;
}

/** Every ticket that matches, page by page through the cursor: one page in memory at a time. */
export async function* walkTickets(backend: Backend, query: TicketQuery, options: {pageSize?: number; pacer?: Pacer; signal?: AbortSignal} = {}): AsyncGenerator<Ticket> {
  const pacer = options.pacer ?? new Pacer({concurrency: 1});
  const base: TicketQuery = {...query, tags: query.tags ? normalizeTags(query.tags) : undefined, limit: options.pageSize ?? MAX_LIST_LIMIT};
  let cursor: string | undefined;
  do {
    const page = (await pacedCall(pacer, backend, () => backend.tickets.list({...base, cursor}), {signal: options.signal}))!;
    yield* page.tickets;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

function exportRecord(ticket: Ticket | TicketWithComments): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const column of EXPORT_COLUMNS) record[column] = ticket[column];
  if ('comments' in ticket) record.comments = ticket.comments;
  return record;
}

function csvCells(record: Record<string, unknown>, columns: readonly string[]): string[] {
  return columns.map((column) => {
    const value = record[column];
    if (value === null || value === undefined) return '';
    if (column === 'tags') return (value as string[]).join(' ');
    if (column === 'fields') return Object.keys(value as object).length ? JSON.stringify(value) : '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  });
}

/**
 * The matching tickets as JSONL or CSV text, a line at a time. The columns are the ticket's
 * JSON fields, so an exported file, edited, is a valid `ticket bulk update` input.
 */
export async function* exportTickets(backend: Backend, query: TicketQuery, options: ExportOptions): AsyncGenerator<string> {
  const pacer = options.pacer ?? new Pacer({concurrency: 1});
  const columns: string[] = [...EXPORT_COLUMNS, ...(options.withComments ? ['comments'] : [])];
  if (options.format === 'csv') yield formatCsvRecord(columns);
  for await (const listed of walkTickets(backend, query, {pageSize: options.pageSize, pacer, signal: options.signal})) {
    const ticket = options.withComments ? (await pacedCall(pacer, backend, () => backend.tickets.view(listed.id), {signal: options.signal}))! : listed;
    const record = exportRecord(ticket);
    yield options.format === 'csv' ? formatCsvRecord(csvCells(record, columns)) : `${JSON.stringify(record)}\n`;
  }
}

/**
 * `ticket bulk update --status open --set status=solved`: the tickets the filters select, taken
 * once through the cursor into a spool file (so changing them cannot move the cursor under us),
 * each with the same changes. The journal knows the rows by ticket id.
 */
export async function selectForUpdate(
  backend: Backend,
  query: TicketQuery,
  values: RowValues,
  options: {spoolDir: string; signal?: AbortSignal},
): Promise<{source: RowSource; identity: string}> {
  await mkdir(options.spoolDir, {recursive: true, mode: 0o700});
  const spool = join(options.spoolDir, `selection-${randomUUID()}`);
  const out = createWriteStream(spool, {mode: 0o600});
  try {
    for await (const ticket of walkTickets(backend, query, {signal: options.signal})) {
      if (!out.write(`${JSON.stringify({id: ticket.id})}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    out.end();
    await finished(out);
  }
  const identity = createHash('sha256').update(JSON.stringify({query: {...query, limit: undefined, cursor: undefined}, values})).digest('hex');
  const ids = await openInput({input: spool, format: 'jsonl', spoolDir: options.spoolDir});
  const source: RowSource = {
    label: 'The selection',
    format: 'jsonl',
    async *rows() {
      let line = 0;
      for await (const row of ids.rows()) {
        const id = String(row.values?.id);
        const rowValues = {id, ...values};
        yield {line: ++line, key: `id:${id}`, values: rowValues, raw: JSON.stringify(rowValues)};
      }
    },
    identity: () => identity,
    close: async () => {
      await ids.close();
      await rm(spool, {force: true});
    },
  };
  return {source, identity};
}
