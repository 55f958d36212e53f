import { Link, useSearchParams } from "react-router";
import "./conditions.css";

/** The tabs of the asset page. */
export type AssetTab = "overview" | "automation";

/** The asset page's tab, from `?tab=` (overview by default). */
export function useAssetTab(): AssetTab {
  const [params] = useSearchParams();
  return params.get("tab") === "automation" ? "automation" : "overview";
}

/** The tab bar of the asset page: Overview and Automation, as links (`?tab=automation`), so a tab can be bookmarked. */
export function AssetTabs({ current }: { current: AssetTab }) {
  return (
    <div className="asset-tabs" aria-label="Asset sections" data-testid="asset-tabs">
      <Link to={{ search: "" }} className={current === "overview" ? "active" : undefined} aria-current={current === "overview" ? "page" : undefined}>
        Overview
      </Link>
      <Link to={{ search: "?tab=automation" }} className={current === "automation" ? "active" : undefined} aria-current={current === "automation" ? "page" : undefined} data-testid="tab-automation">
        Automation
      </Link>
    </div>
  );
}
