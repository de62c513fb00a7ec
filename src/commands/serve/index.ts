import {Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {shown, writeText} from '../../cli/shown.js';
import {serverDatabaseFlag, serverDataDirFlag} from '../../cli/serve-flags.js';
import {defaultServerDir, isLoopback, startSupportServer} from '../../services/server.js';

export type ServeResult = {url: string; dataDir: string};

export default class Serve extends BaseCommand<typeof Serve> {
  static override summary = 'Run the reference REST server over a local store or a PostgreSQL database.';
  static override description =
    'Speaks the supportkit protocol (docs/protocol.md) on 127.0.0.1 by default. Keeps its store in SQLite in --data-dir, ' +
    'or with --database in PostgreSQL, where several servers on one database behave as one. Create tokens with ' +
    '`support serve token create`. Stops cleanly on Ctrl-C or SIGTERM: requests in flight finish first.';

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 8080 --rate-limit 120',
    '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 8080 --data-dir /var/lib/supportkit',
    '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 8080 --database postgres://support:secret@db.internal:5432/support',
  ];

  static override flags = {
    host: Flags.string({description: 'Address to listen on.', default: '127.0.0.1'}),
    port: Flags.integer({description: 'Port to listen on (0 picks a free one).', default: 8080, min: 0, max: 65_535}),
    'data-dir': serverDataDirFlag,
    database: serverDatabaseFlag,
    'rate-limit': Flags.integer({description: 'Requests per minute per token (0: no limit).', default: 600, min: 0}),
    'max-upload-mb': Flags.integer({description: 'Largest attachment accepted, in MiB.', default: 100, min: 1}),
    quiet: Flags.boolean({description: 'Do not log each request on stderr.'}),
  };

  async run(): Promise<ServeResult> {
    const {flags} = this;
    const dataDir = flags['data-dir'] ?? defaultServerDir(this.config.dataDir);
    if (!isLoopback(flags.host)) {
      this.warnUser(`Listening on ${flags.host} without TLS: put a TLS-terminating proxy in front before anyone else connects.`);
    }
    const server = await startSupportServer({
      dataDir,
      databaseUrl: flags.database,
      host: flags.host,
      port: flags.port,
      rateLimit: flags['rate-limit'],
      maxUploadBytes: flags['max-upload-mb'] * 1024 * 1024,
      log: flags.quiet ? undefined : (line) => writeText(this.io.stderr, shown`${new Date().toISOString()} ${line}`),
    });
    // The URL on stdout, so that a script using --port 0 can read where the server is.
    if (!this.jsonEnabled()) this.log(server.url);
    this.note(`Serving ${server.store.location} at ${server.url}. Stop with Ctrl-C.`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        this.note(`${signal}: finishing requests in flight, then stopping.`);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve();
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.once('SIGINT', onInt);
      process.once('SIGTERM', onTerm);
    });
    await server.close();
    this.note('Stopped.');
    return {url: server.url, dataDir};
  }
}
