import {SupportError, UsageError} from '../domain/errors.js';
import {neutralise, terminalSafeJson} from '../domain/neutralise.js';

/**
 * `--jq EXPR`: the JSON result filtered through jq itself (jq 1.7 compiled to WebAssembly, the
 * jq-web package), loaded only when --jq is given. The expression is compiled before the command
 * runs, so a typo is a usage error before anything is changed. Output as `jq -r` prints it: a
 * string as text, any other value as JSON, one per line.
 */
export interface JqFilter {
  /** The lines to print for a result. */
  apply(result: unknown, options: {tty: boolean}): string;
}

interface JqFailure {
  exitCode?: number;
  stderr?: string;
  message?: string;
}

type JqModule = Awaited<typeof import('jq-web').default>;

/** jq-web sets process.exitCode and writes jq's stderr with console.warn: one call with both kept in hand. */
function call(jq: JqModule, json: string, filter: string): {out: string; warnings: string[]} {
  const exitCode = process.exitCode;
  // eslint-disable-next-line no-console -- jq-web writes jq's stderr (debug, stderr) with console.warn; it is caught and shown neutralised
  const warn = console.warn;
  const warnings: string[] = [];
  // eslint-disable-next-line no-console -- see above
  console.warn = (...args: unknown[]) => warnings.push(String(args.at(-1)));
  try {
    return {out: jq.raw(json, filter, ['-c']) ?? '', warnings};
  } finally {
    // eslint-disable-next-line no-console -- see above
    console.warn = warn;
    process.exitCode = exitCode;
  }
}

const compileError = (error: unknown) => [2, 3].includes((error as JqFailure).exitCode ?? 0);

/** jq's message without its prefix and the echo of the program. */
function jqMessage(error: JqFailure): string {
  const text = (error.stderr ?? error.message ?? String(error)).trim();
  const first = text.split('\n').find((l) => l.startsWith('jq: error')) ?? text.split('\n')[0] ?? text;
  return first.replace(/^jq: error(?: \(at [^)]*\))?: /, '').replace(/ at <top-level>, line \d+:$/, '');
}

export async function compileJq(expression: string, stderr: NodeJS.WritableStream): Promise<JqFilter> {
  const {default: loading} = await import('jq-web');
  const jq = await loading;
  try {
    // `empty | (...)` compiles the expression and runs none of it.
    call(jq, 'null', `empty | (${expression}\n)`);
  } catch (error) {
    if (!compileError(error)) throw error;
    // jq's own words for the expression as written (the wrapper would show in them): it fails to compile again, running nothing.
    try {
      call(jq, 'null', expression);
    } catch (bare) {
      if (compileError(bare)) {
        throw new UsageError(`The --jq expression is not valid jq: ${jqMessage(bare as JqFailure)}.`, {hint: 'Quote it for the shell: --jq \'.tickets[].id\'.'});
      }
    }
  }
  return {
    apply(result, {tty}) {
      let out: string;
      let warnings: string[];
      try {
        ({out, warnings} = call(jq, JSON.stringify(result), expression));
      } catch (error) {
        throw new SupportError(`The --jq expression failed on the result: ${jqMessage(error as JqFailure)}.`, {
          hint: 'Try it on the full JSON first: run the command with --json alone.',
        });
      }
      for (const w of warnings) stderr.write(`${neutralise(w)}\n`);
      if (out === '') return '';
      return out
        .split('\n')
        .map((line) => {
          if (!line.startsWith('"')) return terminalSafeJson(line);
          const text = JSON.parse(line) as string;
          // Into a file or a pipe the text is exact, as `jq -r` gives it; on a terminal it is shown, not obeyed.
          return tty ? neutralise(text) : text;
        })
        .join('\n');
    },
  };
}
