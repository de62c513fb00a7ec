import {UsageError} from './errors.js';

export const KB_LOCALES = ['en', 'de'] as const;
export type KbLocale = (typeof KB_LOCALES)[number];
/**
 * An article's language: en or de for the toolkit's own knowledge bases (which stem and search
 * in those two), any language tag a helpdesk's knowledge base carries (fr, pt-br...).
 */
export type ArticleLocale = KbLocale | (string & {});

/** A knowledge-base article; the body is Markdown, or HTML where `format` says so. */
export interface Article {
  id: string;
  slug: string;
  title: string;
  body: string;
  /** `html`: the body is the HTML the helpdesk serves (kept as it is; shown as text on a terminal). Absent: Markdown. */
  format?: 'html';
  tags: string[];
  locale: ArticleLocale;
  /** ISO-8601 UTC: when the article's content last changed. */
  updatedAt: string;
  url?: string;
}

/** What an import or a sync hands to a store; the store gives the id and the time. */
export interface ArticleInput {
  slug: string;
  title: string;
  body: string;
  tags?: string[];
  locale: KbLocale;
  url?: string;
  /** Epoch ms of the source's own change time; the store's clock when absent. */
  updatedAt?: number;
}

export interface KbSearchQuery {
  text: string;
  limit: number;
  /** Only articles in this language. */
  locale?: KbLocale;
  /** Articles in this language first; the other language is still found, ranked after them unless it matches much better. */
  prefer?: KbLocale;
  /** An article must carry every one of these tags. */
  tags?: string[];
}

/**
 * The user's language for the knowledge base, from the environment as POSIX reads the language
 * of messages: LC_ALL, else LC_MESSAGES, else LANG, the first one set and not empty deciding
 * ("de_DE.UTF-8" is German). English when that language has no articles here, or for C/POSIX.
 */
export function userKbLocale(env: Readonly<Record<string, string | undefined>>): KbLocale {
  const value = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  const language = value?.split(/[_.@-]/)[0]?.toLowerCase();
  return (KB_LOCALES as readonly string[]).includes(language ?? '') ? (language as KbLocale) : 'en';
}

/**
 * Marks around matched words in `KbHit.snippet`. Control characters never occur in article
 * text we index, so a renderer can bold what lies between them on a terminal and drop them
 * when the output is piped or printed as JSON-for-humans.
 */
export const MATCH_START = '\u0001';
export const MATCH_END = '\u0002';

export interface KbHit {
  id: string;
  slug: string;
  title: string;
  /** Plain text around the best match, matched words between MATCH_START and MATCH_END. */
  snippet: string;
  /** Higher is better; comparable only within one result list. */
  score: number;
  locale: ArticleLocale;
  tags: string[];
  url: string | null;
}

/** Removes the match marks: the snippet as plain text. */
export const stripMatchMarks = (snippet: string) => snippet.replaceAll(MATCH_START, '').replaceAll(MATCH_END, '');

/**
 * The snippet as it travels over the REST protocol: plain text, and the matched words as
 * [start, end) offsets in UTF-16 code units (JavaScript string indexes), since control
 * characters have no place in a JSON API.
 */
export function snippetToHighlights(snippet: string): {text: string; highlights: [number, number][]} {
  let text = '';
  const highlights: [number, number][] = [];
  let start = -1;
  for (const ch of snippet) {
    if (ch === MATCH_START) start = text.length;
    else if (ch === MATCH_END) {
      if (start >= 0 && text.length > start) highlights.push([start, text.length]);
      start = -1;
    } else text += ch;
  }
  return {text, highlights};
}

/** The inverse of snippetToHighlights; ranges that overlap, reverse or overrun the text are dropped. */
export function highlightsToSnippet(text: string, highlights: readonly (readonly [number, number])[] = []): string {
  let out = '';
  let cursor = 0;
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < cursor || end <= start || end > text.length) continue;
    out += `${text.slice(cursor, start)}${MATCH_START}${text.slice(start, end)}${MATCH_END}`;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** Longest query the CLI sends: the engine reads only its first words, and servers cap the length. */
export const MAX_KB_QUERY_CHARS = 1000;

export const DEFAULT_KB_LIMIT = 10;
export const MAX_KB_LIMIT = 100;

/** The toolkit's language for a helpdesk's locale tag: en-us and en-gb are en, de-ch is de; others have none. */
export function kbLanguage(locale: string): KbLocale | undefined {
  const language = locale.trim().toLowerCase().split(/[-_]/)[0];
  return (KB_LOCALES as readonly string[]).includes(language ?? '') ? (language as KbLocale) : undefined;
}

export function parseLocale(value: string): KbLocale {
  const locale = value.trim().toLowerCase();
  if ((KB_LOCALES as readonly string[]).includes(locale)) return locale as KbLocale;
  throw new UsageError(`"${value}" is not a knowledge-base locale.`, {hint: `Use one of: ${KB_LOCALES.join(', ')}.`});
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Slugs name articles in URLs and on the command line; all digits would read as an id. */
export function validateSlug(slug: string): string {
  if (!SLUG.test(slug) || /^\d+$/.test(slug) || slug.length > 120) {
    throw new UsageError(`"${slug}" is not a valid article slug.`, {
      hint: 'Use lowercase letters, digits and single hyphens, with at least one letter (e.g. proxy-setup).',
    });
  }
  return slug;
}

/** A slug from a title or file name: "Set up a Proxy!" -> "set-up-a-proxy". */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/, '');
  return /^\d*$/.test(slug) ? `article${slug ? `-${slug}` : ''}` : slug;
}

