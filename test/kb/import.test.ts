import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, test} from 'vitest';

import {ArticleFileError, parseArticleMarkdown} from '../../src/domain/article.js';
import {importArticles, readArticleFile} from '../../src/services/kb-import.js';
import {openTempKb, type TempKb} from './helpers.js';

let t: TempKb;
let src: string;
beforeEach(async () => {
  t = await openTempKb();
  src = join(t.dir, 'articles');
  mkdirSync(src);
});
afterEach(() => t.close());

const write = (name: string, content: string | Buffer) => {
  const path = join(src, name);
  writeFileSync(path, content);
  return path;
};

const GOOD = `---
title: Proxy setup
slug: proxy-setup
tags: [proxy, Network]
locale: en
---

Set HTTPS_PROXY.
`;

describe('front matter', () => {
  test('title, slug, tags and locale are read; tags are normalised', async () => {
    const article = await parseArticleMarkdown(GOOD, 'proxy.md');
    expect(article).toEqual({file: 'proxy.md', slug: 'proxy-setup', title: 'Proxy setup', tags: ['proxy', 'network'], locale: 'en', body: 'Set HTTPS_PROXY.\n'});
  });

  test('without front matter the first heading is the title and the file name the slug', async () => {
    const article = await parseArticleMarkdown('# Übertragung prüfen\n\nText.\n', 'x.md', 'Übertragung Prüfen');
    expect(article).toMatchObject({title: 'Übertragung prüfen', slug: 'ubertragung-prufen', locale: 'en', tags: []});
  });

  test('invalid YAML names the file and the line of the error', async () => {
    const text = '---\ntitle: Proxy\ntags: [proxy, network\nlocale: en\n---\n\nBody.\n';
    const error = await parseArticleMarkdown(text, 'docs/proxy.md').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArticleFileError);
    expect((error as ArticleFileError).file).toBe('docs/proxy.md');
    expect((error as ArticleFileError).message).toMatch(/^docs\/proxy\.md:\d+: the front matter is not valid YAML/);
    expect((error as ArticleFileError).line).toBeGreaterThanOrEqual(3);
    expect((error as ArticleFileError).line).toBeLessThanOrEqual(5);
  });

  test('a bad value names its own line', async () => {
    const text = '---\ntitle: Proxy\nslug: ok\nlocale: fr\n---\n\nBody.\n';
    await expect(parseArticleMarkdown(text, 'a.md')).rejects.toThrow(/^a\.md:4: "fr" is not a knowledge-base locale/);
    await expect(parseArticleMarkdown('---\ntitle: X\nslug: Not A Slug\n---\nBody\n', 'b.md')).rejects.toThrow(/^b\.md:3: /);
    await expect(parseArticleMarkdown('---\ntitle: [a, b]\n---\nBody\n', 'c.md')).rejects.toThrow(/^c\.md:2: "title" .* must be text/);
    await expect(parseArticleMarkdown('---\ntitle: X\n', 'd.md')).rejects.toThrow(/^d\.md:1: the front matter opened with --- is never closed/);
    await expect(parseArticleMarkdown('---\n- a\n- b\n---\nBody\n', 'e.md')).rejects.toThrow(/must be a mapping/);
    await expect(parseArticleMarkdown('---\ntitle: X\n---\n\n', 'f.md')).rejects.toThrow(/no text/);
    await expect(parseArticleMarkdown('Just text.\n', 'g.md')).rejects.toThrow(/^g\.md:1: the article has no title/);
  });
});

describe('import', () => {
  test('imports a directory, and re-importing updates instead of duplicating', async () => {
    write('proxy.md', GOOD);
    write('login.md', '---\ntitle: Log in\nlocale: de\n---\nMelden Sie sich an.\n');
    const first = await importArticles(t.sink, [src]);
    expect(first).toEqual({created: ['login', 'proxy-setup'], updated: [], unchanged: [], failed: []});
    const again = await importArticles(t.sink, [src]);
    expect(again).toEqual({created: [], updated: [], unchanged: ['login', 'proxy-setup'], failed: []});
    write('proxy.md', GOOD.replace('Set HTTPS_PROXY.', 'Set HTTPS_PROXY and NO_PROXY.'));
    const changed = await importArticles(t.sink, [src]);
    expect(changed.updated).toEqual(['proxy-setup']);
    expect(t.kb.count()).toBe(2);
    expect(t.kb.get('proxy-setup').body).toContain('NO_PROXY');
  });

  test('a file with invalid YAML is reported with file and line, and the rest is imported', async () => {
    write('a-good.md', GOOD);
    const bad = write('b-bad.md', '---\ntitle: "unterminated\nslug: bad\n---\nBody\n');
    write('c-good.md', GOOD.replace('proxy-setup', 'proxy-two'));
    const report = await importArticles(t.sink, [src]);
    expect(report.created).toEqual(['proxy-setup', 'proxy-two']);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({file: bad, line: expect.any(Number)});
    expect(report.failed[0]!.message).toContain(`${bad}:`);
    expect(report.failed[0]!.message).toContain('not valid YAML');
  });

  test('a binary file is refused with a sentence, not a crash', async () => {
    const png = write('image.md', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    await expect(readArticleFile(png)).rejects.toThrow(`${png}: is a binary file, not a Markdown article.`);
    const latin1 = write('latin1.md', Buffer.from('---\ntitle: Gr\xfc\xdfe\n---\nText\n', 'latin1'));
    await expect(readArticleFile(latin1)).rejects.toThrow(`${latin1}:2: is not UTF-8 text.`);
    write('good.md', GOOD);
    const report = await importArticles(t.sink, [png, latin1, join(src, 'good.md')]);
    expect(report.created).toEqual(['proxy-setup']);
    expect(report.failed.map((f) => f.file)).toEqual([png, latin1]);
  });

  test('missing paths, duplicate slugs and oversized files are reported', async () => {
    write('one.md', GOOD);
    write('two.md', GOOD);
    write('big.md', `---\ntitle: Big\n---\n${'x'.repeat(1024 * 1024)}`);
    const report = await importArticles(t.sink, [src, join(src, 'missing.md')]);
    expect(report.created).toEqual(['proxy-setup']);
    const messages = report.failed.map((f) => f.message).join('\n');
    expect(messages).toContain('missing.md: the file does not exist.');
    expect(messages).toContain('the slug "proxy-setup" is already used by');
    expect(messages).toMatch(/big\.md: the file is \d+ bytes/);
  });

  test('progress is reported per batch', async () => {
    for (let i = 0; i < 3; i++) write(`a${i}.md`, GOOD.replace('proxy-setup', `proxy-${i}`));
    const seen: [number, number][] = [];
    await importArticles(t.sink, [src], {onProgress: (done, total) => seen.push([done, total])});
    expect(seen.at(-1)).toEqual([3, 3]);
  });
});
