import {createHash, randomUUID} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {access, chmod, constants, copyFile, mkdtemp, rename, rm, stat} from 'node:fs/promises';
import {hostname, tmpdir} from 'node:os';
import {basename, dirname, join, resolve} from 'node:path';
import {Transform} from 'node:stream';

import type {AttachmentSource, Backend, RetryEvent} from '../backends/backend.js';
import {loadCollectionProfile, type CollectionProfile} from '../diag/collection-profile.js';
import {runCollector, type Collector} from '../diag/collectors/collector.js';
import {commandCollector} from '../diag/collectors/commands.js';
import {environmentCollector} from '../diag/collectors/environment.js';
import {filesCollector, logsCollector, type SizeBudget} from '../diag/collectors/files.js';
import {networkCollector, type BackendTarget} from '../diag/collectors/network.js';
import {runtimeCollector} from '../diag/collectors/runtime.js';
import {systemCollector} from '../diag/collectors/system.js';
import {createBundleWriter, inspectBundle, type BundleProblem, type ManifestCollector, type ManifestSkip} from '../diag/bundle.js';
import {Pseudonymizer} from '../diag/pseudonyms.js';
import {loadScrubber, type RedactionCounts} from '../diag/scrubber.js';
import {requireCapability} from '../backends/capabilities.js';
import {RejectedError, SupportError, UsageError} from '../domain/errors.js';
import type {Attachment} from '../domain/ticket.js';

export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_SIZE = 50 * 1024 * 1024;

export interface CollectBundleOptions {
  /** The .tar.gz to write; default ./support-bundle-<host>-<timestamp>.tar.gz in cwd. */
  output?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  toolkit: {name: string; version: string};
  /** The toolkit's settings and profiles, for the runtime collector (secret keys are blanked). */
  settings: unknown;
  profiles: string[];
  activeProfile: string;
  backend: BackendTarget;
  configDir: string;
  dataDir: string;
  include?: string[];
  exclude?: string[];
  since?: Date;
  maxFileSize?: number;
  maxTotalSize?: number;
  /** --profile-file; otherwise support-diag.yml in cwd, when there is one. */
  profileFile?: string;
  pseudonymize?: boolean;
  includeBinary?: boolean;
  /** Where the bundle is built before it is moved into place. Default: a private folder in the OS temp dir. */
  stagingDir?: string;
  /** Per-step timeout of the backend probe. */
  probeTimeoutMs?: number;
  now?: Date;
}

export interface BundleSummaryFile {
  path: string;
  size: number;
  collector: string;
  truncated: boolean;
  redactions: RedactionCounts;
}

/** What a bundle holds: shown for consent, printed by --dry-run, and returned under --json. */
export interface BundleSummary {
  /** Where the bundle is (or, for a dry run, would be) written. */
  path: string;
  written: boolean;
  /** Compressed size. */
  size: number;
  sha256: string;
  createdAt: string;
  profileFile: string | null;
  /** Where the pseudonym map is kept on this machine, when --pseudonymize was given. */
  pseudonymMap: string | null;
  files: BundleSummaryFile[];
  /** Uncompressed bytes of all files. */
  totalSize: number;
  redactions: RedactionCounts;
  skipped: ManifestSkip[];
  collectors: ManifestCollector[];
}

/**
 * A bundle built but not yet delivered. Planning collects for real into a private staging
 * folder, so the summary a user consents to is exactly the archive they send: commit() moves
 * that same file into place; discard() deletes it and nothing is left behind.
 */
export interface StagedBundle {
  summary: BundleSummary;
  commit(): Promise<BundleSummary>;
  discard(): Promise<void>;
}

/**
 * What the network collector probes for a profile: a remote backend by its URL, the local
 * store by its database file (<dataDir>/local/support.db, where the local adapter keeps it).
 */
export function backendTarget(kind: string, url: string | undefined, dataDir: string): BackendTarget {
  if (url) return {kind, url};
  return kind === 'local' ? {kind, databasePath: join(dataDir, 'local', 'support.db')} : {kind};
}

/** ./support-bundle-<host>-<YYYYMMDDTHHMMSSZ>.tar.gz */
export function defaultBundleName(host: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safeHost = host.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'host';
  return `support-bundle-${safeHost}-${stamp}.tar.gz`;
}

