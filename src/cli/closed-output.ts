/**
 * Lets the CLI end normally when its reader goes away: `sluice asset list --json | head` closes
 * the pipe after a few lines, and Node then reports EPIPE as an 'error' event that, unhandled,
 * crashes the process with a stack trace. Once stdout or stderr is found closed, what is written
 * to it is dropped (nobody can read it), and the command goes on to end with the exit code it
 * would have had: a run still runs to its end and is recorded.
 */
export function dropOutputWhenClosed(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      // Writes made before the first EPIPE was reported fail with ERR_STREAM_DESTROYED: the same closed pipe.
      if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
      drop(stream);
    });
  }
}

function drop(stream: NodeJS.WriteStream): void {
  stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  }) as typeof stream.write;
}
