/**
 * What a step's materializations record about versions (see data-version.ts): the data versions of
 * its upstream assets as the step starts, and from them each materialization's own.
 */
import type { PlanStep, StepNode } from "./plan.js";
import type { StepRunContext } from "./step-runner.js";
import { dataVersionOf, type MaterializationVersions } from "./data-version.js";
import { inputDataVersionsOf } from "./input-data-versions.js";

/** Asset key → partition (null: unpartitioned) → its latest data version. */
export type UpstreamVersions = Map<string, Map<string | null, string | null>>;

/**
 * The latest data versions of a step's upstream assets: from this run where it made them, else from
 * the asset index (one read for all of them).
 */
export async function readUpstreamVersions(step: PlanStep, ctx: StepRunContext): Promise<UpstreamVersions> {
  const upstreams = upstreamKeysOf(step.node);
  const fromRun = (key: string): boolean => ctx.dataVersions.has(key) && !ctx.nodes.get(key)?.partitions;
  const toRead = upstreams.filter((key) => !fromRun(key));
  const versions: UpstreamVersions = new Map();
  for (const row of toRead.length > 0 ? await ctx.storage.getAssetIndex(toRead) : []) {
    let ofAsset = versions.get(row.assetKey);
    if (!ofAsset) versions.set(row.assetKey, (ofAsset = new Map()));
    ofAsset.set(row.partition, row.dataVersion);
  }
  // An observable source asset's version is its latest observation's: it has no materializations.
  const observed = toRead.filter((key) => ctx.nodes.get(key)?.observes);
  for (const row of observed.length > 0 ? await ctx.storage.getLatestObservations(observed) : []) {
    let ofAsset = versions.get(row.assetKey);
    if (!ofAsset) versions.set(row.assetKey, (ofAsset = new Map()));
    ofAsset.set(row.partition, row.dataVersion);
  }
  for (const key of upstreams) {
    const inRun = ctx.dataVersions.get(key);
    if (!inRun) continue;
    const ofAsset = versions.get(key) ?? new Map<string | null, string | null>();
    for (const [partition, version] of inRun) ofAsset.set(partition, version);
    versions.set(key, ofAsset);
  }
  return versions;
}

/**
 * The versions each materialization of a step records, one per partition key it writes (in order),
 * remembered in the run's context for the downstream steps. `assetKey` is the asset materialized (a
 * multi-asset's step calls it once per output).
 */
export function materializationVersions(
  step: PlanStep,
  ctx: StepRunContext,
  assetKey: string,
  keys: readonly (string | null)[],
  given: string | undefined,
  upstreamVersions: UpstreamVersions,
): MaterializationVersions[] {
  const node = step.node;
  const upstreams = upstreamKeysOf(node);
  const now = new Date();
  // By asset key: a multi-asset's step materializes several assets, none of them named like the step.
  let produced = ctx.dataVersions.get(assetKey);
  if (!produced) ctx.dataVersions.set(assetKey, (produced = new Map()));
  return keys.map((partitionKey) => {
    const inputDataVersions = inputDataVersionsOf(node, upstreams, partitionKey, (key) => ctx.nodes.get(key), (key) => upstreamVersions.get(key), now);
    const dataVersion = dataVersionOf(given, node.codeVersion, inputDataVersions);
    produced.set(partitionKey, dataVersion);
    return { dataVersion, codeVersion: node.codeVersion, inputDataVersions };
  });
}

function upstreamKeysOf(node: StepNode): string[] {
  return [...new Set([...Object.values(node.ins), ...node.deps])];
}