export async function planBundle(options: CollectBundleOptions): Promise<StagedBundle> {
  const now = options.now ?? new Date();
  const profile = await loadCollectionProfile(options.profileFile, options.cwd, now.getTime());
  const pseudonymizer = options.pseudonymize ? newPseudonymizer(options) : undefined;
  const host = hostname();
  const output = resolve(options.cwd, options.output ?? defaultBundleName(pseudonymizer ? pseudonymizer.pseudonym('hostname', host) : host, now));
  await checkOutputFolder(output);

  const scrubber = await loadScrubber({patterns: profile?.scrub, pseudonymizer});
  const stage = await mkdtemp(join(options.stagingDir ?? tmpdir(), 'support-bundle-'));
  try {
    const stagedPath = join(stage, basename(output));
    const writer = await createBundleWriter({path: stagedPath, toolkitVersion: options.toolkit.version, toolkitName: options.toolkit.name, createdAt: now});
    try {
      for (const collector of collectorsFor(options, profile, output)) await runCollector(collector, {writer, scrubber});
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const finished = await writer.finish();
    const m = finished.manifest;
    const summary: BundleSummary = {
      path: output,
      written: false,
      size: finished.size,
      sha256: await sha256File(stagedPath),
      createdAt: m.createdAt,
      profileFile: profile?.file ?? null,
      pseudonymMap: pseudonymizer ? pseudonymMapFile(options) : null,
      files: m.files.map((f) => ({path: f.path, size: f.size, collector: f.collector, truncated: f.truncated, redactions: f.redactions})),
      totalSize: m.files.reduce((sum, f) => sum + f.size, 0),
      redactions: m.redactions,
      skipped: m.skipped,
      collectors: m.collectors,
    };
    let done = false;
    return {
      summary,
      async commit() {
        if (done) throw new SupportError('The bundle was already delivered or discarded.');
        done = true;
        try {
          await moveInto(stagedPath, output);
          // The map back to real names is kept only for bundles that were written.
          pseudonymizer?.save();
        } finally {
          await rm(stage, {recursive: true, force: true});
        }
        return {...summary, written: true};
      },
      async discard() {
        done = true;
        await rm(stage, {recursive: true, force: true});
      },
    };
  } catch (error) {
    await rm(stage, {recursive: true, force: true});
    throw error;
  }
}

/** Collects and writes the bundle without asking (the caller has consent, or --yes). */
export async function collectBundle(options: CollectBundleOptions): Promise<BundleSummary> {
  return (await planBundle(options)).commit();
}

function collectorsFor(options: CollectBundleOptions, profile: CollectionProfile | undefined, output: string): Collector[] {
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const budget: SizeBudget = {remaining: options.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE};
  const collectors: Collector[] = [
    systemCollector({diskPaths: [options.cwd, options.dataDir]}),
    runtimeCollector({toolkit: options.toolkit, settings: options.settings, profiles: options.profiles, activeProfile: options.activeProfile}),
    networkCollector({env: options.env, backend: options.backend, stepTimeoutMs: options.probeTimeoutMs}),
    environmentCollector(options.env),
  ];
  const root = profile?.root ?? options.cwd;
  const files = [...(profile?.files ?? []), ...(options.include ?? [])];
  const shared = {
    root,
    files,
    logs: profile?.logs ?? [],
    exclude: [...(profile?.exclude ?? []), ...(options.exclude ?? [])],
    excludePaths: [output],
    maxFileSize,
    budget,
    since: options.since,
    includeBinary: options.includeBinary,
  };
  if (files.length > 0) collectors.push(filesCollector(shared));
  if (shared.logs.length > 0) collectors.push(logsCollector(shared));
  for (const spec of profile?.commands ?? []) {
    collectors.push(commandCollector(spec, {cwd: root, env: options.env, maxOutputBytes: Math.min(maxFileSize, 1024 * 1024)}));
  }
  return collectors;
}

const pseudonymMapFile = (options: CollectBundleOptions) => join(options.dataDir, 'diag', 'pseudonyms.json');

function newPseudonymizer(options: CollectBundleOptions): Pseudonymizer {
  let keep: string[] = [];
  try {
    if (options.backend.url) keep = [new URL(options.backend.url).hostname];
  } catch {
    // an unparsable URL is reported by the network collector
  }
  return new Pseudonymizer({
    keyFile: join(options.configDir, 'diag', 'pseudonym.key'),
    mapFile: pseudonymMapFile(options),
    hostnames: [hostname()],
    keep,
  });
}

/** Fails before anything is collected when the bundle could not be written where asked. */
async function checkOutputFolder(output: string): Promise<void> {
  const folder = dirname(output);
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new UsageError(`Cannot write the bundle to ${folder}.`, {hint: 'Choose another place with --output FILE.'});
  }
  const existing = await stat(output).catch(() => undefined);
  if (existing && !existing.isFile()) throw new UsageError(`${output} exists and is not a regular file.`, {hint: 'Choose another name with --output FILE.'});
}

