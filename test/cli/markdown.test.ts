import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';

import {renderMarkdown} from '../../src/cli/render/markdown.js';
import {expectNeutralised, HOSTILE} from './hostile.js';

const render = async (markdown: string, width = 60, color = false) => String(await renderMarkdown(markdown, {color, width}));
// eslint-disable-next-line no-control-regex -- the renderer's own styling
const plain = (text: string) => text.replace(/\u001B\[[0-9;]*m/g, '');

describe('kb view Markdown on a terminal', () => {
  it('shows a code block indented, without a line for the fence language', async () => {
    const out = await render('Set it:\n\n```sh\nexport HTTPS_PROXY=http://proxy.example.com:3128\n```\n\nDone.');
    expect(out).toBe('Set it:\n\n    export HTTPS_PROXY=http://proxy.example.com:3128\n\nDone.');
    expect(out).not.toMatch(/^\s*sh$/m);
  });

  it('wraps paragraphs at word boundaries to the width, wide characters counted as two columns', async () => {
    const text = 'Behind a corporate proxy, tell the CLI where the proxy is with the usual environment variables, 中文的句子也要换行 and then run it again.';
    for (const width of [20, 33, 60]) {
      const lines = (await render(text, width)).split('\n');
      for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(Math.max(width, 'environment'.length));
      expect(lines.join(' ')).toBe(text);
    }
  });

  it('keeps a word longer than the line whole, and never splits an escape', async () => {
    const url = `https://example.com/${'x'.repeat(50)}`;
    const out = await render(`See ${url} and \u001B[2J now.`, 30);
    expect(out.split('\n')).toContain(url);
    expect(out).toContain('\\x1b[2J');
  });

  it('draws headings, nested and task lists, quotes, rules, tables and links', async () => {
    const md = [
      '# Proxy',
      '',
      'Use **bold**, *emphasis*, `code` and [the guide](https://example.com/guide).',
      '',
      '1. First',
      '2. Second',
      '   - nested',
      '   - [x] done',
      '',
      '> Quoted.',
      '',
      '| Setting | Value |',
      '|---|--:|',
      '| HTTPS_PROXY | 3128 |',
      '| NO_PROXY | localhost |',
      '',
      '---',
    ].join('\n');
    const lines = (await render(md, 100)).split('\n');
    expect(lines.slice(0, 4)).toEqual(['Proxy', '=====', '', 'Use bold, emphasis, code and the guide (https://example.com/guide).']);
    expect(lines).toEqual(expect.arrayContaining(['1. First', '2. Second', '   ◦ nested', '   ☑ done', '│ Quoted.']));
    const table = lines.filter((l) => /^(Setting|HTTPS_PROXY|NO_PROXY)/.test(l));
    expect(table).toEqual(['Setting          Value', 'HTTPS_PROXY       3128', 'NO_PROXY     localhost']);
    expect(lines.at(-1)).toMatch(/^─+$/);
  });

  it('styles with colour only when asked', async () => {
    const md = '# Title\n\nSome **bold** and `code`.';
    expect(await render(md)).not.toContain('\u001B');
    const colored = await render(md, 60, true);
    expect(colored).toContain('\u001B[1m');
    expect(plain(colored)).toBe('Title\n\nSome bold and code.');
  });

  it('shows hostile text as escapes, also where marked decodes a character reference', async () => {
    const md = `# ${HOSTILE}\n\n${HOSTILE}\n\n- ${HOSTILE}\n\n\`\`\`\n${HOSTILE}\n\`\`\`\n\n[${HOSTILE}](https://x.example/${HOSTILE})\n\nRefs: &#27;]0;pwned&#7; &#x1b;[2J &#155;31m &#8238;exe &#0; &#x2066;`;
    for (const color of [false, true]) {
      const out = await render(md, 80, color);
      expectNeutralised(out);
      expect(out).toContain('\\x1b]0;pwned\\x07');
      expect(out).toContain('\\u202eexe');
    }
  });
});
