/**
 * Markdown for the terminal: `marked` reads the article (CommonMark and GitHub's tables, task
 * lists and strikethrough), and this module draws its tokens: headings, paragraphs wrapped at
 * word boundaries to the width (wrap-ansi, by display width), bulleted, numbered and task lists
 * (nested), block quotes, code blocks (indented, never a line for the fence's language), rules,
 * tables as aligned columns, and inline code, emphasis and links. Both are loaded only by
 * `kb view`.
 *
 * marked-terminal draws tokens too, but it could not be used as it is: it wraps by UTF-16 length
 * and splits long words at that length (through the middle of an escape such as `\x1b` that the
 * article's text shows, and of wide characters), takes colour from chalk's own terminal
 * detection and cli-highlight's instead of --no-color and NO_COLOR, and loading it (cli-highlight
 * with highlight.js, node-emoji) costs several times what marked does.
 *
 * The article is neutralised (src/domain/neutralise.ts) before marked reads it. marked decodes
 * numeric character references (`&#27;` becomes ESC) while lexing, so every text taken from a
 * token passes `shield`, which shows any such character as the same escape; the only escape
 * sequences in the result are the styling added here.
 */

import type {Token, Tokens} from 'marked';

import {neutralise} from '../../domain/neutralise.js';
import {renderNeutralised, type Shown} from '../shown.js';

export interface MarkdownStyle {
  /** ANSI styling; without it the structure stays (bullets, indents, underlines) but no escapes. */
  color: boolean;
  /** Columns to wrap at. */
  width: number;
}

type Sgr = (text: string) => string;
const sgr = (on: number, off: number): Sgr => (text) => (text ? `\u001B[${on}m${text}\u001B[${off}m` : text);
const plain: Sgr = (text) => text;

interface Styles {
  bold: Sgr;
  dim: Sgr;
  italic: Sgr;
  underline: Sgr;
  strike: Sgr;
  code: Sgr;
  heading: Sgr;
  link: Sgr;
}

function styles(color: boolean): Styles {
  if (!color) return {bold: plain, dim: plain, italic: plain, underline: plain, strike: plain, code: plain, heading: plain, link: plain};
  const magenta = sgr(35, 39);
  const blue = sgr(34, 39);
  const underline = sgr(4, 24);
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    italic: sgr(3, 23),
    underline,
    strike: sgr(9, 29),
    code: sgr(36, 39),
    heading: (t) => sgr(1, 22)(magenta(t)),
    link: (t) => underline(blue(t)),
  };
}

/** A character marked decoded from a numeric reference that a terminal would act on: shown as its escape. */
const DECODED_UNSAFE = /(?![\t\n])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const shield = (text: string) => text.replace(DECODED_UNSAFE, (ch) => neutralise(ch));

/** The entities marked leaves in text as written; a terminal shows the characters. */
const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0'};
const decode = (text: string) => shield(text.replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, name: string) => ENTITIES[name]!));

type Wrap = (text: string, columns: number, options: {hard: boolean; trim: boolean}) => string;
type Measure = (text: string) => number;

/** Renders a Markdown document (outside text) for a terminal of `style.width` columns. */
export async function renderMarkdown(markdown: string, style: MarkdownStyle): Promise<Shown> {
  const [{Lexer}, {default: wrapAnsi}, {default: stringWidth}] = await Promise.all([import('marked'), import('wrap-ansi'), import('string-width')]);
  return renderNeutralised(markdown, 'text', (safe) => {
    const tokens = Lexer.lex(safe.replace(/\r\n?/g, '\n'), {gfm: true});
    return new TerminalMarkdown(styles(style.color), style.color, wrapAnsi, stringWidth).blocks(tokens, Math.max(20, style.width)).join('\n');
  });
}

class TerminalMarkdown {
  constructor(
    private readonly s: Styles,
    private readonly color: boolean,
    private readonly wrapAnsi: Wrap,
    private readonly width: Measure,
  ) {}

  /** Block tokens to lines, with a blank line between blocks (none inside a tight list item). */
  blocks(tokens: readonly Token[], width: number, depth = 0, tight = false): string[] {
    const out: string[] = [];
    for (const token of tokens) {
      const lines = this.block(token, width, depth);
      if (lines.length === 0) continue;
      if (out.length > 0 && !tight) out.push('');
      out.push(...lines);
    }
    return out;
  }

