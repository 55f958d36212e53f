import { AssetKind, assetKindOf, type AssetDefinition } from "./asset.js";
import { DefinitionError, UsageError } from "./errors.js";

/** What a run of assets does: materialize them (observing observable ones among them), or only observe. */
export type AssetRunMode = "materialize" | "observe";

/**
 * Checks what external and observable assets allow, at load. Throws DefinitionError for an asset
 * that takes an input from one of them: Sluice has no value of its own to pass (name it in `deps`).
 */
export function checkExternalAssets(assets: ReadonlyMap<string, AssetDefinition>): void {
  for (const def of assets.values()) {
    for (const [input, upstream] of Object.entries(def.ins)) {
      const kind = assetKindOf(assets.get(upstream) ?? {});
      if (kind === AssetKind.Materializable) continue;
      const what = kind === AssetKind.External ? "an external asset" : "an observable source asset";
      throw new DefinitionError(
        `Asset "${def.key}" takes input "${input}" from "${upstream}", which is ${what}: Sluice stores no value of it to pass. ` +
          `Name "${upstream}" in deps instead (deps: ["${upstream}"]) and read the data yourself.`,
        def.key,
      );
    }
  }
}

/**
 * The error for a key defined both by `asset()` and by `assetSpec()`/`observableSourceAsset()`, or
 * undefined when the two definitions are not of different kinds.
 */
export function conflictingKindError(first: AssetDefinition, second: AssetDefinition): DefinitionError | undefined {
  const kinds = new Set([assetKindOf(first), assetKindOf(second)]);
  if (kinds.size < 2) return undefined;
  const names = [...kinds].map(kindPhrase);
  return new DefinitionError(
    `Asset key "${first.key}" is defined as ${names[0]} and as ${names[1]}. Keep one: asset() when Sluice materializes it, ` +
      `assetSpec() when something outside Sluice does, observableSourceAsset() when Sluice only observes it.`,
    first.key,
  );
}

function kindPhrase(kind: AssetKind): string {
  switch (kind) {
    case AssetKind.Materializable:
      return "an asset";
    case AssetKind.External:
      return "an external asset spec";
    case AssetKind.Observable:
      return "an observable source asset";
  }
}

/**
 * The keys of a run's selection that it executes: external assets are dropped (Sluice cannot
 * materialize them); in "observe" mode only observable source assets are kept. Throws UsageError
 * when nothing would be left to do, or when a materialize request holds only observable source
 * assets (observe them instead), saying which command to use.
 */
export function executableAssetKeys(assets: ReadonlyMap<string, AssetDefinition>, keys: readonly string[], mode: AssetRunMode = "materialize"): string[] {
  const kindOf = (key: string) => assetKindOf(assets.get(key) ?? {});
  if (mode === "observe") {
    const observable = keys.filter((key) => kindOf(key) === AssetKind.Observable);
    if (observable.length === 0) {
      throw new UsageError(
        `${listKeys(keys)} ${keys.length === 1 ? "is not an observable source asset" : "include no observable source asset"}: there is nothing to observe. ` +
          `Observe assets declared with observableSourceAsset(); materialize the others with \`sluice asset materialize\`.`,
      );
    }
    return observable;
  }
  const kept = keys.filter((key) => kindOf(key) !== AssetKind.External);
  if (kept.length === 0) {
    const first = keys[0] ?? "";
    throw new UsageError(
      `${listKeys(keys)} ${keys.length === 1 ? "is an external asset" : "are external assets"}: Sluice cannot materialize ${keys.length === 1 ? "it" : "them"}. ` +
        `Report ${keys.length === 1 ? "its" : "their"} materializations with \`sluice asset report ${first}\` (or POST /api/assets/${first}/reports).`,
    );
  }
  if (kept.every((key) => kindOf(key) === AssetKind.Observable)) {
    throw new UsageError(
      `${listKeys(kept)} ${kept.length === 1 ? "is an observable source asset" : "are observable source assets"}: Sluice observes ${kept.length === 1 ? "it" : "them"} and cannot materialize ${kept.length === 1 ? "it" : "them"}. ` +
        `Observe with \`sluice asset observe --select "${kept.join(" or ")}"\` (or POST /api/runs with observe: true).`,
    );
  }
  return kept;
}

/** `Asset "a"`, or `Assets "a", "b", "c" and 4 more`, for messages. */
function listKeys(keys: readonly string[]): string {
  if (keys.length === 1) return `Asset "${keys[0]}"`;
  const shown = keys.slice(0, 3).map((k) => `"${k}"`).join(", ");
  return `Assets ${shown}${keys.length > 3 ? ` and ${keys.length - 3} more` : ""}`;
}
