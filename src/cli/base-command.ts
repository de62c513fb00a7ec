import {format} from 'node:util';

import {Command, Errors, Flags, ux, type Config, type Interfaces} from '@oclif/core';

import {BACKEND_KINDS, useBackendPlugins} from '../backends/registry.js';
import {terminalSafeJson} from '../domain/neutralise.js';
import {Context} from './context.js';
import {describeFailure, isParseError} from './errors.js';
import {takePluginLoadFailures} from './execute.js';
import {processIO, type CommandIO} from './io.js';
import type {JqFilter} from './jq.js';
import {compileJq} from './jq.js';
import type {JsonShape} from './json-fields.js';
import {checkFields, jsonShape, knownFields, selectFields, takeJsonFields} from './json-output.js';
import {block, shown, writeText, type Shown, type ShowValue} from './shown.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Every `support` command: global flags, the lazily built context, and the one error path
 * (a sentence, a hint, the documented exit code; the stack only with --debug).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    profile: Flags.string({
      description: 'Profile to use (default: SUPPORT_PROFILE, then the one set with `support profile use`).',
      helpGroup: 'GLOBAL',
    }),
    'no-input': Flags.boolean({description: 'Never prompt; fail when input is missing.', helpGroup: 'GLOBAL'}),
    'no-color': Flags.boolean({description: 'Print without colour (NO_COLOR is honoured too).', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'Show debug output and stack traces.', helpGroup: 'GLOBAL'}),
    json: Flags.boolean({description: 'Print the result as JSON; --json id,title keeps only those fields.', helpGroup: 'GLOBAL'}),
    jq: Flags.string({description: 'Filter the JSON result with jq (implies --json).', helpGroup: 'GLOBAL'}),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  /** Every positional argument, for commands with `strict = false` that take a list. */
  protected positionals: string[] = [];
  private contextInstance?: Context;
  /** The names given to `--json FIELDS`, checked against the result's shape. */
  private jsonFields?: {names: string[]; shape: JsonShape};
  private jqFilter?: JqFilter;
  /**
   * Every byte the command reads or writes goes through these streams: the process's in the
   * CLI, a test's own through runWith. Nothing under a command touches process.stdout itself.
   */
  protected io: CommandIO = processIO;

  /**
   * Runs the command as oclif's `run` does, on the caller's streams instead of the process's:
   * a test gives a stdout that is a terminal of some width, a stdin with text on it, and reads
   * what was written and the exit code, with nothing of the process patched.
   */
  static async runWith(this: new (argv: string[], config: Config) => BaseCommand<typeof Command>, argv: string[], config: Config, io: CommandIO): Promise<unknown> {
    const cmd = new this(argv, config);
    cmd.io = io;
    // As oclif's run does for a class loaded without the manifest.
    if (!cmd.id) cmd.id = cmd.ctor.id = cmd.constructor.name.toLowerCase();
    return cmd._run();
  }

  protected get ctx(): Context {
    this.contextInstance ??= new Context({
      paths: {configDir: this.config.configDir, dataDir: this.config.dataDir, cacheDir: this.config.cacheDir},
      env: process.env,
      profile: this.flags?.profile,
      noInput: Boolean(this.flags?.['no-input']),
      noColor: Boolean(this.flags?.['no-color']),
      debug: Boolean(this.flags?.debug),
      io: this.io,
      warn: (message) => this.warnUser(message),
    });
    return this.contextInstance;
  }

  public override async init(): Promise<void> {
    await super.init();
    await this.useBackendPlugins();
    const failures = takePluginLoadFailures();
    if (failures.length) {
      const {brokenPlugins} = await import('./broken-plugins.js');
      for (const broken of await brokenPlugins(this.config, failures)) {
        this.warnUser(broken.message);
        writeText(this.io.stderr, shown`Hint: ${broken.hint}`);
      }
    }
    let fieldNames: string[] | undefined;
    let shape: JsonShape | undefined;
    if (this.ctor.enableJsonFlag && this.argv.some((a) => a.startsWith('--json') || a.startsWith('--jq'))) {
      // `--json FIELDS` is ours: oclif's --json is a boolean, so the names leave argv before it parses.
      const needsShape = this.argv.some((a, i) => a.startsWith('--json=') || (a === '--json' && /^[A-Za-z_]/.test(this.argv[i + 1] ?? '')));
      shape = needsShape ? await jsonShape(this.id) : undefined;
      const known = shape ? knownFields(shape) : new Set<string>();
      const taken = takeJsonFields(this.argv, {
        takesArguments: Object.keys(this.ctor.args ?? {}).length > 0 || this.ctor.strict === false,
        isField: (name) => known.has(name),
      });
      this.argv = taken.argv;
      fieldNames = taken.fields;
    }
    const {args, flags, argv} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
    this.positionals = argv as string[];
    // Checked before the command runs: a wrong name or expression changes nothing.
    if (fieldNames) {
      checkFields(fieldNames, shape);
      this.jsonFields = {names: fieldNames, shape: shape!};
    }
    const jq = (this.flags as {jq?: string}).jq;
    if (jq !== undefined) this.jqFilter = await compileJq(jq, this.io.stderr);
  }

  /**
   * Backend kinds of installed plugins, from the package.json files oclif read at start. Without
   * plugins (most users) nothing more is loaded; with some, the declarations are read only when
   * the registry is asked about kinds, and a plugin's code only when a profile of its kind opens.
   */
  private async useBackendPlugins(): Promise<void> {
    const installed = this.config
      .getPluginsList()
      .filter((p) => p.type === 'user' || p.type === 'link')
      .map((p) => ({name: p.name, root: p.root, pjson: p.pjson as {supportkit?: unknown}}));
    if (!installed.length) return useBackendPlugins(undefined);
    const {pluginBackendKinds} = await import('../backends/plugins.js');
    // Memoised by the registry: each warning (a plugin that cannot be used) is said once per command.
    useBackendPlugins(() => pluginBackendKinds(installed, BACKEND_KINDS, (message) => this.warnUser(message)));
  }

  /*
   * Everything a command writes goes through writeText (src/cli/shown.ts): a plain string is
   * neutralised whole, so a message that quotes a title, a path or a server's words cannot
   * drive the terminal; rendered output arrives as Shown, neutralised part by part.
   */

  /** A message for the person at the terminal, on stderr, kept out of --json output. */
  protected note(message: ShowValue): void {
    if (!this.jsonEnabled()) writeText(this.io.stderr, message);
  }

  protected warnUser(message: ShowValue): void {
    writeText(this.io.stderr, shown`Warning: ${message}`);
  }

  /** oclif's log, on the command's stdout: neutralised as everything else. */
  override log(message = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) writeText(this.io.stdout, format(message, ...args));
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    if (!this.jsonEnabled()) writeText(this.io.stderr, format(message, ...args));
  }

  /** oclif's warnings (a deprecated flag or alias) on the command's stderr. */
  override warn(input: string | Error): string | Error {
    if (!this.jsonEnabled()) this.warnUser(input instanceof Error ? input.message : input);
    return input;
  }

  /** Writes rendered output to stdout unless --json is on (then oclif prints the result). */
  protected print(text: ShowValue): void {
    if (this.jsonEnabled() || text === '' || String(text) === '') return;
    writeText(this.io.stdout, text);
  }

  /**
   * A list or a long view: through $PAGER on a terminal when it is longer than the screen (as
   * `kb view` and git do), unless `--no-pager`; printed as usual otherwise. Given a renderer,
   * it renders only when the output is shown: under --json the result is all that is printed.
   */
  protected async printPaged(output: Shown | (() => Promise<Shown> | Shown)): Promise<void> {
    if (this.jsonEnabled()) return;
    const text = typeof output === 'function' ? await output() : output;
    if (String(text) === '') return;
    const noPager = Boolean((this.flags as {'no-pager'?: boolean})['no-pager']);
    if (!noPager && this.ctx.mode.tty) {
      const {page} = await import('./pager.js');
      if (await page(text, {env: this.ctx.env, stdout: this.io.stdout})) return;
    }
    this.print(text);
  }

  /**
   * The JSON is exact; the characters JSON leaves as they are but a terminal may act on (C1
   * controls, bidi overrides) are written as `\uXXXX`, which parses to the same string.
   * oclif colourises JSON by tokenising it with regular expressions, about 300 ms of the 1.3 s
   * `sla status --json` took for 10,000 tickets (9 MB). Piped, there is no colour to add:
   * write the same pretty-printed text directly.
   */
  override logJson(json: unknown): void {
    // A result (from oclif after run(), or printed by a command before it exits non-zero): the fields chosen, then --jq.
    const result = this.jsonFields ? selectFields(json, this.jsonFields.names, this.jsonFields.shape) : json;
    if (this.jqFilter) {
      const out = this.jqFilter.apply(result, {tty: Boolean(this.io.stdout.isTTY)});
      if (out !== '') this.io.stdout.write(`${out}\n`);
      return;
    }
    this.writeJson(result);
  }

  private writeJson(json: unknown): void {
    const text = terminalSafeJson(JSON.stringify(json, null, 2));
    const {stdout} = this.io;
    stdout.write(`${stdout.isTTY ? ux.colorizeJson(text, {pretty: false, theme: this.config.theme?.json}) : text}\n`);
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<never> {
    const failure = describeFailure(error, {
      commandLine: [this.config.bin, ...(this.id ?? '').split(':')].join(' ').trim(),
      flagNames: Object.keys({...this.ctor.flags, ...this.ctor.baseFlags, ...(this.ctor.enableJsonFlag ? {json: true} : {})}),
      closest: isParseError(error) ? (await import('./suggest.js')).closest : undefined,
    });
    const debug = Boolean(this.flags?.debug) || /^(1|true|yes)$/i.test(process.env.SUPPORT_DEBUG ?? '');
    // An outcome, not a failure, whose result is already on stdout: a second JSON document there would break parsers.
    const resultPrinted = (error as {resultPrinted?: boolean}).resultPrinted === true;
    if (failure.message) {
      if (this.jsonEnabled() && !resultPrinted) {
        // Errors are never filtered: the document a script reads on failure stays the same.
        this.writeJson({error: {code: failure.code, message: failure.message, hint: failure.hint ?? null, exitCode: failure.exitCode}});
      } else {
        const {stderr} = this.io;
        const mode = this.contextInstance?.mode ?? {tty: Boolean(stderr.isTTY), color: false};
        const error = mode.color && stderr.isTTY ? shown`\u001B[31mError:\u001B[39m` : shown`Error:`;
        // Messages quote input and servers' words: neutralised, lines kept.
        writeText(stderr, resultPrinted ? failure.message : shown`${error} ${block(failure.message)}`);
        if (failure.hint) writeText(stderr, shown`Hint: ${block(failure.hint)}`);
      }
      if (debug && failure.stack) writeText(this.io.stderr, failure.stack);
    }
    throw new Errors.ExitError(failure.exitCode);
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await this.contextInstance?.close();
    // A newer release, once a day, for a person at a terminal; the check itself never delays a command.
    if (this.io.stderr.isTTY) {
      const notice = await import('./update-notice.js');
      if (notice.updateNoticeWanted(process.env, true)) {
        notice.updateNotice({
          root: this.config.root,
          packageName: this.config.name,
          version: this.config.version,
          cacheDir: this.config.cacheDir,
          env: process.env,
          write: (text) => writeText(this.io.stderr, text, ''),
        });
      }
    }
    await super.finally(error);
  }
}