  private block(token: Token, width: number, depth: number): string[] {
    const {s} = this;
    switch (token.type) {
      case 'space':
      case 'def':
        return [];
      case 'heading':
        return this.heading((token as Tokens.Heading).depth, this.inline((token as Tokens.Heading).tokens));
      case 'paragraph':
        return this.wrap(this.inline((token as Tokens.Paragraph).tokens), width);
      case 'text': {
        const text = token as Tokens.Text;
        return this.wrap(text.tokens ? this.inline(text.tokens) : decode(text.text), width);
      }
      case 'code': {
        const lines = shield((token as Tokens.Code).text.replace(/\n+$/, '')).split('\n');
        return lines.map((l) => `    ${s.code(l)}`);
      }
      case 'blockquote':
        return this.blocks((token as Tokens.Blockquote).tokens, width - 2, depth).map((l) => `${s.dim('│')} ${s.italic(l)}`);
      case 'list':
        return this.list(token as Tokens.List, width, depth);
      case 'hr':
        return [s.dim('─'.repeat(Math.min(width, 60)))];
      case 'table':
        return this.table(token as Tokens.Table);
      case 'html':
        return s.dim(shield((token as Tokens.HTML).text.replace(/\n+$/, ''))).split('\n');
      default:
        return 'tokens' in token && Array.isArray(token.tokens) ? this.wrap(this.inline(token.tokens), width) : this.wrap(decode(token.raw), width);
    }
  }

  private heading(level: number, text: string): string[] {
    const {s} = this;
    if (this.color) return [level === 1 ? s.underline(s.heading(text)) : level === 2 ? s.heading(text) : s.bold(text)];
    // Without styling the level shows as an underline, as in plain-text documents.
    if (level <= 2) return [text, (level === 1 ? '=' : '-').repeat(this.width(text))];
    return [text];
  }

  /** Wrapped at spaces only: a word (a URL, a path, an escape) longer than the line stays whole. */
  private wrap(text: string, width: number): string[] {
    return text
      .split('\n')
      .flatMap((line) => this.wrapAnsi(line, Math.max(10, width), {hard: false, trim: true}).split('\n'));
  }

  private list(list: Tokens.List, width: number, depth: number): string[] {
    const {s} = this;
    const start = typeof list.start === 'number' ? list.start : 1;
    const out: string[] = [];
    list.items.forEach((item, i) => {
      const marker = item.task ? (item.checked ? '☑' : '☐') : list.ordered ? `${start + i}.` : depth % 2 === 0 ? '•' : '◦';
      const hang = ' '.repeat(this.width(marker) + 1);
      const content = item.tokens.filter((t) => t.type !== 'checkbox');
      // Text and paragraphs of the item at its width; a nested list one step in.
      const lines = this.blocks(content, width - hang.length, depth + 1, !item.loose);
      if (item.loose && i > 0) out.push('');
      lines.forEach((line, n) => out.push(n === 0 ? `${this.color ? s.bold(marker) : marker} ${line}` : line ? `${hang}${line}` : ''));
    });
    return out;
  }

  private table(table: Tokens.Table): string[] {
    const {s} = this;
    const header = table.header.map((cell) => this.inline(cell.tokens));
    const rows = table.rows.map((row) => row.map((cell) => this.inline(cell.tokens)));
    const widths = header.map((h, i) => Math.max(this.width(h), ...rows.map((r) => this.width(r[i] ?? ''))));
    const pad = (text: string, i: number) => {
      const room = widths[i]! - this.width(text);
      if (table.align[i] === 'right') return ' '.repeat(room) + text;
      if (table.align[i] === 'center') return ' '.repeat(Math.floor(room / 2)) + text + ' '.repeat(Math.ceil(room / 2));
      return text + ' '.repeat(room);
    };
    const line = (cells: string[]) => cells.map((c, i) => pad(c, i)).join('  ').trimEnd();
    return [line(header.map((h) => s.bold(h))), s.dim(widths.map((w) => '─'.repeat(w)).join('  ')), ...rows.map(line)];
  }

  /** Inline tokens to styled text: code, strong, emphasis, strikethrough, links (text, then the address), images. */
  inline(tokens: readonly Token[]): string {
    const {s} = this;
    let out = '';
    for (const token of tokens) {
      switch (token.type) {
        case 'text': {
          const text = token as Tokens.Text;
          out += text.tokens ? this.inline(text.tokens) : decode(text.text);
          break;
        }
        case 'escape':
          out += decode((token as Tokens.Escape).text);
          break;
        case 'strong':
          out += s.bold(this.inline((token as Tokens.Strong).tokens));
          break;
        case 'em':
          out += s.italic(this.inline((token as Tokens.Em).tokens));
          break;
        case 'del':
          out += s.strike(this.inline((token as Tokens.Del).tokens));
          break;
        case 'codespan':
          out += s.code(shield((token as Tokens.Codespan).text));
          break;
        case 'br':
          out += '\n';
          break;
        case 'link': {
          const link = token as Tokens.Link;
          const href = decode(link.href);
          const label = this.inline(link.tokens);
          const same = link.text === link.href || `mailto:${link.text}` === link.href;
          out += same ? s.link(href) : `${label} ${s.dim('(')}${s.link(href)}${s.dim(')')}`;
          break;
        }
        case 'image': {
          const image = token as Tokens.Image;
          out += `${s.dim(`[image${image.text ? `: ${decode(image.text)}` : ''}]`)} ${s.link(decode(image.href))}`;
          break;
        }
        case 'html':
          out += shield((token as Tokens.HTML).text);
          break;
        default:
          out += 'tokens' in token && Array.isArray(token.tokens) ? this.inline(token.tokens) : decode(token.raw);
      }
    }
    return out;
  }
}
