import {execute as oclifExecute, settings} from '@oclif/core';

/**
 * bin/run.js runs this (scripts/bundle.js makes it the bundle's `cli.js`): oclif's `execute`,
 * with its warnings about plugins it could not load held back. oclif prints each as several
 * lines naming its own module; a command says instead, in one sentence, which plugin and what
 * to do (BaseCommand, takePluginLoadFailures). Whatever no command took is said at the end.
 * It imports nothing else of ours, so that the commands' chunks stay as they were.
 */
export async function execute(options: {dir: string}): Promise<unknown> {
  // The built CLI runs its compiled code. Without this, oclif looks for TypeScript sources
  // whenever NODE_ENV is "development" or "test" (as many developers' shells have it) and warns
  // on every --help that it found none.
  settings.enableAutoTranspile = false;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const error = [warning, rest[0]].find((w): w is Error & {detail?: unknown} => w instanceof Error);
    if (error && typeof error.detail === 'string' && error.detail.includes('module: @oclif/core')) {
      held.push(error);
      return;
    }
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await oclifExecute(options);
  } finally {
    process.emitWarning = emit;
    // A command of oclif's own (help, autocomplete) took none: say it without quoting them (no outside text, nothing to neutralise).
    if (held.splice(0).length) {
      process.stderr.write('Warning: A plugin could not be loaded; `support plugins list` says which and why.\n');
    }
  }
}

const held: Error[] = [];

/** oclif's errors about plugins it could not load, for the command to say; each is taken once. */
export function takePluginLoadFailures(): Error[] {
  return held.splice(0);
}
