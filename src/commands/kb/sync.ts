import {BaseCommand} from '../../cli/base-command.js';
import {syncKb, type KbSyncResult} from '../../services/kb.js';

export type KbSyncResultJson = KbSyncResult;

export default class KbSync extends BaseCommand<typeof KbSync> {
  static override summary = 'Copy the knowledge base of a remote profile for offline search.';
  static override description =
    'The copy lives in the cache directory, one per profile. The first sync copies every article; later ones only what changed ' +
    'since, deletions included. Search it with `support kb search --offline`.';

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile work --json'];

  async run(): Promise<KbSyncResultJson> {
    const {ctx} = this;
    const backend = await ctx.backend();
    const {profile} = await ctx.activeProfile();
    const {stderr} = this.io;
    const progress = stderr.isTTY && !this.jsonEnabled();
    let result: KbSyncResult;
    try {
      // A cache holds one server's articles: a profile pointed elsewhere starts afresh.
      result = await syncKb(backend, async () => (await ctx.kbCache(`${backend.kind} ${profile.url ?? ''}`))!, {
        onProgress: progress ? (n) => stderr.write(`\rSyncing… ${n} change${n === 1 ? '' : 's'} received`) : undefined,
      });
    } finally {
      if (progress) stderr.write('\r\u001B[K');
    }
    const changed = result.created + result.updated + result.deleted;
    const articles = `${result.articles} article${result.articles === 1 ? '' : 's'}`;
    this.note(
      result.full
        ? `Copied ${articles} for offline search.`
        : changed === 0
          ? `Already up to date (${articles}).`
          : `Synced: ${result.created} new, ${result.updated} updated, ${result.deleted} deleted (${articles}).`,
    );
    return result;
  }
}