/** Renames within a file system; copies (still 0600) across file systems. */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const temp = join(dirname(to), `.${basename(to)}.${process.pid}.partial`);
    await copyFile(from, temp, constants.COPYFILE_EXCL);
    await chmod(temp, 0o600);
    await rename(temp, to);
  }
  await chmod(to, 0o600);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------
// Inspect

export interface BundleInspectionResult {
  path: string;
  /** Every check asked for passed: the files match the manifest, and (with a ticket) the upload record. */
  ok: boolean;
  size: number;
  sha256: string;
  createdAt: string | null;
  toolkit: {name: string; version: string} | null;
  files: (BundleSummaryFile & {sha256: string; verified: boolean})[];
  redactions: RedactionCounts;
  skipped: ManifestSkip[];
  collectors: ManifestCollector[];
  problems: InspectionProblem[];
  /** With `--ticket`: how the file compares with what the backend recorded when it was attached. */
  upload: UploadCheck | null;
}

export type InspectionProblem = BundleProblem | {kind: 'upload-mismatch'; path?: undefined; detail: string};

/**
 * The backend records an attachment's sha256 from the bytes it received (the local store and
 * the reference server both hash what arrives; a client cannot name it). A file whose sha256 is
 * on the ticket is byte for byte what was uploaded.
 */
export interface UploadCheck {
  ticketId: string;
  /** The attachment with this file's sha256, when there is one. */
  match: Attachment | null;
  /** Attachments with the file's name (and, when there is no match, other bytes). */
  sameName: Attachment[];
  attachments: number;
}

export interface InspectOptions {
  /** Compare the file with the attachments of this ticket. */
  ticket?: {id: string; backend: () => Promise<Backend>};
}

const NOT_A_BUNDLE_HINT = 'Ask for a fresh bundle made with `support diag collect`; `tar -tzf FILE` shows what the file holds.';

/**
 * Checks every file against the manifest's checksums and lists what the bundle holds; with a
 * ticket, also whether the file is one of the ticket's attachments. A file that is not a valid
 * bundle at all (no readable archive, no manifest, a manifest of the wrong shape) is rejected.
 */
