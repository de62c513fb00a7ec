let turndownLoaded: Promise<(html: string) => string> | undefined;

/**
 * An HTML article body as Markdown, for reading on a terminal (turndown, loaded on first use).
 * Scripts, styles and embedded frames are not text and are dropped; what remains goes through
 * the Markdown renderer, which neutralises control characters like any other article.
 */
export function htmlToMarkdown(html: string): Promise<string> {
  turndownLoaded ??= import('turndown').then(({default: TurndownService}) => {
    const service = new TurndownService({headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-'});
    service.remove(['script', 'style', 'iframe', 'object', 'embed', 'noscript'] as never);
    return (text: string) => `${service.turndown(text).trim()}\n`;
  });
  return turndownLoaded.then((convert) => convert(html));
}
