import {open, readdir, stat} from 'node:fs/promises';
import {basename, extname, join} from 'node:path';

import {ArticleFileError, parseArticleMarkdown, type ArticleInput, type ParsedArticle} from '../domain/article.js';
import {SupportError} from '../domain/errors.js';

/** An article file beyond this is not an article (a log, a dump) and is refused unread. */
export const MAX_ARTICLE_BYTES = 1024 * 1024;
const MARKDOWN_EXTENSIONS = new Set(['.md', '.markdown', '.mdown']);
/** Articles per write: one transaction (local) or one request (server) each. */
const BATCH_SIZE = 200;

/** Where imported articles go: the local store, or a server through the rest adapter. */
export interface ArticleSink {
  upsert(articles: readonly ArticleInput[]): Promise<{slug: string; outcome: 'created' | 'updated' | 'unchanged'}[]>;
}

export interface ImportFailure {
  file: string;
  line?: number;
  message: string;
  hint?: string;
}

export interface ImportReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Files that were skipped; the others were imported all the same. */
  failed: ImportFailure[];
}

export interface ImportOptions {
  /** Called after each batch, for a progress display. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reads one Markdown article file: refuses binaries, non-UTF-8 text and oversized files with
 * a sentence that names the file, then parses its front matter.
 */
export async function readArticleFile(path: string): Promise<ParsedArticle> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArticleFileError(path, undefined, code === 'ENOENT' ? 'the file does not exist.' : `the file cannot be read (${code ?? 'error'}).`);
  }
  let bytes: Buffer;
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ArticleFileError(path, undefined, 'is not a regular file.');
    if (info.size > MAX_ARTICLE_BYTES) {
      throw new ArticleFileError(path, undefined, `the file is ${info.size} bytes; an article may have at most ${MAX_ARTICLE_BYTES}.`, 'Split it into several articles.');
    }
    bytes = Buffer.alloc(info.size);
    const {bytesRead} = await handle.read(bytes, 0, info.size, 0);
    bytes = bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (bytes.includes(0)) {
    throw new ArticleFileError(path, undefined, 'is a binary file, not a Markdown article.', 'Import .md files with front matter (title, slug, tags, locale).');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch {
    throw new ArticleFileError(path, lineOfInvalidUtf8(bytes), 'is not UTF-8 text.', 'Save the article as UTF-8.');
  }
  return parseArticleMarkdown(text, path, basename(path, extname(path)));
}

function lineOfInvalidUtf8(bytes: Buffer): number | undefined {
  // Decode line by line until one fails; good enough to point a person at the spot.
  let line = 1;
  let start = 0;
  const decoder = new TextDecoder('utf-8', {fatal: true});
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return undefined;
}

/** Expands directories into the Markdown files below them, in a stable order. */
export async function listArticleFiles(paths: readonly string[]): Promise<{files: string[]; failed: ImportFailure[]}> {
  const files: string[] = [];
  const failed: ImportFailure[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, {withFileTypes: true});
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && MARKDOWN_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(full);
    }
  };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      failed.push({file: path, message: `${path}: the file does not exist.`});
      continue;
    }
    // A file named explicitly is read whatever its extension: the user chose it.
    if (info.isDirectory()) await walk(path);
    else files.push(path);
  }
  return {files, failed};
}

/**
 * Imports Markdown articles from files and directories. A file that cannot be read or parsed
 * is reported and skipped; the rest are imported. Re-importing a file updates its article
 * (matched by slug) and never makes a second one.
 */
export async function importArticles(sink: ArticleSink, paths: readonly string[], options: ImportOptions = {}): Promise<ImportReport> {
  const {files, failed} = await listArticleFiles(paths);
  const report: ImportReport = {created: [], updated: [], unchanged: [], failed};
  const slugFiles = new Map<string, string>();
  let batch: ParsedArticle[] = [];
  let done = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const results = await sink.upsert(batch.map(({file: _file, ...article}) => article));
    for (const r of results) report[r.outcome].push(r.slug);
    done += batch.length;
    batch = [];
    options.onProgress?.(done, files.length);
  };
  for (const file of files) {
    try {
      const article = await readArticleFile(file);
      const other = slugFiles.get(article.slug);
      if (other) {
        throw new ArticleFileError(file, undefined, `the slug "${article.slug}" is already used by ${other} in this import.`, 'Give each article its own slug in the front matter.');
      }
      slugFiles.set(article.slug, file);
      batch.push(article);
    } catch (error) {
      if (!(error instanceof SupportError)) throw error;
      done++;
      report.failed.push({
        file,
        ...(error instanceof ArticleFileError && error.line !== undefined ? {line: error.line} : {}),
        message: error.message,
        ...(error.hint ? {hint: error.hint} : {}),
      });
    }
    if (batch.length >= BATCH_SIZE) await flush();
  }
  await flush();
  return report;
}
