import { MultiAssetOutputError } from "../definitions/errors.js";
import { ROW_COUNT_KEY, type MetadataInput } from "../definitions/metadata.js";
import { isOutput } from "../definitions/output.js";
import { stepAssetKey, type StepNode } from "./plan.js";

/** One value a step produced: what its IO manager stores and what its event records. */
export interface StepResult {
  /** The asset it materializes (null for an op's output). */
  assetKey: string | null;
  /** The key it is passed on under to downstream steps of the run: the asset key, or the op name. */
  outputKey: string;
  /** A multi-asset's output name, else null. */
  outName: string | null;
  value: unknown;
  metadata: MetadataInput;
  ioManager: string;
  /** The asset's static metadata, for its IO manager. */
  definitionMetadata: MetadataInput;
  /** The data version the function gave with `output(value, { dataVersion })`, if any. */
  dataVersion: string | undefined;
}

/**
 * Splits what a step's function returned into its results: one for an asset or an op; one per
 * selected output for a multi-asset. `added` is the metadata the function added through its
 * context (by output name for a multi-asset). Throws MultiAssetOutputError when a multi-asset's
 * return value is not an object, lacks a selected output, or holds one that is unknown or unselected.
 */
export function stepResults(node: StepNode, returned: unknown, added: MetadataInput | Record<string, MetadataInput>): StepResult[] {
  if (!node.outputs) {
    const { value, metadata, dataVersion } = unwrap(returned);
    return [{ assetKey: stepAssetKey(node), outputKey: node.key, outName: null, value, metadata: { ...metadata, ...(added as MetadataInput) }, ioManager: node.ioManager, definitionMetadata: node.metadata, dataVersion }];
  }
  const outs = node.outputs;
  const names = outs.map((o) => `"${o.name}"`).join(", ");
  if (typeof returned !== "object" || returned === null || Array.isArray(returned) || isOutput(returned)) {
    throw new MultiAssetOutputError(
      `Multi-asset "${node.key}" must return an object of its outputs' values ({ ${outs.map((o) => `${o.name}: ...`).join(", ")} }), got ${returned === null ? "null" : Array.isArray(returned) ? "an array" : isOutput(returned) ? "output(...)" : typeof returned}.`,
      node.key,
      outs.map((o) => o.name),
    );
  }
  const values = returned as Record<string, unknown>;
  const selected = new Set(outs.map((o) => o.name));
  const extra = Object.keys(values).filter((k) => !selected.has(k));
  if (extra.length > 0) {
    throw new MultiAssetOutputError(
      `Multi-asset "${node.key}" returned ${extra.map((k) => `"${k}"`).join(", ")}, which ${extra.length === 1 ? "is not an output" : "are not outputs"} this run computes (selected: ${names}). ` +
        `Return only the outputs in context.selectedOutputs, and declare every output in outs.`,
      node.key,
      extra,
    );
  }
  const missing = outs.filter((o) => !(o.name in values));
  if (missing.length > 0) {
    throw new MultiAssetOutputError(
      `Multi-asset "${node.key}" did not return ${missing.map((o) => `"${o.name}" (asset "${o.assetKey}")`).join(", ")}, which this run selected. ` +
        `Return a value for every output in context.selectedOutputs (undefined stores nothing but still records the materialization).`,
      node.key,
      missing.map((o) => o.name),
    );
  }
  const addedByOut = added as Record<string, MetadataInput>;
  return outs.map((out) => {
    const { value, metadata, dataVersion } = unwrap(values[out.name]);
    return { assetKey: out.assetKey, outputKey: out.assetKey, outName: out.name, value, metadata: { ...metadata, ...(addedByOut[out.name] ?? {}) }, ioManager: out.ioManager, definitionMetadata: out.metadata, dataVersion };
  });
}

function unwrap(returned: unknown): { value: unknown; metadata: MetadataInput; dataVersion: string | undefined } {
  if (!isOutput(returned)) return { value: returned, metadata: {}, dataVersion: undefined };
  const metadata: MetadataInput = { ...returned.metadata };
  if (returned.rowCount !== undefined) metadata[ROW_COUNT_KEY] = Math.trunc(returned.rowCount);
  return { value: returned.value, metadata, dataVersion: returned.dataVersion };
}
