import { describeFreshnessPolicy } from "../definitions/freshness-policy.js";
import type { AssetFreshness } from "../runs/asset-freshness.js";
import { iso } from "./api-json.js";
import type { FreshnessJson } from "./api-types.js";

/** An asset's freshness as the API and `sluice asset freshness --json` show it. */
export function freshnessJson(f: AssetFreshness): FreshnessJson {
  return {
    assetKey: f.assetKey,
    status: f.status,
    policy: { maximumLagMs: f.policy.maximumLagMs, cron: f.policy.cron, cronTimezone: f.policy.cronTimezone, description: describeFreshnessPolicy(f.policy) },
    lastMaterializationAt: iso(f.lastMaterializationAt),
    lagMs: f.lagMs,
    nextDeadline: iso(f.nextDeadline),
    partition: f.partition,
    evaluatedAt: iso(f.evaluatedAt),
  };
}
