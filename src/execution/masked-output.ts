import { processSecrets } from "../definitions/secret-mask.js";

type Write = typeof process.stdout.write;

/**
 * Masks the process's secrets in everything it writes to stdout and stderr from now on: progress
 * lines, `--json` documents, the daemon's and a run worker's log (whose file the launcher reads
 * back), and what a step prints in a step process of the multiprocess executor. Written text is
 * checked only when a secret is known, so it costs nothing otherwise.
 */
export function maskProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const marked = stream as NodeJS.WriteStream & { sluiceMasked?: true };
    if (marked.sluiceMasked) continue;
    marked.sluiceMasked = true;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => write(maskChunk(chunk), ...rest)) as Write;
  }
}

function maskChunk(chunk: unknown): unknown {
  if (processSecrets.empty) return chunk;
  if (typeof chunk === "string") return processSecrets.mask(chunk);
  if (chunk instanceof Uint8Array) {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8");
    const masked = processSecrets.mask(text);
    return masked === text ? chunk : Buffer.from(masked, "utf8");
  }
  return chunk;
}