export async function inspectDiagBundle(path: string, options: InspectOptions = {}): Promise<BundleInspectionResult> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(`The bundle ${path} does not exist.`, {hint: 'Give the path of a .tar.gz written by `support diag collect`.'});
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file.`, {hint: 'Give the path of a .tar.gz written by `support diag collect`.'});
  const inspection = await inspectBundle(path);
  if (inspection.invalid !== undefined || !inspection.manifest) {
    throw new RejectedError(`${path} is not a valid bundle: ${inspection.invalid ?? 'its manifest cannot be read'}.`, {hint: NOT_A_BUNDLE_HINT});
  }
  const bad = new Set(inspection.problems.map((p) => p.path).filter(Boolean));
  const m = inspection.manifest;
  const sha256 = await sha256File(path);
  const problems: InspectionProblem[] = [...inspection.problems];
  let upload: UploadCheck | null = null;
  if (options.ticket) {
    upload = await checkUpload(await options.ticket.backend(), options.ticket.id, basename(path), sha256);
    if (!upload.match) problems.push({kind: 'upload-mismatch', detail: describeUploadMismatch(upload, basename(path), sha256)});
  }
  return {
    path,
    ok: problems.length === 0,
    size: info.size,
    sha256,
    createdAt: m.createdAt,
    toolkit: m.toolkit,
    files: m.files.map((f) => ({path: f.path, size: f.size, sha256: f.sha256, collector: f.collector, truncated: f.truncated, redactions: f.redactions, verified: !bad.has(f.path) && inspection.entries.some((e) => e.path === f.path)})),
    redactions: m.redactions,
    skipped: m.skipped,
    collectors: m.collectors,
    problems,
    upload,
  };
}

/** Looks for the file among the ticket's attachments, by sha256. */
export async function checkUpload(backend: Backend, ticketId: string, name: string, sha256: string): Promise<UploadCheck> {
  requireCapability(backend, 'attachments', {ticketId});
  const ticket = await backend.tickets.get(ticketId);
  const match = ticket.attachments.find((a) => a.sha256 === sha256) ?? null;
  const sameName = ticket.attachments.filter((a) => a.name === name && a !== match);
  return {ticketId: ticket.id, match, sameName, attachments: ticket.attachments.length};
}

function describeUploadMismatch(upload: UploadCheck, name: string, sha256: string): string {
  const named = upload.sameName.at(-1);
  if (named) {
    return `ticket #${upload.ticketId}'s attachment ${named.name} (id ${named.id}, ${named.createdAt}) has sha256 ${named.sha256}; this file has ${sha256}: it is not what was uploaded`;
  }
  const count = upload.attachments === 0 ? 'no attachments' : `${upload.attachments} attachment${upload.attachments === 1 ? '' : 's'}, none named ${name}`;
  return `no attachment of ticket #${upload.ticketId} has this file's sha256 ${sha256} (it has ${count})`;
}

// ---------------------------------------------------------------------------------------
// Attach

export interface AttachBundleOptions {
  /** Bytes sent so far in the current attempt, and the total; a retry starts again from 0. */
  onProgress?: (sent: number, total: number) => void;
  /** Told before the backend's client waits to send the bundle again. */
  onRetry?: (event: RetryEvent) => void;
}

export interface AttachBundleResult {
  attachment: Attachment;
  /** Uploads begun, the first included. */
  attempts: number;
  /** The local file's sha256, which the backend's copy was checked against. */
  sha256: string;
}

/**
 * Uploads a bundle through the backend's attachment API, as one logical operation: one
 * idempotency key for all its attempts, and the backend's HTTP client the one owner of the
 * retries (network errors, 5xx, rate limits, honouring Retry-After), re-opening the file from
 * the start for each. A server that got the whole bundle on an attempt whose answer was lost
 * replays that attachment instead of storing a second. The sha256 the backend reports must
 * match the local file, or the upload is reported as corrupt.
 */
export async function attachBundle(backend: Backend, ticketId: string, path: string, options: AttachBundleOptions = {}): Promise<AttachBundleResult> {
  requireCapability(backend, 'attachments', {ticketId});
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`The bundle ${path} does not exist or is not a regular file.`, {hint: 'Give the path of a .tar.gz written by `support diag collect`.'});
  const sha256 = await sha256File(path);
  let attempts = 0;
  const source: AttachmentSource = {
    name: basename(path),
    size: info.size,
    contentType: 'application/gzip',
    open: () => {
      attempts++;
      let sent = 0;
      options.onProgress?.(0, info.size);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          sent += chunk.length;
          options.onProgress?.(sent, info.size);
          done(null, chunk);
        },
      });
      const file = createReadStream(path);
      file.on('error', (error) => counter.destroy(error));
      return file.pipe(counter);
    },
  };
  const attachment = await backend.tickets.attach(ticketId, source, {idempotencyKey: randomUUID(), attempts: {onRetry: options.onRetry}});
  if (attachment.sha256 !== sha256) {
    throw new SupportError(`The backend stored a copy of ${source.name} whose sha256 (${attachment.sha256}) differs from the local file's (${sha256}).`, {
      hint: `Check that the file was not changed during the upload, then attach it again; tell support to ignore attachment ${attachment.id}.`,
    });
  }
  return {attachment, attempts: Math.max(1, attempts), sha256};
}
