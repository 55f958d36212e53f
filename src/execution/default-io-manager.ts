import type { MetadataInput } from "../definitions/metadata.js";
import type { StoredValue, StoredValueOwner } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { FsIOManager, serializeValue } from "./fs-io-manager.js";
import type { InputContext, IOManager, OutputContext } from "./io-manager.js";

/**
 * Values whose JSON is at most this many bytes are kept in the instance's database; larger ones
 * in files. A row of this size costs the database little, while a file costs a create, a write and
 * a rename per step (most of a small step's overhead on a disk).
 */
export const INLINE_VALUE_BYTES = 64 * 1024;

/**
 * The default IO manager (`io_manager` when none is bound). Values are plain JSON, checked as
 * FsIOManager checks them. A small value is stored in the instance's database, in the same
 * transaction as the event that records it (the step runner hands it over with the event, see
 * prepareOutput), so it is readable wherever the database is: by a later run, or by a worker on
 * another machine when the database is Postgres. A large one is written to its file under the
 * storage directory first, and the event records that it is there. Values written by earlier
 * versions, as files only, still load.
 */
export class DefaultIOManager implements IOManager {
  readonly files: FsIOManager;

  constructor(
    private readonly storage: Storage,
    baseDir: string,
    private readonly inlineLimit: number = INLINE_VALUE_BYTES,
  ) {
    this.files = new FsIOManager(baseDir);
  }

  /**
   * Checks and serializes the value; writes it to its file when large. Returns what the event that
   * records the output must carry (NewEvent.value): the value is stored only with that event.
   * Throws SerializationError (not JSON), ValueWriteError (the file could not be written).
   */
  async prepareOutput(context: OutputContext, value: unknown): Promise<StoredValue> {
    const text = serializeValue(context, value);
    const key = outputKey(context);
    // A UTF-8 byte is at most three per UTF-16 unit: most values skip the byte count.
    if (text.length * 3 <= this.inlineLimit || Buffer.byteLength(text, "utf8") <= this.inlineLimit) {
      return { ...key, json: Buffer.from(text, "utf8") };
    }
    await this.files.writeText(context, text);
    return { ...key, json: null };
  }

  /**
   * Not how the default IO manager stores: the step runner calls prepareOutput and stores the value
   * with its event. Throws, so that no value is written that the database would not point at.
   */
  handleOutput(context: OutputContext): MetadataInput {
    throw new Error(`The default IO manager stores the value of "${context.stepKey}" with the event that records it (prepareOutput), not through handleOutput.`);
  }

  async loadInput(context: InputContext): Promise<unknown> {
    const owner: StoredValueOwner = context.assetKey !== null ? "asset" : "op";
    const name = context.assetKey ?? `${context.upstreamRunId ?? context.runId}/${context.upstreamStepKey}`;
    const stored = await this.storage.getStoredValue(owner, name, context.assetKey !== null ? context.partitionKey : null);
    if (stored?.json != null) return JSON.parse(Buffer.from(stored.json.buffer, stored.json.byteOffset, stored.json.byteLength).toString("utf8")) as unknown;
    // In its file: a large value, or one stored before values were kept in the database.
    return this.files.loadInput(context);
  }
}

/** The stored value's key: an asset's (and partition's), or an op's output of this run. */
function outputKey(context: OutputContext): Omit<StoredValue, "json"> {
  return context.assetKey !== null
    ? { owner: "asset", name: context.assetKey, partition: context.partitionKey }
    : { owner: "op", name: `${context.runId}/${context.stepKey}`, partition: null };
}