/** A file that cannot become an article; names the file and, when known, the line. */
export class ArticleFileError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    reason: string,
    hint?: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, hint ? {hint} : {});
  }
}

/** An article as parsed from a Markdown file, before the store gives it an id. */
export interface ParsedArticle extends ArticleInput {
  file: string;
}

const FRONT_MATTER_OPEN = /^---[ \t]*$/;
const FRONT_MATTER_CLOSE = /^(?:---|\.\.\.)[ \t]*$/;

/**
 * Parses a Markdown article with YAML front matter (title, slug, tags, locale, url, updated).
 * Without front matter, the first "# heading" is the title and the file name the slug. Errors
 * name `file` and the line in it. `yaml` is imported here, on first use, because it is only
 * needed by imports and the built-in seeding.
 */
export async function parseArticleMarkdown(source: string, file: string, fallbackSlug?: string): Promise<ParsedArticle> {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  let meta: Record<string, unknown> = {};
  let body = text;
  let metaLine = (_key: string): number | undefined => undefined;
  if (FRONT_MATTER_OPEN.test(lines[0] ?? '')) {
    const close = lines.findIndex((line, i) => i > 0 && FRONT_MATTER_CLOSE.test(line));
    if (close === -1) {
      throw new ArticleFileError(file, 1, 'the front matter opened with --- is never closed.', 'End the front matter with a line of ---.');
    }
    const yamlText = lines.slice(1, close).join('\n');
    body = lines.slice(close + 1).join('\n');
    const {parseDocument, LineCounter, isMap, isScalar} = await import('yaml');
    const counter = new LineCounter();
    const doc = parseDocument(yamlText, {lineCounter: counter, prettyErrors: false, uniqueKeys: true});
    const error = doc.errors[0];
    if (error) {
      // The YAML starts on the file's second line, after the opening ---.
      const line = error.linePos?.[0]?.line ?? counter.linePos(error.pos[0]).line;
      const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new ArticleFileError(file, line + 1, `the front matter is not valid YAML: ${reason}`);
    }
    if (doc.contents !== null && !isMap(doc.contents)) {
      throw new ArticleFileError(file, 2, 'the front matter must be a mapping of keys (title: ..., slug: ...).');
    }
    meta = (doc.toJS() ?? {}) as Record<string, unknown>;
    metaLine = (key: string) => {
      if (!isMap(doc.contents)) return undefined;
      const pair = doc.contents.items.find((item) => isScalar(item.key) && item.key.value === key);
      const offset = (pair?.value as {range?: [number, number, number]} | null)?.range?.[0];
      return offset === undefined ? undefined : counter.linePos(offset).line + 1;
    };
  }
  const fail = (key: string, reason: string, hint?: string): never => {
    throw new ArticleFileError(file, metaLine(key) ?? 1, reason, hint);
  };
  const str = (key: string): string | undefined => {
    const value = meta[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' || typeof value === 'number') return String(value).trim() || undefined;
    return fail(key, `"${key}" in the front matter must be text.`);
  };

  let title = str('title');
  if (!title) {
    const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(body);
    if (heading) title = heading[1]!.trim();
  }
  if (!title) fail('title', 'the article has no title.', 'Add "title: ..." to the front matter, or start the text with "# Title".');

  const slugText = str('slug');
  let slug: string;
  if (slugText) {
    try {
      slug = validateSlug(slugText);
    } catch (error) {
      return fail('slug', (error as UsageError).message, (error as UsageError).hint);
    }
  } else {
    slug = slugify(fallbackSlug ?? title!);
  }

  const localeText = str('locale') ?? str('lang') ?? 'en';
  let locale: KbLocale;
  try {
    locale = parseLocale(localeText);
  } catch (error) {
    return fail(meta.locale === undefined ? 'lang' : 'locale', (error as UsageError).message, (error as UsageError).hint);
  }

  const rawTags = meta.tags ?? [];
  const tagList = typeof rawTags === 'string' ? rawTags.split(',') : rawTags;
  if (!Array.isArray(tagList) || tagList.some((t) => typeof t !== 'string' && typeof t !== 'number')) {
    return fail('tags', '"tags" in the front matter must be a list of words.', 'Write tags: [proxy, network].');
  }
  const tags = normalizeArticleTags(tagList.map(String));

  const url = str('url');
  const updated = meta.updated ?? meta.updatedAt ?? meta.date;
  let updatedAt: number | undefined;
  if (updated !== undefined && updated !== null) {
    const ms = updated instanceof Date ? updated.getTime() : Date.parse(String(updated));
    if (Number.isNaN(ms)) fail(meta.updated === undefined ? (meta.updatedAt === undefined ? 'date' : 'updatedAt') : 'updated', `"${String(updated)}" is not a date.`, 'Write dates as 2025-01-31 or 2025-01-31T12:00:00Z.');
    updatedAt = ms;
  }

  if (!body.trim()) throw new ArticleFileError(file, undefined, 'the article has no text after its front matter.');
  return {file, slug, title: title!, body: body.replace(/^\n+/, ''), tags, locale, ...(url ? {url} : {}), ...(updatedAt === undefined ? {} : {updatedAt})};
}

/** Article tags: lowercase, spaces become hyphens (front matter is written by people). */
export function normalizeArticleTags(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase().replace(/\s+/g, '-');
    if (tag) out.add(tag);
  }
  return [...out];
}
