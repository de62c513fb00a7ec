import type {Ticket, TicketWithComments} from '../../domain/ticket.js';
import {formatBytes} from '../../domain/ticket.js';
import type {SlaTicketReport} from '../../services/sla.js';
import {colors, renderTable, timeCell, type Column, type OutputMode} from '../output.js';
import {renderSlaLine} from './sla.js';

const STATUS_STYLE: Record<string, 'yellow' | 'green' | 'cyan' | 'gray' | 'magenta'> = {
  new: 'yellow',
  open: 'green',
  pending: 'cyan',
  on_hold: 'magenta',
  solved: 'gray',
  closed: 'gray',
};

export function renderTicketTable(tickets: readonly Ticket[], mode: OutputMode): Promise<string> {
  const columns: Column<Ticket>[] = [
    {header: 'ID', get: (t) => t.id, style: (s, _t, c) => c.cyan(s)},
    {header: 'STATUS', get: (t) => t.status, style: (s, t, c) => c[STATUS_STYLE[t.status] ?? 'white'](s)},
    {header: 'PRIORITY', get: (t) => t.priority, style: (s, t, c) => (t.priority === 'urgent' || t.priority === 'high' ? c.red(s) : s)},
    {header: 'TITLE', get: (t) => t.title},
    {header: 'TAGS', get: (t) => t.tags.join(mode.tty ? ', ' : ','), style: (s, _t, c) => c.gray(s)},
    {header: 'UPDATED', get: (t) => timeCell(t.updatedAt, mode), style: (s, _t, c) => c.gray(s)},
  ];
  return renderTable(tickets, columns, mode);
}

/** One ticket: a readable card on a terminal, `key:\tvalue` lines then the body when piped (like gh). */
export async function renderTicket(ticket: Ticket | TicketWithComments, mode: OutputMode, extra: {sla?: SlaTicketReport} = {}): Promise<string> {
  const comments = 'comments' in ticket ? ticket.comments : [];
  if (!mode.tty) {
    const lines = [
      `id:\t${ticket.id}`,
      `title:\t${ticket.title}`,
      `status:\t${ticket.status}`,
      `priority:\t${ticket.priority}`,
      `type:\t${ticket.type}`,
      `tags:\t${ticket.tags.join(',')}`,
      `requester:\t${ticket.requester}`,
      `assignee:\t${ticket.assignee ?? ''}`,
      `created:\t${ticket.createdAt}`,
      `updated:\t${ticket.updatedAt}`,
      ...Object.entries(ticket.fields).map(([k, v]) => `field.${k}:\t${String(v)}`),
      ...ticket.attachments.map((a) => `attachment:\t${a.name}\t${a.size}\t${a.sha256}`),
      `comments:\t${comments.length}`,
      '--',
      ticket.body,
    ];
    for (const c of comments) {
      lines.push('--', `author:\t${c.author}`, `role:\t${c.authorRole}`, `public:\t${c.public}`, `created:\t${c.createdAt}`, '', c.body);
    }
    return lines.join('\n');
  }
  const c = await colors(mode);
  const status = c[STATUS_STYLE[ticket.status] ?? 'white'](ticket.status);
  const out = [
    `${c.bold(ticket.title)} ${c.gray(`#${ticket.id}`)}`,
    `${status} · ${ticket.priority} · ${ticket.type} · requested by ${ticket.requester} · ${timeCell(ticket.createdAt, mode)}`,
  ];
  const meta: string[] = [];
  if (ticket.assignee) meta.push(`Assignee: ${ticket.assignee}`);
  if (ticket.tags.length) meta.push(`Tags: ${ticket.tags.join(', ')}`);
  if (meta.length) out.push(c.gray(meta.join('   ')));
  const fields = Object.entries(ticket.fields);
  if (fields.length) out.push(c.gray(`Fields: ${fields.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`));
  if (extra.sla) out.push(await renderSlaLine(extra.sla, mode));
  out.push('', ticket.body);
  if (ticket.attachments.length) {
    out.push('', c.bold('Attachments'));
    for (const a of ticket.attachments) out.push(`  ${a.name} ${c.gray(`(${formatBytes(a.size)}, sha256 ${a.sha256.slice(0, 12)})`)}`);
  }
  for (const comment of comments) {
    const who = `${comment.author} (${comment.authorRole})`;
    const label = comment.public ? who : `${c.yellow('internal note')} · ${who}`;
    out.push('', c.gray(`── ${label} · ${timeCell(comment.createdAt, mode)}`), comment.body);
  }
  return out.join('\n');
}

/** After a change: a sentence on a terminal, the bare id when piped, so `id=$(support ...)` works. */
export function renderTicketChange(ticket: Ticket, verb: string, mode: OutputMode): string {
  return mode.tty ? `${verb} ticket #${ticket.id} (${ticket.status}): ${ticket.title}` : ticket.id;
}
