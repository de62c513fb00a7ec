import {spawn} from 'node:child_process';

import type {CommandSpec} from '../collection-profile.js';
import {formatMs, type Collector} from './collector.js';

export interface CommandCollectorOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Output beyond this is cut (the start is kept: a command's first lines say the most). */
  maxOutputBytes: number;
}

/** Variables a profile's commands never see: the toolkit's own credentials. */
const WITHHELD = ['SUPPORT_TOKEN'];

/**
 * One collector per command, so that a command that hangs or fails is recorded alone. The
 * program runs without a shell unless the profile asks for one; stdout and stderr are captured
 * together as they arrive, scrubbed, and written to commands/<name>.txt even when it fails.
 */
export function commandCollector(spec: CommandSpec, options: CommandCollectorOptions): Collector {
  const name = `command:${spec.name}`;
  return {
    name,
    // The command's own timeout fires first; this only catches a collector that cannot stop.
    timeoutMs: spec.timeoutMs + 5000,
    async run(ctx) {
      const outcome = await runCaptured(spec, options, ctx.signal);
      const shown = spec.shell ? spec.argv[0]! : spec.argv.map(quoteArg).join(' ');
      const status = outcome.timedOut
        ? `killed: no exit within ${formatMs(spec.timeoutMs)}`
        : outcome.error
          ? `could not run: ${outcome.error}`
          : outcome.signal
            ? `killed by ${outcome.signal}`
            : `exit code ${outcome.code}`;
      const output = outcome.output.toString('utf8');
      const cut = outcome.truncated ? `[output cut at ${options.maxOutputBytes} bytes]\n` : '';
      const text = `$ ${shown}\n${output}${output && !output.endsWith('\n') ? '\n' : ''}${cut}[${status}]\n`;
      const path = `commands/${spec.name}.txt`;
      const {text: scrubbed, redactions} = ctx.scrubber.scrubText(text);
      await ctx.writer.addFile({path, content: scrubbed, collector: name, redactions, truncated: outcome.truncated || outcome.timedOut});
      if (outcome.timedOut) throw new Error(`timed out after ${formatMs(spec.timeoutMs)}; the output so far is in ${path}`);
      if (outcome.error) throw new Error(`could not run ${spec.shell ? 'the shell command' : spec.argv[0]}: ${outcome.error}`);
    },
  };
}

interface Outcome {
  output: Buffer;
  truncated: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  error?: string;
}

function runCaptured(spec: CommandSpec, options: CommandCollectorOptions, signal: AbortSignal): Promise<Outcome> {
  const env = {...options.env};
  for (const key of WITHHELD) delete env[key];
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    const child = spec.shell
      ? spawn(spec.argv[0]!, {cwd: options.cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: process.platform !== 'win32'})
      : spawn(spec.argv[0]!, spec.argv.slice(1), {cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: process.platform !== 'win32'});
    const take = (chunk: Buffer) => {
      if (size >= options.maxOutputBytes) {
        truncated = true;
        return;
      }
      const room = options.maxOutputBytes - size;
      if (chunk.length > room) truncated = true;
      const part = chunk.subarray(0, room);
      chunks.push(part);
      size += part.length;
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    // The whole process group is killed, so a shell's children do not outlive it.
    const kill = () => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, spec.timeoutMs);
    const onAbort = () => kill();
    signal.addEventListener('abort', onAbort, {once: true});
    const finish = (outcome: Omit<Outcome, 'output' | 'truncated' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve({...outcome, output: Buffer.concat(chunks), truncated, timedOut});
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish({code: null, signal: null, error: error.code === 'ENOENT' ? 'not found on the PATH' : error.message}));
    child.once('close', (code, sig) => finish({code, signal: sig}));
  });
}

const quoteArg = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
