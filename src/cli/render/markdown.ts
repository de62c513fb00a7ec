/**
 * A small Markdown renderer for the terminal: headings, paragraphs wrapped to the width,
 * bulleted and numbered lists (nested), block quotes, fenced and indented code, rules, and
 * inline code, emphasis and links. Tables and HTML pass through as written. It covers what
 * help articles use without pulling a Markdown library into every `kb view`.
 *
 * The article is neutralised (src/domain/neutralise.ts) before it is parsed, so the only escape
 * sequences in the result are the styling added here; nothing below decodes entities or
 * escapes that could bring a control character back.
 */

import {renderNeutralised, type Shown} from '../shown.js';

export interface MarkdownStyle {
  /** ANSI styling; without it the structure stays (bullets, indents, underlines) but no escapes. */
  color: boolean;
  /** Columns to wrap at. */
  width: number;
}

type Sgr = (text: string) => string;
const sgr = (on: number, off: number): Sgr => (text) => `\u001B[${on}m${text}\u001B[${off}m`;
const ANSI = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  italic: sgr(3, 23),
  underline: sgr(4, 24),
  cyan: sgr(36, 39),
  magenta: sgr(35, 39),
  blue: sgr(34, 39),
};
const plain: Sgr = (text) => text;

// eslint-disable-next-line no-control-regex -- measures text without its escape sequences
const ESCAPES = /\u001B\[[0-9;]*m/g;
/** Columns a string takes, escapes excluded (wide characters are rare in articles and counted as one). */
export const visibleWidth = (text: string) => [...text.replace(ESCAPES, '')].length;

interface Styles {
  bold: Sgr;
  dim: Sgr;
  italic: Sgr;
  underline: Sgr;
  code: Sgr;
  heading: Sgr;
  link: Sgr;
}

function styles(color: boolean): Styles {
  if (!color) return {bold: plain, dim: plain, italic: plain, underline: plain, code: plain, heading: plain, link: plain};
  return {
    bold: ANSI.bold,
    dim: ANSI.dim,
    italic: ANSI.italic,
    underline: ANSI.underline,
    code: ANSI.cyan,
    heading: (t) => ANSI.bold(ANSI.magenta(t)),
    link: (t) => ANSI.underline(ANSI.blue(t)),
  };
}

const INLINE =
  /`([^`]+)`|\*\*(?=\S)(.+?)\*\*|__(?=\S)(.+?)__|!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)|\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<((?:https?:\/\/|mailto:)[^>\s]+)>|(?<![\p{L}\p{N}*\\])\*(?=\S)(.+?)(?<=\S)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_\\])_(?=\S)(.+?)(?<=\S)_(?![\p{L}\p{N}_])/u;

/** Inline Markdown to styled text: code, bold, emphasis, links (text, then the address), images. */
export function renderInline(text: string, s: Styles): string {
  let out = '';
  let rest = text;
  for (;;) {
    const m = INLINE.exec(rest);
    if (!m) break;
    out += unescape(rest.slice(0, m.index));
    const [whole, code, bold1, bold2, alt, src, label, href, auto, em1, em2] = m;
    if (code !== undefined) out += s.code(code);
    else if (bold1 !== undefined || bold2 !== undefined) out += s.bold(renderInline((bold1 ?? bold2)!, s));
    else if (src !== undefined) out += `${s.dim(`[image${alt ? `: ${alt}` : ''}]`)} ${s.link(src)}`;
    else if (href !== undefined) {
      const shown = renderInline(label!, s);
      out += label === href || `mailto:${label}` === href ? s.link(href) : `${shown} ${s.dim('(')}${s.link(href)}${s.dim(')')}`;
    } else if (auto !== undefined) out += s.link(auto);
    else if (em1 !== undefined || em2 !== undefined) out += s.italic(renderInline((em1 ?? em2)!, s));
    else out += whole;
    rest = rest.slice(m.index + whole.length);
  }
  return out + unescape(rest);
}

const unescape = (text: string) => text.replace(/\\([\\`*_{}[\]()#+\-.!>|])/g, '$1');

