/**
 * Writes text chunks to a stream as they come, waiting when the reader is slower (a pipe to
 * `head` or a slow disk), so that a large export never piles up in memory. Returns the count.
 */
export async function writeChunks(chunks: AsyncIterable<string>, stream: NodeJS.WritableStream): Promise<number> {
  let count = 0;
  let broken = false;
  const onError = (error: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): stop quietly, as cat does.
    if (error.code === 'EPIPE') broken = true;
  };
  stream.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (broken) break;
      count++;
      if (!stream.write(chunk)) await new Promise<void>((resolve) => {
        const done = () => {
          stream.removeListener('drain', done);
          stream.removeListener('error', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('error', done);
      });
    }
  } finally {
    stream.removeListener('error', onError);
  }
  return count;
}
