import type { MetadataInput } from "../definitions/metadata.js";
import type { StepLogger } from "../definitions/step-logger.js";

/** What an IO manager knows about the value it stores. */
export interface OutputContext {
  /** The asset whose value this is; null for an op's output (then `stepKey` and `runId` identify it). */
  readonly assetKey: string | null;
  /** Asset key or op name. */
  readonly stepKey: string;
  readonly runId: string;
  /** The partition this value is (null: the asset is not partitioned). */
  readonly partitionKey: string | null;
  /**
   * The asset's static `metadata` as declared (Dagster's `definition_metadata`): how an IO manager
   * is told more about the value, e.g. `{"duckdb/column_types": {revenue: "DOUBLE"}}`. Empty for ops.
   */
  readonly definitionMetadata: MetadataInput;
  readonly log: StepLogger;
}

/** What an IO manager knows about the value it loads. */
export interface InputContext {
  /** The upstream asset whose value is loaded; null when it is an op's output. */
  readonly assetKey: string | null;
  /** The upstream step (asset key or op name). */
  readonly upstreamStepKey: string;
  /** For an op's output: the run that produced it (an earlier run, when re-executing). */
  readonly upstreamRunId: string | null;
  /** The step that receives it, and under which input name. */
  readonly downstreamKey: string;
  readonly inputName: string;
  readonly runId: string;
  /**
   * The partition of the upstream asset to load (null: it is not partitioned). An unpartitioned
   * asset downstream of a partitioned one gets every materialized partition: loadInput is called
   * once per partition.
   */
  readonly partitionKey: string | null;
  readonly log: StepLogger;
}

/**
 * Stores asset values after their step and loads them for downstream steps of later runs. An IO
 * manager is a resource: bind another under `io_manager` (or an asset's `ioManager` name) to
 * store values elsewhere.
 */
export interface IOManager {
  /** Stores the value; may return metadata (a path, a size) to record on the materialization. */
  handleOutput(context: OutputContext, value: unknown): Promise<MetadataInput | void> | MetadataInput | void;
  /** Loads a stored value; throws when there is none. */
  loadInput(context: InputContext): Promise<unknown> | unknown;
}

/** True for an object that has the two methods of an IO manager. */
export function isIOManager(value: unknown): value is IOManager {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as IOManager).handleOutput === "function" &&
    typeof (value as IOManager).loadInput === "function"
  );
}
