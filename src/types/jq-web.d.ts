// jq-web ships no types: a promise of jq compiled to WebAssembly, with its two calls.
declare module 'jq-web' {
  interface Jq {
    /** Like `echo JSON | jq FLAGS FILTER`: jq's stdout without its last newline; throws on a non-zero exit (`exitCode`, `stderr`). */
    raw(json: string, filter: string, flags?: string[]): string | undefined;
    json(value: unknown, filter: string): unknown;
  }
  const jq: Promise<Jq>;
  export default jq;
}
