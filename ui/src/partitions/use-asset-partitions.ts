import { useRef } from "react";
import { useApi, type ApiState } from "../api";
import { assetPath } from "../assets/asset-json";
import type { AssetPartitionsJson } from "./partition-types";

/** GET /api/assets/:key/partitions, with when it was first asked for (the health bar's timing). */
export interface AssetPartitionsState extends ApiState<AssetPartitionsJson> {
  /** `performance.now()` when the first request of this asset's partitions went out. */
  requestedAt: number | undefined;
}

/** Every partition of `assetKey` by status, with its keys; null: the asset is not partitioned (nothing is fetched). */
export function useAssetPartitions(assetKey: string | null): AssetPartitionsState {
  const path = assetKey === null ? null : `${assetPath(assetKey)}/partitions`;
  const started = useRef<{ path: string; at: number } | null>(null);
  if (path !== null && started.current?.path !== path) started.current = { path, at: performance.now() };
  const state = useApi<AssetPartitionsJson>(path);
  return { ...state, requestedAt: path !== null ? started.current?.at : undefined };
}
