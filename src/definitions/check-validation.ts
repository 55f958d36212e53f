import type { AssetDefinition } from "./asset.js";
import { checkNameProblem, isAssetCheckDefinition, type AssetCheckDefinition } from "./asset-check.js";
import { findBadDefaults } from "./config-defaults.js";
import { DefinitionError } from "./errors.js";

/**
 * Collects the checks of a project (inline on assets first, then `assetChecks` in order) by check
 * key, validated. Throws DefinitionError naming the check for: something that is not a check, a
 * bad name, no run function, an unknown asset, two checks of one asset with one name (saying where
 * each was declared), or a config default that fails its schema.
 */
export function collectChecks(assets: ReadonlyMap<string, AssetDefinition>, listed: readonly AssetCheckDefinition<any>[]): Map<string, AssetCheckDefinition> {
  const checks = new Map<string, AssetCheckDefinition>();
  const add = (check: AssetCheckDefinition): void => {
    const problem = checkNameProblem(check.name);
    if (problem !== undefined) {
      throw new DefinitionError(
        `Check name "${String(check.name)}" of asset "${check.assetKey}" (${check.declaredAt}) is not valid: ${problem}. ` +
          `Use letters, digits, "_", "-" and ".", e.g. "row_count".`,
        check.key,
      );
    }
    if (typeof check.run !== "function") {
      throw new DefinitionError(`Check "${check.key}" (${check.declaredAt}) has no run function. Give it run: (value, context) => ({ passed }).`, check.key);
    }
    if (!assets.has(check.assetKey)) {
      throw new DefinitionError(
        `Check "${check.name}" (${check.declaredAt}) is on asset "${check.assetKey}", which is not defined${suggestion(check.assetKey, [...assets.keys()])}. ` +
          `Add the asset to Definitions' assets, or fix the check's asset.`,
        check.key,
      );
    }
    const earlier = checks.get(check.key);
    if (earlier !== undefined) {
      throw new DefinitionError(
        `Asset "${check.assetKey}" has two checks named "${check.name}": one ${earlier.declaredAt} and one ${check.declaredAt}. ` +
          `Each check of an asset needs its own name; rename one of them.`,
        check.key,
      );
    }
    if (check.configSchema) {
      const bad = findBadDefaults(check.configSchema)[0];
      if (bad !== undefined) {
        throw new DefinitionError(
          `Check "${check.key}": the default of config field "${bad.path.join(".") || "(root)"}" fails its own schema: ${bad.message}. Fix the default or the schema.`,
          check.key,
        );
      }
    }
    checks.set(check.key, check);
  };
  // `?? []`: an asset definition built by hand (or by an older copy of this package) may lack checks.
  for (const def of assets.values()) for (const check of def.checks ?? []) add(check);
  listed.forEach((check, i) => {
    if (!isAssetCheckDefinition(check)) {
      throw new DefinitionError(`assetChecks[${i}] is not an asset check. Create checks with assetCheck({ asset, name, run }).`);
    }
    add({ ...check, declaredAt: `in assetChecks[${i}]` });
  });
  return checks;
}

/** The resources the checks use, as resource binding needs them (`check "orders:rows"`). */
export function checkResourceNeeds(checks: ReadonlyMap<string, AssetCheckDefinition>): { name: string; user: string; definition: AssetCheckDefinition["resources"][string] }[] {
  return [...checks.values()].flatMap((check) => Object.entries(check.resources).map(([name, definition]) => ({ name, user: `check "${check.key}"`, definition })));
}

/** ` (did you mean "x"?)` for a known key one or two edits away; computed only for an error. */
export function suggestion(key: string, known: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = levenshtein(key, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best ? ` (did you mean "${best.name}"?)` : "";
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
