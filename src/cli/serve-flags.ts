import {Flags} from '@oclif/core';

/** `support serve` and its `token` subcommands must agree on where the server's files are. */
export const serverDataDirFlag = Flags.string({
  description: 'Directory of the server’s store and tokens (default: <data dir>/server).',
});