/** Greedy word wrap by visible width; a word longer than the line stays whole. */
export function wrap(text: string, width: number, firstPrefix: string, restPrefix: string): string[] {
  const words = text.split(/[ \t]+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  let prefix = firstPrefix;
  for (const word of words) {
    const room = width - visibleWidth(prefix);
    if (line && visibleWidth(line) + 1 + visibleWidth(word) > room) {
      lines.push(prefix + line);
      prefix = restPrefix;
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line || lines.length === 0) lines.push(prefix + line);
  return lines;
}

const FENCE = /^(\s{0,3})(`{3,}|~{3,})\s*([\w+-]*)/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const SETEXT = /^\s{0,3}(=+|-+)\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const RULE = /^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const TABLE = /^\s*\|.*\|\s*$/;

/** Renders a Markdown document (outside text) for a terminal of `style.width` columns. */
export function renderMarkdown(markdown: string, style: MarkdownStyle): Shown {
  return renderNeutralised(markdown, 'text', (safe) => renderSafeMarkdown(safe, style));
}

function renderSafeMarkdown(markdown: string, style: MarkdownStyle): string {
  const s = styles(style.color);
  const width = Math.max(20, style.width);
  const lines = markdown.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  const blocks: string[][] = [];
  let i = 0;
  const paragraph = (text: string, first: string, rest: string) => wrap(renderInline(text, s), width, first, rest);

  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const close = new RegExp(`^\\s{0,3}${fence[2]![0] === '`' ? '`' : '~'}{${fence[2]!.length},}\\s*$`);
      const code: string[] = [];
      i++;
      while (i < lines.length && !close.test(lines[i]!)) code.push(lines[i++]!);
      i++;
      blocks.push(codeBlock(code, fence[3] ?? '', s));
      continue;
    }
    if (/^ {4}/.test(line)) {
      const code: string[] = [];
      while (i < lines.length && (/^ {4}/.test(lines[i]!) || (!lines[i]!.trim() && /^ {4}/.test(lines[i + 1] ?? '')))) code.push(lines[i++]!.slice(4));
      blocks.push(codeBlock(code, '', s));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push(headingBlock(heading[1]!.length, renderInline(heading[2]!, s), s, style.color));
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push([s.dim('─'.repeat(Math.min(width, 60)))]);
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i]!.trim() && QUOTE.test(lines[i]!)) quoted.push(QUOTE.exec(lines[i++]!)![1]!);
      const inner = renderSafeMarkdown(quoted.join('\n'), {...style, width: width - 2}).split('\n');
      blocks.push(inner.map((l) => `${s.dim('│')} ${s.italic(l)}`));
      continue;
    }
    if (TABLE.test(line)) {
      const rows: string[] = [];
      while (i < lines.length && TABLE.test(lines[i]!)) rows.push(renderInline(lines[i++]!.trim(), s));
      blocks.push(rows);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const out: string[] = [];
      const base = LIST_ITEM.exec(line)![1]!.length;
      while (i < lines.length) {
        const item = LIST_ITEM.exec(lines[i]!);
        if (!item) break;
        const depth = Math.max(0, Math.floor((item[1]!.length - base) / 2));
        const marker = /\d/.test(item[2]!) ? `${item[2]!.slice(0, -1)}.` : depth % 2 === 0 ? '•' : '◦';
        const indent = '  '.repeat(depth);
        let text = item[3]!;
        i++;
        // Lazy continuation lines belong to the item.
        while (i < lines.length && lines[i]!.trim() && !LIST_ITEM.test(lines[i]!) && !FENCE.test(lines[i]!) && !HEADING.test(lines[i]!)) text += ` ${lines[i++]!.trim()}`;
        const task = /^\[([ xX])\]\s+(.*)$/.exec(text);
        const shownMarker = task ? (task[1] === ' ' ? '☐' : '☑') : marker;
        const first = `${indent}${style.color ? s.bold(shownMarker) : shownMarker} `;
        out.push(...paragraph(task ? task[2]! : text, first, `${indent}${' '.repeat(visibleWidth(shownMarker) + 1)}`));
        // A blank line between items keeps the list together when another item follows.
        if (!lines[i]?.trim() && LIST_ITEM.test(lines[i + 1] ?? '')) i++;
      }
      blocks.push(out);
      continue;
    }
    const text: string[] = [];
    while (i < lines.length && lines[i]!.trim()) {
      const next = lines[i + 1];
      if (text.length > 0 && (FENCE.test(lines[i]!) || HEADING.test(lines[i]!) || LIST_ITEM.test(lines[i]!) || QUOTE.test(lines[i]!) || RULE.test(lines[i]!))) break;
      text.push(lines[i]!.trim());
      i++;
      // Setext headings: a line of === or --- under the text.
      if (next !== undefined && SETEXT.test(next) && text.length === 1) {
        blocks.push(headingBlock(next.trim().startsWith('=') ? 1 : 2, renderInline(text[0]!, s), s, style.color));
        text.length = 0;
        i++;
        break;
      }
      // A line ending in two spaces or a backslash is a hard break.
    }
    if (text.length > 0) blocks.push(paragraph(text.join(' '), '', ''));
  }
  return blocks.map((b) => b.join('\n')).join('\n\n');
}

function headingBlock(level: number, text: string, s: Styles, color: boolean): string[] {
  if (color) return [level === 1 ? s.underline(s.heading(text)) : level === 2 ? s.heading(text) : s.bold(text)];
  // Without styling the level shows as an underline, as in plain-text documents.
  if (level <= 2) return [text, (level === 1 ? '=' : '-').repeat(visibleWidth(text))];
  return [text];
}

function codeBlock(code: string[], language: string, s: Styles): string[] {
  while (code.length > 0 && !code.at(-1)!.trim()) code.pop();
  const out = code.map((l) => `    ${s.code(l)}`);
  if (language && out.length > 0) out.unshift(`    ${s.dim(language)}`);
  return out.length > 0 ? out : ['    '];
}
