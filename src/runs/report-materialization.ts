import type { Definitions } from "../definitions/definitions.js";
import { PartitionError, UsageError } from "../definitions/errors.js";
import { checkName, checkRunConfig, InputLimits } from "../definitions/input-limits.js";
import { normalizeMetadata, type MetadataInput } from "../definitions/metadata.js";
import { EventType, RUNLESS_RUN_ID, type EventRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { loadDynamicPartitions } from "./dynamic-partitions.js";

/** A materialization that happened outside Sluice, as a user reports it. */
export interface MaterializationReport {
  assetKey: string;
  /** The partition materialized; required for a partitioned asset, refused for another. */
  partition?: string | null;
  /** Metadata of this materialization (row count, path, version...). */
  metadata?: MetadataInput;
  /** What happened, in words (shown in the asset's history). */
  description?: string | null;
}

/** What the event of a reported materialization carries besides metadata. */
export const REPORTED_KEY = "reported";

/**
 * Checks a report against the definitions: the asset exists; a partitioned asset names one of its
 * partitions (dynamic keys as storage has them), an unpartitioned one none; metadata and
 * description are bounded. Throws UsageError (unknown asset), PartitionError or InputLimitError,
 * each naming the asset and how to fix it.
 *
 * `source` names where the fields came from in messages: "--" (`--metadata`), "body" (`body.metadata`), or "report".
 */
export async function checkMaterializationReport(storage: Storage, defs: Definitions, report: MaterializationReport, source: "--" | "body" | "report" = "report"): Promise<void> {
  const at = (field: string): string => (source === "--" ? `--${field}` : `${source}.${field}`);
  checkName(report.assetKey, at("assetKey"));
  const def = defs.assets.get(report.assetKey);
  if (!def) {
    throw new UsageError(
      `Asset "${report.assetKey}" is not defined, so there is nothing to report a materialization of. ` +
        `Declare it (assetSpec({ key: "${report.assetKey}" }) for an asset made outside Sluice) or fix the key; list assets with: sluice asset list`,
    );
  }
  const partition = report.partition ?? null;
  if (partition !== null) checkName(partition, at("partition"));
  if (!def.partitions) {
    if (partition !== null) {
      throw new PartitionError(`Asset "${def.key}" is not partitioned, but the report names partition "${partition}". Leave out the partition.`, partition, [def.key]);
    }
  } else {
    if (partition === null) {
      const latest = def.partitions.lastKey();
      throw new PartitionError(
        `Asset "${def.key}" is partitioned (${def.partitions.describe()}): say which partition was materialized with --partition KEY (partition in the body)` +
          `${latest ? `, e.g. --partition ${latest}` : ""}.`,
        null,
        [def.key],
      );
    }
    await loadDynamicPartitions(defs, storage);
    const problem = def.partitions.explainInvalid(partition);
    if (problem) throw new PartitionError(`Asset "${def.key}": ${problem}`, partition, [def.key]);
  }
  if (report.metadata !== undefined) {
    if (typeof report.metadata !== "object" || report.metadata === null || Array.isArray(report.metadata)) {
      throw new UsageError(`${at("metadata")} must be an object of name → value, e.g. {"rows": 120}.`);
    }
    checkRunConfig(report.metadata, at("metadata"));
  }
  if (report.description !== undefined && report.description !== null) checkText(report.description, at("description"));
}

function checkText(text: string, path: string): void {
  if (text.length > InputLimits.tagValueLength) {
    throw new UsageError(`${path} is ${text.length} characters long; at most ${InputLimits.tagValueLength} are allowed.`);
  }
}

/**
 * Records a checked report as an ASSET_MATERIALIZATION event of no run (the reserved run
 * `__runless__`), `data.reported: true`: the asset index, partition statuses and everything that
 * reads them see it as any materialization.
 */
export function storeReportedMaterialization(storage: Storage, report: MaterializationReport): Promise<EventRecord> {
  const partition = report.partition ?? null;
  const description = report.description ?? null;
  return storage.storeEvent({
    runId: RUNLESS_RUN_ID,
    type: EventType.AssetMaterialization,
    assetKey: report.assetKey,
    partition,
    message: description ?? `Reported a materialization of asset "${report.assetKey}"${partition !== null ? ` (partition "${partition}")` : ""}.`,
    data: { metadata: normalizeMetadata(report.metadata), [REPORTED_KEY]: true, ...(description !== null ? { description } : {}) },
  });
}

/**
 * Records that an asset was materialized outside Sluice (by another system, or by hand), so that
 * Sluice's asset index, the UI, backfills and sensors see it. With `definitions`, the report is
 * checked first (unknown asset, a partition it does not have, oversized metadata: thrown, nothing
 * recorded); without, it is recorded as given.
 * @example
 * await reportMaterialization(instance, { assetKey: "vendor/feed", metadata: { rows: 120 }, definitions: defs });
 */
export async function reportMaterialization(target: Storage | { storage: Storage }, report: MaterializationReport & { definitions?: Definitions }): Promise<EventRecord> {
  const storage = "storeEvent" in target ? target : target.storage;
  if (report.definitions) await checkMaterializationReport(storage, report.definitions, report);
  return storeReportedMaterialization(storage, report);
}
