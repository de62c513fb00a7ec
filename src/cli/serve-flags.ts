import {Flags} from '@oclif/core';

/** `support serve` and its `token` subcommands must agree on where the server's files are. */
export const serverDataDirFlag = Flags.string({
  description: 'Directory of the server’s store and tokens (default: <data dir>/server).',
});

/** The same for a server on PostgreSQL: every instance and every token command names the one database. */
export const serverDatabaseFlag = Flags.string({
  description: 'PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE) to keep the store in, instead of SQLite in --data-dir; several servers may share it.',
  env: 'SUPPORT_DATABASE_URL',
  helpValue: 'URL',
});
