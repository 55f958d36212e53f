import { PartitionError, UsageError } from "../definitions/errors.js";
import type { PartitionsDefinition } from "../definitions/partitions/partitions-definition.js";
import { RANGE_SEPARATOR } from "../runs/backfill-request.js";

/** The partition flags of `materialize` and `job execute`. */
export interface PartitionFlags {
  partition?: string;
  /** `START...END`, both included. */
  partitionRange?: string;
}


/**
 * The partition of each run the flags ask for, in order: `[null]` without partition flags (the
 * run's own checks then say whether a key is needed), `[KEY]` for `--partition`, and every key
 * from START to END for `--partition-range START...END`. Throws UsageError for both flags or a
 * malformed range, PartitionError for a range over unpartitioned assets or with an unknown end.
 */
export function partitionKeysFromFlags(flags: PartitionFlags, partitions: PartitionsDefinition | undefined, what: string): (string | null)[] {
  if (flags.partition !== undefined && flags.partitionRange !== undefined) {
    throw new UsageError("Give either --partition KEY or --partition-range START...END, not both.");
  }
  if (flags.partitionRange === undefined) return [flags.partition ?? null];
  const range = flags.partitionRange;
  const at = range.indexOf(RANGE_SEPARATOR);
  if (at <= 0 || at + RANGE_SEPARATOR.length >= range.length || range.indexOf(RANGE_SEPARATOR, at + 1) !== -1) {
    throw new UsageError(`--partition-range "${range}" is not START...END (both keys included), e.g. --partition-range 2025-01-01...2025-01-07.`);
  }
  if (!partitions) throw new PartitionError(`--partition-range "${range}" was given, but ${what} has no partitioned assets.`, range);
  return partitions.keysBetween(range.slice(0, at), range.slice(at + RANGE_SEPARATOR.length));
}
