import type {BundleWriter, ManifestCollector, ManifestFile} from '../bundle.js';
import type {Scrubber} from '../scrubber.js';

/** What every collector gets: where to put its output and the scrubber it must pass through. */
export interface CollectorContext {
  writer: BundleWriter;
  scrubber: Scrubber;
  /** Aborted when the collector's time is up; long steps should stop on it. */
  signal: AbortSignal;
}

export interface Collector {
  name: string;
  /** The collector is abandoned (and recorded as failed) after this long. Default 60 s. */
  timeoutMs?: number;
  run(ctx: CollectorContext): Promise<void>;
}

/** A collector that fails on purpose after writing what it could, so the manifest says why. */
export class CollectorFailure extends Error {}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Scrubs a generated text and adds it to the bundle. Every collector's own output goes through here. */
export function addScrubbedText(ctx: CollectorContext, path: string, collector: string, text: string): Promise<ManifestFile> {
  const {text: scrubbed, redactions} = ctx.scrubber.scrubText(text, {name: path});
  return ctx.writer.addFile({path, content: scrubbed, collector, redactions});
}

/** A value as JSON text for the bundle: two-space indented, newline-terminated. */
export const asJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Runs one collector, timed, and records how it went in the manifest. A failure or a timeout
 * is written down and swallowed: the other collectors and the bundle carry on.
 */
export async function runCollector(collector: Collector, ctx: Omit<CollectorContext, 'signal'>): Promise<ManifestCollector> {
  const controller = new AbortController();
  const timeoutMs = collector.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${formatMs(timeoutMs)}`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  let result: ManifestCollector;
  try {
    await Promise.race([collector.run({...ctx, signal: controller.signal}), timedOut]);
    result = {name: collector.name, ok: true, durationMs: elapsed(started)};
  } catch (error) {
    // An error message can quote a URL or a command line: it is scrubbed like everything else.
    const message = ctx.scrubber.scrubText(String((error as Error).message ?? error)).text;
    result = {name: collector.name, ok: false, durationMs: elapsed(started), error: message};
  } finally {
    clearTimeout(timer);
  }
  ctx.writer.recordCollector(result);
  return result;
}

const elapsed = (started: number) => Math.round(performance.now() - started);

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
