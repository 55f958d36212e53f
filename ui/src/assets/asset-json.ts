/**
 * Shapes of the asset endpoints' JSON (`GET /api/assets`, `GET /api/assets/:key`), declared in
 * src/server/api-types.ts (built in src/server/routes/asset-routes.ts and
 * src/server/asset-status.ts); used by the lineage view and the asset page.
 */
export type {
  AssetDetailJson,
  AssetKindJson,
  AssetObservationsJson,
  AssetRunRefJson,
  AssetSnapshotJson,
  AssetStatus,
  AssetsJson,
  AssetSummaryJson,
  FreshnessJson,
  FreshnessStatusJson,
  MaterializationJson,
  MetadataMapJson,
  MetadataPointJson,
  MetadataValueJson,
  ObservationJson,
} from "../../../src/server/api-types";

/**
 * The path of an asset: its page in the UI, and under `/api` its endpoint. Keys keep their slashes;
 * each component is URL-encoded.
 */
export function assetPath(key: string): string {
  return `/assets/${key.split("/").map(encodeURIComponent).join("/")}`;
}
