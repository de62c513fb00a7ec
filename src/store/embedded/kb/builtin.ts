import {createHash} from 'node:crypto';
import {readdirSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import {parseArticleMarkdown, type ArticleInput} from '../../../domain/article.js';
import type {LocalStore} from '../store.js';
import {LocalKb} from './store.js';

/**
 * The toolkit's own help articles (builtin/*.md, English and German), seeded into the local
 * store so that `kb search` answers on a fresh machine. The build copies the folder to dist.
 */
export const BUILTIN_DIR = fileURLToPath(new URL('./builtin/', import.meta.url));

const SEEDED_KEY = 'builtin_hash';

function readBuiltinSources(dir: string): {file: string; text: string}[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => ({file: `${dir}${name}`, text: readFileSync(`${dir}${name}`, 'utf8')}));
}

/** Parses every built-in article; a broken one is a bug in this package, so it throws. */
export async function loadBuiltinArticles(dir = BUILTIN_DIR): Promise<ArticleInput[]> {
  const sources = readBuiltinSources(dir);
  return Promise.all(sources.map(async ({file, text}) => {
    const {file: _file, ...article} = await parseArticleMarkdown(text, file);
    return article;
  }));
}

/**
 * Writes the built-in articles when they are new or changed since the last seeding (a hash of
 * the files says which), so every open after the first costs one small read. Articles the user
 * deleted stay deleted; the user's own edits to a built-in article are overwritten only when
 * a new version of the toolkit changes that article.
 */
export async function seedBuiltinArticles(kb: LocalKb, dir = BUILTIN_DIR): Promise<number> {
  const digest = builtinDigest(dir);
  if (kb.getMeta(SEEDED_KEY) === digest) return 0;
  const articles = (await loadBuiltinArticles(dir)).filter((a) => !kb.wasDeleted(a.slug));
  const results = kb.upsertMany(articles);
  kb.setMeta(SEEDED_KEY, digest);
  return results.filter((r) => r.outcome !== 'unchanged').length;
}

/** A hash of the built-in articles' files: when it changes, they are written again. */
export function builtinDigest(dir = BUILTIN_DIR): string {
  const hash = createHash('sha256');
  for (const {file, text} of readBuiltinSources(dir)) hash.update(file.slice(dir.length)).update('\0').update(text).update('\0');
  return hash.digest('hex');
}

/** The knowledge base of a local store, with the built-in articles in it. */
export async function openLocalKb(store: LocalStore, now?: () => number): Promise<LocalKb> {
  const kb = new LocalKb(store, now);
  // A store that can only be read is searched as it is.
  if (!store.readOnly) await seedBuiltinArticles(kb);
  return kb;
}
