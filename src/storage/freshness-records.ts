/**
 * Records of asset freshness (the freshness daemon writes them; the freshness sensor, server and
 * CLI read them). Timestamps are epoch milliseconds.
 */
import type { FreshnessStatus } from "../definitions/freshness-policy.js";

/** The last evaluated freshness of one asset with a policy. */
export interface FreshnessRecord {
  assetKey: string;
  status: FreshnessStatus;
  lastMaterializationAt: number | null;
  nextDeadline: number;
  /** When the policy was first evaluated (a never-materialized asset is UNKNOWN until its first deadline after it). */
  trackedSince: number;
  /** When it was last evaluated. */
  updatedAt: number;
}

/** One asset's freshness as just evaluated, to record. */
export interface FreshnessUpdate {
  assetKey: string;
  status: FreshnessStatus;
  lastMaterializationAt: number | null;
  nextDeadline: number;
  /** When it was evaluated. */
  evaluatedAt: number;
  /** Stored only when the asset has no record yet (see FreshnessRecord.trackedSince). */
  trackedSince: number;
}

/** A change of an asset's freshness status; ids are the write order (sensors keep the last one seen). */
export interface FreshnessTransitionRecord {
  id: number;
  assetKey: string;
  /** Null for the first evaluation of the asset's policy. */
  previousStatus: FreshnessStatus | null;
  status: FreshnessStatus;
  /** When the change was seen (the evaluation's time). */
  timestamp: number;
  lastMaterializationAt: number | null;
  nextDeadline: number;
}

/** Which transitions to read, in id order. */
export interface FreshnessTransitionsQuery {
  /** Only transitions with an id greater than this. */
  afterId?: number;
  /** At most this many (default 1000). */
  limit?: number;
}
