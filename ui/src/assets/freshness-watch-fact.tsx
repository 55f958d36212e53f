/** What a freshness sensor watches, as a fact of its page: "overdue of group:reports". */
export function FreshnessWatchFact({ watch }: { watch: { monitoredSelection: string | null; statuses: string[] } }) {
  return (
    <div data-testid="sensor-freshness-watch">
      <dt>Watches freshness</dt>
      <dd>
        {watch.statuses.map((st) => st.toLowerCase()).join(" or ")} of{" "}
        {watch.monitoredSelection ? <span className="mono">{watch.monitoredSelection}</span> : "every asset with a freshness policy"}
      </dd>
    </div>
  );
}
