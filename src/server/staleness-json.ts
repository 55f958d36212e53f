import { staleReasonRecord, type AssetStaleness } from "../runs/staleness.js";
import type { StalenessJson } from "./api-types.js";

/** Stale partitions listed by name in the JSON; the count says how many there are in all. */
const LISTED_STALE_PARTITIONS = 100;

/** An asset's staleness as the API shows it. */
export function stalenessJson(staleness: AssetStaleness): StalenessJson {
  const partitions = staleness.stalePartitions.filter((p): p is string => p !== null);
  return {
    status: staleness.status,
    reasons: staleness.reasons.map(staleReasonRecord),
    stalePartitionCount: partitions.length,
    stalePartitions: partitions.slice(0, LISTED_STALE_PARTITIONS),
  };
}
