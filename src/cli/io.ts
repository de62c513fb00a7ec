/** What a command reads from: a terminal (isTTY) or not. */
export type InputStream = NodeJS.ReadableStream & {isTTY?: boolean};

/** What a command writes to: a terminal (isTTY, its size) or a pipe or file. */
export type OutputStream = NodeJS.WritableStream & {isTTY?: boolean; columns?: number; rows?: number};

/**
 * The streams a command reads and writes, and the exit code it ends with when it prints its
 * result and still fails (bulk: some rows failed). The CLI's are the process's own; a test
 * runs a command with its own (BaseCommand.runWith), terminal or not, any width.
 */
export interface CommandIO {
  readonly stdin: InputStream;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  exitCode: number | undefined;
}

/** The process's streams, each touched only when first used (process.stdin is made on first access). */
export const processIO: CommandIO = {
  get stdin() {
    return process.stdin;
  },
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get exitCode() {
    return typeof process.exitCode === 'number' ? process.exitCode : undefined;
  },
  set exitCode(code) {
    process.exitCode = code;
  },
};
