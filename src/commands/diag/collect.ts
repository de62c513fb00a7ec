import {basename} from 'node:path';

import {Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {progressBar, uploadRetryNote} from '../../cli/progress.js';
import {writeText} from '../../cli/shown.js';
import {renderBundleSummary} from '../../cli/render/diag.js';
import {unsupported} from '../../backends/capabilities.js';
import {CancelledError, UsageError, type UnsupportedError} from '../../domain/errors.js';
import type {Attachment} from '../../domain/ticket.js';
import {formatBytes} from '../../domain/ticket.js';
import {parseByteSize, parseSince} from '../../diag/units.js';
import {attachBundle, backendTarget, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_TOTAL_SIZE, planBundle, type BundleSummary} from '../../services/diag.js';

export type DiagCollectResult = BundleSummary & {attachment: Attachment | null};

export default class DiagCollect extends BaseCommand<typeof DiagCollect> {
  static override summary = 'Collect a diagnostic bundle, scrubbed of secrets, to send to support.';
  static override description =
    'Gathers system, runtime, network and environment facts, plus the files, log tails and command output a ' +
    'collection profile asks for (--profile-file, or support-diag.yml in the current directory). Everything is ' +
    'scrubbed of secrets before it is written. On a terminal you see what the bundle holds and confirm before it ' +
    'is written; scripts pass --yes. --dry-run shows the same summary and writes nothing.';

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --ticket 42 --since 24h',
    '<%= config.bin %> <%= command.id %> --yes --output ./bundle.tar.gz --include "logs/**/*.log" --exclude "**/*.key" --max-total-size 20MB',
  ];

  static override flags = {
    output: Flags.string({char: 'o', description: 'Where to write the bundle (default ./support-bundle-<host>-<timestamp>.tar.gz).'}),
    ticket: Flags.string({description: 'Attach the bundle to this ticket once it is written.'}),
    include: Flags.string({description: 'Also collect files matching this glob, relative to the collection root (repeatable).', multiple: true}),
    exclude: Flags.string({description: 'Leave out files matching this glob (repeatable).', multiple: true}),
    since: Flags.string({description: 'Keep log lines from this long ago on (24h, 7d) or from a date (2024-05-01T08:00Z).'}),
    'max-file-size': Flags.string({description: 'Take at most this much of each file, from its end (default 10MB).'}),
    'max-total-size': Flags.string({description: 'Take at most this much in all, newest files first (default 50MB).'}),
    'profile-file': Flags.string({description: 'Collection profile (YAML) listing files, logs and commands (default ./support-diag.yml).'}),
    'dry-run': Flags.boolean({description: 'Show what the bundle would hold; write nothing.'}),
    yes: Flags.boolean({char: 'y', description: 'Write the bundle without asking (for scripts).'}),
    pseudonymize: Flags.boolean({description: 'Replace e-mails, IP addresses and host names with consistent stand-ins.'}),
    'include-binary': Flags.boolean({description: 'Keep binary files (unscrubbed) instead of leaving them out.'}),
  };

  async run(): Promise<DiagCollectResult> {
    const {flags, ctx} = this;
    const maxFileSize = flags['max-file-size'] ? parseByteSize(flags['max-file-size'], '--max-file-size') : DEFAULT_MAX_FILE_SIZE;
    const maxTotalSize = flags['max-total-size'] ? parseByteSize(flags['max-total-size'], '--max-total-size') : DEFAULT_MAX_TOTAL_SIZE;
    const since = flags.since ? parseSince(flags.since) : undefined;
    const ask = !flags['dry-run'] && !flags.yes;
    if (ask && !ctx.interactive) {
      throw new UsageError('Writing a diagnostic bundle needs your consent, and there is no terminal to ask on.', {
        hint: 'Pass --yes to write it without asking, or --dry-run to see what it would hold.',
      });
    }
    // A ticket that does not exist is found out before minutes of collecting, not after. A
    // backend that takes no files (GitHub) still gets the bundle written, and says where to put it.
    let cannotAttach: UnsupportedError | undefined;
    if (flags.ticket && !flags['dry-run']) {
      const backend = await ctx.backend();
      await backend.tickets.get(flags.ticket);
      if (!backend.capabilities.has('attachments')) cannotAttach = unsupported(backend, 'attachments', {ticketId: flags.ticket});
    }

    const active = await ctx.activeProfile().catch(() => undefined);
    const settings = await ctx.profiles.read().catch((error: Error) => ({unreadable: error.message}));
    if (ctx.interactive) this.note('Collecting diagnostics…');
    const staged = await planBundle({
      output: flags.output,
      cwd: process.cwd(),
      env: ctx.env,
      // The product's name in bundle manifests, not the npm package's (supportkit-cli).
      toolkit: {name: 'supportkit', version: this.config.version},
      settings,
      profiles: 'profiles' in settings ? Object.keys(settings.profiles) : [],
      activeProfile: active?.name ?? 'unknown',
      backend: active ? backendTarget(active.profile.backend, active.profile.url, ctx.paths.dataDir) : {kind: 'unknown'},
      configDir: ctx.paths.configDir,
      dataDir: ctx.paths.dataDir,
      include: flags.include,
      exclude: flags.exclude,
      since,
      maxFileSize,
      maxTotalSize,
      profileFile: flags['profile-file'],
      pseudonymize: flags.pseudonymize,
      includeBinary: flags['include-binary'],
    });

    if (flags['dry-run']) {
      await staged.discard();
      this.print(await renderBundleSummary(staged.summary, ctx.mode));
      if (flags.ticket) this.note(`Dry run: nothing was written or attached to ticket ${flags.ticket}.`);
      return {...staged.summary, attachment: null};
    }
    if (ask) {
      writeText(this.io.stderr, await renderBundleSummary(staged.summary, {...ctx.mode, tty: true}), '\n\n');
      const yes = await ctx.prompter.confirm(`Write this bundle to ${staged.summary.path}?`, {default: true}).catch(async (error: unknown) => {
        await staged.discard();
        throw error;
      });
      if (!yes) {
        await staged.discard();
        throw new CancelledError('Nothing was written.');
      }
    }
    const summary = await staged.commit();

    let attachment: Attachment | null = null;
    if (cannotAttach) {
      // A warning, so that it shows under --json too: the ticket did not get the file.
      this.warnUser(`${cannotAttach.message.replace(/\.$/, '')}, so ${summary.path} was written but not attached to ticket ${flags.ticket}. ${cannotAttach.hint ?? ''}`.trim());
    } else if (flags.ticket) {
      const bar = progressBar('Uploading', {enabled: !this.jsonEnabled(), stream: this.io.stderr});
      try {
        attachment = (
          await attachBundle(await ctx.backend(), flags.ticket, summary.path, {
            onProgress: (sent, total) => bar.update(sent, total),
            onRetry: (event) => {
              bar.stop();
              this.note(uploadRetryNote(basename(summary.path), event));
            },
          })
        ).attachment;
      } finally {
        bar.stop();
      }
    }

    if (ctx.mode.tty) {
      const failed = summary.collectors.filter((col) => !col.ok).map((col) => col.name);
      const lines = [`Wrote ${summary.path} (${formatBytes(summary.size)}, ${summary.files.length} files, sha256 ${summary.sha256}).`];
      if (failed.length) lines.push(`Some collectors failed and are noted in the bundle: ${failed.join(', ')}.`);
      if (attachment) lines.push(`Attached to ticket #${attachment.ticketId} as ${attachment.name}.`);
      else if (cannotAttach) lines.push(`Check it with \`support diag inspect ${summary.path}\` before you put it in the ticket.`);
      else lines.push(`Check it with \`support diag inspect ${summary.path}\`, then attach it with \`support diag attach ${summary.path} --ticket ID\`.`);
      this.print(lines.join('\n'));
    } else {
      this.print(summary.path);
    }
    return {...summary, attachment};
  }
}
