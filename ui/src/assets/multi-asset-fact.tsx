import { Link } from "react-router";
import { assetPath, type AssetSnapshotJson } from "./asset-json";

/**
 * For an output of a multi-asset, the facts-list entry naming the assets computed with it (in the
 * same step, by the same function) and the multi-asset; nothing for an asset of its own.
 */
export function MultiAssetFact({ def }: { def: AssetSnapshotJson }) {
  const multi = def.multiAsset;
  if (!multi) return null;
  const siblings = multi.assetKeys.filter((k) => k !== def.key);
  return (
    <>
      <dt>Computed with</dt>
      <dd data-testid="multi-asset-fact">
        {siblings.map((k, i) => (
          <span key={k}>
            {i > 0 && ", "}
            <Link className="mono" to={assetPath(k)}>
              {k}
            </Link>
          </span>
        ))}
        {siblings.length === 0 ? "no other asset" : ""} (multi-asset <span className="mono">{multi.name}</span>
        {multi.canSubset ? ", can compute a subset" : ""})
      </dd>
    </>
  );
}
