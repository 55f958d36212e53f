import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { errorMessage, InputNotMaterializedError, SerializationError, ValueWriteError } from "../definitions/errors.js";
import type { MetadataInput } from "../definitions/metadata.js";
import type { InputContext, IOManager, OutputContext } from "./io-manager.js";
import { joinWithin } from "./join-within.js";

/**
 * An IO manager of JSON files: one per asset key (per partition, when partitioned) under a base
 * directory, `SLUICE_HOME/storage/` for an instance (where the default IO manager, DefaultIOManager,
 * keeps the values too large for the database); an op's output goes to
 * `runs/<run id>/<op>.json` there, so a re-execution can load it. Values must be plain JSON; anything JSON
 * would silently change (a Date, a Map, a class instance, NaN) is refused with the path of the
 * offending part, so a later run never loads something other than what was returned. No path it
 * writes or reads leaves the base directory (see joinWithin).
 */
export class FsIOManager implements IOManager {
  /** Directories known to exist, so each is created once per run rather than once per value. */
  private readonly madeDirs = new Set<string>();

  constructor(private readonly baseDir: string) {}

  /** Where an op's output of a run is stored; throws UnsafePathError for a path outside the base directory. */
  opPathFor(runId: string, stepKey: string): string {
    return joinWithin(this.baseDir, ["runs", runId, `${stepKey}.json`], `op "${stepKey}" of run "${runId}"`);
  }

  /** Where the value of an asset (and partition) is stored; throws UnsafePathError for a path outside the base directory. */
  pathFor(assetKey: string, partitionKey: string | null): string {
    const parts = assetKey.split("/");
    const file = partitionKey === null ? [`${parts.pop()}.json`] : [parts.pop()!, `${encodeURIComponent(partitionKey)}.json`];
    return joinWithin(this.baseDir, [...parts, ...file], `asset "${assetKey}"`);
  }

  async handleOutput(context: OutputContext, value: unknown): Promise<MetadataInput> {
    await this.writeText(context, serializeValue(context, value));
    return {};
  }

  /** Where a value of this output is kept: its asset's (and partition's) file, or the op's of this run. */
  fileFor(context: OutputContext): string {
    return context.assetKey !== null ? this.pathFor(context.assetKey, context.partitionKey) : this.opPathFor(context.runId, context.stepKey);
  }

  /**
   * Writes a value's JSON (from serializeValue) to its file, replacing it whole: write then rename,
   * so a concurrent reader never sees half a file. Throws ValueWriteError naming the file.
   */
  async writeText(context: OutputContext, text: string): Promise<void> {
    const what = context.assetKey !== null ? `Asset "${context.assetKey}"` : `Op "${context.stepKey}"`;
    const file = this.fileFor(context);
    const dir = path.dirname(file);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      if (text.length < SYNC_WRITE_LIMIT) {
        // Small values: synchronous writes cost tens of microseconds, while each async fs call is a
        // round trip through libuv's thread pool, which dominated the per-step overhead.
        if (!this.madeDirs.has(dir)) mkdirSync(dir, { recursive: true });
        writeFileSync(tmp, text);
        renameSync(tmp, file);
      } else {
        if (!this.madeDirs.has(dir)) await mkdir(dir, { recursive: true });
        await writeFile(tmp, text);
        await rename(tmp, file);
      }
    } catch (err) {
      // A partial file on a full disk would keep it full: then not even the run's end could be recorded.
      try {
        rmSync(tmp, { force: true });
      } catch {
        // The write's own error says more; this one must not hide it.
      }
      throw writeError(what, context.stepKey, file, text.length, err);
    }
    this.madeDirs.add(dir);
  }

  async loadInput(context: InputContext): Promise<unknown> {
    const file =
      context.assetKey !== null
        ? this.pathFor(context.assetKey, context.partitionKey)
        : this.opPathFor(context.upstreamRunId ?? context.runId, context.upstreamStepKey);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new InputNotMaterializedError(context.downstreamKey, context.inputName, context.upstreamStepKey, context.partitionKey);
      }
      throw err;
    }
    return JSON.parse(text) as unknown;
  }
}

/**
 * The value's JSON text, as the default IO manager stores it. Refuses (SerializationError naming
 * the offending path) anything JSON would silently change: a later run must load what was returned.
 */
export function serializeValue(context: Pick<OutputContext, "assetKey" | "stepKey">, value: unknown): string {
  const what = context.assetKey !== null ? `Asset "${context.assetKey}"` : `Op "${context.stepKey}"`;
  const problem = findNonJson(value, "$");
  if (problem) {
    throw new SerializationError(
      `${what} returned a value the default IO manager cannot store as JSON: ` +
        `${problem.path} is ${problem.what}. Return plain JSON data (convert it, e.g. dates to ISO strings), ` +
        `or give the asset an IO manager of your own (ioManager).`,
      context.stepKey,
      problem.path,
    );
  }
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new SerializationError(
      `${what} returned a value JSON cannot hold (${errorMessage(err).split("\n")[0]}). ` +
        `Return plain JSON data, or give the asset an IO manager of your own (ioManager).`,
      context.stepKey,
      "$",
    );
  }
}

/** A ValueWriteError naming the file, the system error and, for a full disk, what to do. */
function writeError(what: string, stepKey: string, file: string, chars: number, err: unknown): ValueWriteError {
  const errno = (err as NodeJS.ErrnoException)?.code;
  const size = chars >= 1024 * 1024 ? `${(chars / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(chars / 1024)} KB`;
  const hint =
    errno === "ENOSPC" || errno === "EDQUOT"
      ? " The disk holding it is full (or over quota): free space there, then run it again. The partial file was removed."
      : " Check that the instance's storage directory can be written.";
  return new ValueWriteError(`${what}: its value (${size} of JSON) could not be written to ${file}: ${errorMessage(err)}.${hint}`, stepKey, file, errno, err);
}

/** Values up to this many characters are written synchronously (see handleOutput). */
const SYNC_WRITE_LIMIT = 256 * 1024;

/** The first part of a value that JSON cannot hold faithfully, with its path, or undefined. */
function findNonJson(value: unknown, at: string): { path: string; what: string } | undefined {
  // Iterative walk: large row arrays are the common case, and deep recursion is not needed.
  const stack: { value: unknown; path: string }[] = [{ value, path: at }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value: v, path: p } = stack.pop()!;
    switch (typeof v) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(v)) return { path: p, what: `the number ${v}` };
        continue;
      case "undefined":
        // Undefined object members are dropped by JSON, which is how they read back too.
        if (p === at) return { path: p, what: "undefined" };
        continue;
      case "bigint":
        return { path: p, what: "a bigint" };
      case "function":
        return { path: p, what: "a function" };
      case "symbol":
        return { path: p, what: "a symbol" };
    }
    if (v === null) continue;
    const obj = v as object;
    // Shared references are fine for JSON; cycles are caught by JSON.stringify below.
    if (seen.has(obj)) continue;
    seen.add(obj);
    if (Array.isArray(obj)) {
      for (let i = obj.length - 1; i >= 0; i--) {
        if (obj[i] === undefined) return { path: `${p}[${i}]`, what: "undefined (JSON would turn it into null)" };
        stack.push({ value: obj[i], path: `${p}[${i}]` });
      }
      continue;
    }
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj.constructor as { name?: string } | undefined)?.name ?? "an object with a prototype";
      return { path: p, what: `a ${name}` };
    }
    for (const [k, child] of Object.entries(obj)) stack.push({ value: child, path: `${p}.${k}` });
  }
  return undefined;
}
