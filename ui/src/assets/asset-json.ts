/**
 * Shapes of the asset endpoints' JSON (`GET /api/assets`, `GET /api/assets/:key`), as the server
 * builds them in src/server/routes/asset-routes.ts and src/server/asset-status.ts; used by the
 * lineage view and the asset page.
 */
import type { RunJson, RunStatus } from "../types";

/** What the lineage shows of an asset: its latest materialization, or the run working on it. */
export type AssetStatus = "NEVER_MATERIALIZED" | "MATERIALIZED" | "QUEUED" | "IN_PROGRESS" | "FAILED";

/** A metadata value, tagged with its kind (src/definitions/metadata-value.ts). */
export type MetadataValueJson =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "bool"; value: boolean }
  | { type: "json"; value: unknown }
  | { type: "url"; value: string }
  | { type: "path"; value: string }
  | { type: "markdown"; value: string }
  | { type: "timestamp"; value: number }
  | { type: "null"; value: null }
  | { type: "table"; value: { columns: { name: string; type?: string }[]; rows: Record<string, unknown>[] } };

/** Metadata: entry name → tagged value. */
export type MetadataMapJson = Record<string, MetadataValueJson>;

/** One materialization of an asset. */
export interface MaterializationJson {
  eventId: number;
  runId: string;
  partition: string | null;
  timestamp: string;
  metadata: MetadataMapJson;
  stepKey?: string | null;
}

/** The latest run that included an asset. */
export interface AssetRunRefJson {
  runId: string;
  status: RunStatus;
  jobName: string;
  createdAt: string | null;
}

/** One asset of `GET /api/assets`. */
export interface AssetSummaryJson {
  key: string;
  group: string;
  description: string | null;
  deps: string[];
  kinds: string[];
  tags: Record<string, string>;
  owners: string[];
  status: AssetStatus;
  latestMaterialization: MaterializationJson | null;
  materializedPartitions: number;
  latestRun: AssetRunRefJson | null;
}

/** `GET /api/assets`. */
export interface AssetsJson {
  assets: AssetSummaryJson[];
}

/** An asset's definition, as the snapshot has it. */
export interface AssetSnapshotJson {
  key: string;
  group: string;
  description: string | null;
  deps: string[];
  ins: Record<string, string>;
  children: string[];
  tags: Record<string, string>;
  owners: string[];
  kinds: string[];
  metadata: MetadataMapJson;
  config: { jsonSchema: Record<string, unknown> | null; error?: string };
  resources: string[];
  ioManager: string;
  retry: Record<string, unknown> | null;
  jobs: string[];
}

/** One point of a numeric metadata series. */
export interface MetadataPointJson {
  timestamp: string;
  runId: string;
  partition: string | null;
  value: number;
}

/** `GET /api/assets/:key`. */
export interface AssetDetailJson {
  /** Null when the asset is no longer defined but has history. */
  asset: AssetSnapshotJson | null;
  defined: boolean;
  status: AssetStatus;
  latestMaterialization: MaterializationJson | null;
  materializedPartitions: number;
  latestRun: AssetRunRefJson | null;
  /** Newest first. */
  materializations: MaterializationJson[];
  /** Numeric metadata per entry name, oldest first. */
  numericSeries: Record<string, MetadataPointJson[]>;
  recentRuns: RunJson[];
  generatedAt: string;
}

/**
 * The path of an asset: its page in the UI, and under `/api` its endpoint. Keys keep their slashes;
 * each component is URL-encoded.
 */
export function assetPath(key: string): string {
  return `/assets/${key.split("/").map(encodeURIComponent).join("/")}`;
}
