import type {Ticket, TicketWithComments} from '../../domain/ticket.js';
import {formatBytes} from '../../domain/ticket.js';
import type {SlaTicketReport} from '../../services/sla.js';
import {DEFAULT_WIDTH, paint, renderTable, timeCell, wrapProse, type Column, type OutputMode} from '../output.js';
import {block, fieldLines, joinShown, plainRow, shown, type Shown} from '../shown.js';
import {renderSlaLine} from './sla.js';

const STATUS_STYLE: Record<string, 'yellow' | 'green' | 'cyan' | 'gray' | 'magenta'> = {
  new: 'yellow',
  open: 'green',
  pending: 'cyan',
  on_hold: 'magenta',
  solved: 'gray',
  closed: 'gray',
};

export function renderTicketTable(tickets: readonly Ticket[], mode: OutputMode): Promise<Shown> {
  const columns: Column<Ticket>[] = [
    {header: 'ID', get: (t) => t.id, truncate: false, style: (s, _t, c) => c.cyan(s)},
    {header: 'STATUS', get: (t) => t.status, truncate: false, style: (s, t, c) => c[STATUS_STYLE[t.status] ?? 'white'](s)},
    {header: 'PRIORITY', get: (t) => t.priority, truncate: false, style: (s, t, c) => (t.priority === 'urgent' || t.priority === 'high' ? c.red(s) : s)},
    {header: 'TITLE', get: (t) => t.title},
    {header: 'TAGS', get: (t) => t.tags.join(mode.tty ? ', ' : ','), style: (s, _t, c) => c.gray(s)},
    {header: 'UPDATED', get: (t) => timeCell(t.updatedAt, mode), truncate: false, style: (s, _t, c) => c.gray(s)},
  ];
  return renderTable(tickets, columns, mode);
}

/** One ticket: a readable card on a terminal, `key:\tvalue` lines then the body when piped (like gh). */
export async function renderTicket(ticket: Ticket | TicketWithComments, mode: OutputMode, extra: {sla?: SlaTicketReport} = {}): Promise<Shown> {
  const comments = 'comments' in ticket ? ticket.comments : [];
  if (!mode.tty) {
    const lines: Shown[] = [
      fieldLines([
        ['id', ticket.id],
        ['title', ticket.title],
        ['status', ticket.status],
        ['priority', ticket.priority],
        ['type', ticket.type],
        ['tags', ticket.tags.join(',')],
        ['requester', ticket.requester],
        ['assignee', ticket.assignee ?? ''],
        ['created', ticket.createdAt],
        ['updated', ticket.updatedAt],
        ...Object.entries(ticket.fields).map(([k, v]) => [`field.${k}`, String(v)] as const),
      ]),
      ...ticket.attachments.map((a) => plainRow(['attachment:', a.name, a.size, a.sha256])),
      fieldLines([['comments', comments.length]]),
      shown`--`,
      block(ticket.body),
    ];
    for (const c of comments) {
      lines.push(
        shown`--`,
        fieldLines([
          ['author', c.author],
          ['role', c.authorRole],
          ['public', String(c.public)],
          ['created', c.createdAt],
        ]),
        shown``,
        block(c.body),
      );
    }
    return joinShown(lines);
  }
  const c = await paint(mode);
  const status = c[STATUS_STYLE[ticket.status] ?? 'white'](ticket.status);
  const out: Shown[] = [
    shown`${c.bold(ticket.title)} ${c.gray(`#${ticket.id}`)}`,
    shown`${status} · ${ticket.priority} · ${ticket.type} · requested by ${ticket.requester} · ${timeCell(ticket.createdAt, mode)}`,
  ];
  const meta: Shown[] = [];
  if (ticket.assignee) meta.push(shown`Assignee: ${ticket.assignee}`);
  if (ticket.tags.length) meta.push(shown`Tags: ${ticket.tags.join(', ')}`);
  if (meta.length) out.push(c.gray(joinShown(meta, '   ')));
  const fields = Object.entries(ticket.fields);
  if (fields.length) out.push(c.gray(shown`Fields: ${joinShown(fields.map(([k, v]) => shown`${k}=${String(v)}`), ', ')}`));
  if (extra.sla) out.push(await wrapProse(await renderSlaLine(extra.sla, mode), mode.width ?? DEFAULT_WIDTH));
  out.push(shown``, block(ticket.body));
  if (ticket.attachments.length) {
    out.push(shown``, c.bold('Attachments'));
    for (const a of ticket.attachments) out.push(shown`  ${a.name} ${c.gray(`(${formatBytes(a.size)}, sha256 ${a.sha256.slice(0, 12)})`)}`);
  }
  for (const comment of comments) {
    const who = shown`${comment.author} (${comment.authorRole})`;
    const label = comment.public ? who : shown`${c.yellow('internal note')} · ${who}`;
    out.push(shown``, c.gray(shown`── ${label} · ${timeCell(comment.createdAt, mode)}`), block(comment.body));
  }
  return joinShown(out);
}

/** After a change: a sentence on a terminal, the bare id when piped, so `id=$(support ...)` works. */
export function renderTicketChange(ticket: Ticket, verb: string, mode: OutputMode): Shown {
  return mode.tty ? shown`${verb} ticket #${ticket.id} (${ticket.status}): ${ticket.title}` : plainRow([ticket.id]);
}
