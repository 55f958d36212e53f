import { asset, AssetKind, type AssetDefinition, type AssetDep, type IsPartitioned } from "./asset.js";
import type { MetadataInput } from "./metadata.js";
import type { PartitionsDefinition } from "./partitions/partitions-definition.js";

/** The fields that describe an asset, which `assetSpec()` and `observableSourceAsset()` pass on to `asset()`. */
export const DESCRIPTIVE_FIELDS = ["group", "description", "tags", "owners", "kinds", "metadata"] as const;

/**
 * The fields of `spec` named in `keys` that are set: options passed on to `asset()` without
 * writing `undefined` where the option may only be left out.
 */
export function setFields<T extends object, K extends keyof T>(spec: T, keys: readonly K[]): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: Exclude<T[P], undefined> } = {};
  for (const key of keys) if (spec[key] !== undefined) out[key] = spec[key] as Exclude<T[K], undefined>;
  return out;
}

/** What `assetSpec()` takes: the facts of an asset that something outside Sluice produces. */
export interface ExternalAssetSpec<TParts extends PartitionsDefinition | undefined = undefined> {
  /** Path-like key: components of letters, digits, `_`, `-`, `.`, separated by `/`. */
  key: string;
  /** Upstream assets it is made from (shown in lineage; nothing waits on them). */
  deps?: readonly AssetDep[];
  /** Group shown in the UI and selectable with `group:NAME` (default "default"). */
  group?: string;
  description?: string;
  tags?: Record<string, string>;
  owners?: string[];
  /** Technologies the asset is stored in (`s3`, `postgres`...). */
  kinds?: string[];
  /** Static metadata about the asset. */
  metadata?: MetadataInput;
  /** The partitions its producer materializes; reports then name one of them. */
  partitions?: TParts;
}

/**
 * Declares an external asset: one that Sluice never materializes, because another system (a
 * vendor's export, a dbt job, a cron script) produces it. It is a node of the asset graph (lineage,
 * selection, the UI); other assets name it in `deps`. Its materializations are reported with
 * `sluice asset report KEY`, `POST /api/assets/:key/reports` or `reportMaterialization()`.
 * Put it in the `assets` of `defineDefinitions()`.
 * @example
 * const vendorFeed = assetSpec({ key: "vendor/feed", group: "ingest", kinds: ["s3"] });
 * const cleaned = asset({ key: "feed_clean", deps: [vendorFeed], run: () => cleanFeed() });
 * export default defineDefinitions({ assets: [vendorFeed, cleaned] });
 */
export function assetSpec<TParts extends PartitionsDefinition | undefined = undefined>(spec: ExternalAssetSpec<TParts>): AssetDefinition<unknown, IsPartitioned<TParts>> {
  const definition = asset({
    key: spec.key,
    ...setFields(spec, ["deps", ...DESCRIPTIVE_FIELDS]),
    partitions: spec.partitions,
    // Plans never hold an external asset (see executableAssetKeys), so this only guards misuse.
    run: () => {
      throw new Error(`Asset "${spec.key}" is an external asset: Sluice cannot materialize it. Report its materializations with \`sluice asset report ${spec.key}\`.`);
    },
  });
  return { ...definition, assetKind: AssetKind.External } as AssetDefinition<unknown, IsPartitioned<TParts>>;
}
