/**
 * Time windows to time windows, of the same cadence or another (as Dagster's
 * TimeWindowPartitionMapping): a downstream window reads every upstream window it overlaps, after
 * shifting it by whole downstream windows.
 */
import { DefinitionError } from "../errors.js";
import { MAPPING_BRAND, mappingMismatch, partitionedDownstream, type PartitionMapping, type PartitionPair } from "./partition-mapping.js";
import type { TimeWindowPartitionsDefinition } from "./time-window-partitions.js";

/** What `timeWindowMapping()` takes: offsets counted in downstream windows (0 = the window itself). */
export interface TimeWindowMappingSpec {
  /** Where the read range starts, relative to the downstream window (default 0; -1 = the window before). */
  startOffset?: number;
  /** Where the read range ends, relative to the downstream window (default 0; must be >= startOffset). */
  endOffset?: number;
}

/** A time-window mapping (see {@link timeWindowMapping}). */
export class TimeWindowMapping implements PartitionMapping<"many"> {
  readonly [MAPPING_BRAND] = true as const;
  readonly type = "time_window" as const;

  /** Use `timeWindowMapping()`, which validates the offsets. */
  constructor(
    readonly startOffset: number,
    readonly endOffset: number,
  ) {}

  validate(pair: PartitionPair): void {
    const down = partitionedDownstream(this, pair);
    if (pair.upstream.type !== "time_window" || down.type !== "time_window") {
      const which = [pair.upstream.type !== "time_window" ? `"${pair.upstreamAsset}"` : null, down.type !== "time_window" ? `"${pair.downstreamAsset}"` : null].filter(Boolean).join(" and ");
      throw mappingMismatch(this, pair, `it relates time windows, and ${which} ${which.includes(" and ") ? "have" : "has"} no time-window partitions. Use staticMapping({...}), dimensionMapping(...) or allPartitions().`);
    }
  }

  upstreamKeys(pair: PartitionPair, downstreamKey: string | null, now: Date = new Date()): string[] {
    const { up, down } = this.sides(pair);
    if (downstreamKey === null) return [];
    const start = down.shiftedWindow(downstreamKey, this.startOffset).start;
    const end = down.shiftedWindow(downstreamKey, this.endOffset).end;
    return up.keysOverlapping(start, end, now);
  }

  downstreamKeys(pair: PartitionPair, upstreamKey: string, now: Date = new Date()): string[] {
    const { up, down } = this.sides(pair);
    const window = up.timeWindow(upstreamKey);
    // Downstream windows a..b overlap the upstream window; window d reads d+startOffset..d+endOffset,
    // so the readers are a-endOffset..b-startOffset.
    const first = down.shiftedWindow(down.keyAt(window.start), -this.endOffset);
    const last = down.shiftedWindow(down.keyAt(new Date(window.end.getTime() - 1)), -this.startOffset);
    return down.keysOverlapping(first.start, last.end, now);
  }

  describe(): string {
    const offsets = this.startOffset === 0 && this.endOffset === 0 ? "" : `{ startOffset: ${this.startOffset}, endOffset: ${this.endOffset} }`;
    return `timeWindowMapping(${offsets}) (${this.inWords()})`;
  }

  private inWords(): string {
    const at = (n: number): string => (n === 0 ? "its own window" : n < 0 ? `${-n} window${n === -1 ? "" : "s"} before` : `${n} window${n === 1 ? "" : "s"} after`);
    if (this.startOffset === this.endOffset) return `the upstream windows overlapping ${this.startOffset === 0 ? "its own window" : `the window ${at(this.startOffset)}`}`;
    return `the upstream windows overlapping ${at(this.startOffset)} through ${at(this.endOffset)}`;
  }

  private sides(pair: PartitionPair): { up: TimeWindowPartitionsDefinition; down: TimeWindowPartitionsDefinition } {
    this.validate(pair);
    return { up: pair.upstream as TimeWindowPartitionsDefinition, down: pair.downstream as TimeWindowPartitionsDefinition };
  }
}

/**
 * Each time window of the asset reads the upstream time windows it overlaps (hourly upstream →
 * daily asset: the day's 24 hours; daily upstream → hourly asset: the day that contains the
 * hour), after shifting its window by `startOffset` and `endOffset` windows of the asset. The
 * input is `{ [upstream key]: value }` in time order. The default between time windows of
 * different cadences.
 * @example
 * const daily = asset({ key: "daily", partitions: days, ins: { hours: { asset: hourly, mapping: timeWindowMapping() } }, run: ({ hours }) => Object.values(hours).flat() });
 * timeWindowMapping({ startOffset: -1, endOffset: -1 }); // yesterday
 * timeWindowMapping({ startOffset: -6 });                // the last 7 days, today included
 */
export function timeWindowMapping(spec: TimeWindowMappingSpec = {}): PartitionMapping<"many"> {
  if (typeof spec !== "object" || spec === null) throw new DefinitionError(`timeWindowMapping takes an object such as { startOffset: -1, endOffset: -1 }.`);
  const startOffset = spec.startOffset ?? 0;
  const endOffset = spec.endOffset ?? 0;
  for (const [name, value] of [["startOffset", startOffset], ["endOffset", endOffset]] as const) {
    if (!Number.isInteger(value) || Math.abs(value) > MAX_OFFSET) {
      throw new DefinitionError(`timeWindowMapping: ${name} must be a whole number of windows from -${MAX_OFFSET} to ${MAX_OFFSET}, got ${JSON.stringify(value)}.`);
    }
  }
  if (startOffset > endOffset) {
    throw new DefinitionError(`timeWindowMapping: startOffset (${startOffset}) is after endOffset (${endOffset}); the range would be empty. Use startOffset <= endOffset.`);
  }
  return new TimeWindowMapping(startOffset, endOffset);
}

/** Offsets walk window by window: bounded so that a typo cannot stall every lookup. */
const MAX_OFFSET = 10_000;
