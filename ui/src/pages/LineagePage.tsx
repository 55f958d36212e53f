import { Background, ControlButton, Controls, MiniMap, ReactFlow, ReactFlowProvider, type NodeChange } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type MouseEvent } from "react";
import { useNavigate } from "react-router";
import type { AssetSummaryJson } from "../assets/asset-json";
import { useThrottled } from "../assets/use-throttled";
import { useFreshnessDeadline } from "../assets/use-freshness-deadline";
import { ErrorBox, Loading } from "../components/common";
import "../lineage/lineage.css";
import { groupNodeId, type GraphAsset, type LineageLayoutRequest } from "../lineage/lineage-layout";
import { definitionsFingerprint, FlowElements, membersByGroup, selectedAssetKeys, statusCounts, type LineageFlowNode } from "../lineage/lineage-model";
import { LINEAGE_EDGE_TYPES, type LineageFlowEdge } from "../lineage/lineage-edges";
import { LINEAGE_NODE_TYPES } from "../lineage/lineage-nodes";
import { applySelection, shownSelection, type SelectionOutcome } from "../lineage/selection-filter";
import { checkStatusFingerprint, checkStatusOf } from "../checks/check-status-of";
import { useAssets } from "../lineage/use-assets";
import { useLineageLayout } from "../lineage/use-lineage-layout";
import { useLineageViewport, ZOOM_LIMITS } from "../lineage/use-lineage-viewport";
import { LaunchedBanner } from "../lineage/launched-banner";
import { useMaterialize, type LaunchScope } from "../lineage/use-materialize";
import { useSelectionSearch } from "../lineage/use-selection-search";
import { mayHaveMissed, useLive } from "../live";
import { firstPartitioned, LineagePicker } from "../partitions/LineagePicker";

/** Above this many shown assets, groups start collapsed (one node each) until expanded or filtered. */
const FULL_GRAPH_LIMIT = 2000;
/** Above this many nodes the minimap (which draws every node) is left out. */
const MINIMAP_LIMIT = 300;
/** Events after which asset statuses may have changed. */
const STATUS_EVENTS = new Set(["ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION", "STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "RUN_SUCCESS", "RUN_FAILURE", "RUN_CANCELED"]);

/** The asset lineage (route /assets): layered graph in group boxes, live statuses, selection search, materialize. */
export function LineagePage() {
  return (
    <ReactFlowProvider>
      <LineageView />
    </ReactFlowProvider>
  );
}

function LineageView() {
  const assets = useAssets();
  const list = assets.data?.assets;
  const big = (list?.length ?? 0) > FULL_GRAPH_LIMIT;

  const refresh = useThrottled(assets.reload, big ? 3000 : 750);
  useFreshnessDeadline(list?.map((a) => a.freshness?.nextDeadline), refresh);
  useLive((m) => {
    if (m.kind === "run" || m.kind === "definitions" || mayHaveMissed(m) || (m.kind === "event" && STATUS_EVENTS.has(m.event.type))) refresh();
  });

  const { draft, setDraft, expression, commit } = useSelectionSearch();

  const fingerprint = useMemo(() => (list ? definitionsFingerprint(list) : null), [list]);
  // Recomputed only when the definitions change, not on every status refresh.
  const graph = useMemo<GraphAsset[] | null>(() => list?.map((a) => ({ key: a.key, group: a.group, deps: a.deps })) ?? null, [fingerprint]);
  // `status:` re-applies when the assets' check results change, other filters only with the definitions.
  const statuses = list && expression.includes("status:") ? checkStatusFingerprint(list) : "";
  const outcome = useMemo<SelectionOutcome | null>(() => (list && expression.trim() ? applySelection(expression, list, checkStatusOf(list)) : null), [expression, fingerprint, statuses]);
  // While the expression does not parse, the last one that did stays applied.
  const lastGood = useRef<{ expression: string; keys: string[] | null }>({ expression: "", keys: null });
  if (outcome === null) lastGood.current = { expression: "", keys: null };
  else if (outcome.ok) lastGood.current = { expression, keys: outcome.keys };
  const applied = lastGood.current;
  const visible = useMemo(() => (applied.keys ? new Set(applied.keys) : null), [applied.keys]);

  const members = useMemo(() => (list ? membersByGroup(list, visible) : new Map<string, AssetSummaryJson[]>()), [list, visible]);
  const shownCount = visible ? visible.size : (list?.length ?? 0);
  const expandByDefault = shownCount <= FULL_GRAPH_LIMIT;
  // Expand/collapse choices belong to one filter; a new filter starts from the default again.
  const [toggles, setToggles] = useState<{ expression: string; groups: Map<string, boolean> }>({ expression: "", groups: new Map() });
  const overrides = toggles.expression === applied.expression ? toggles.groups : new Map<string, boolean>();
  const expanded = [...members.keys()].filter((g) => overrides.get(g) ?? expandByDefault);
  const request: LineageLayoutRequest | null = graph ? { visible: applied.keys, expanded } : null;
  const requestKey = `${fingerprint}\u0001${applied.expression}\u0001${expanded.join("\u0000")}`;
  const { layout, ms, pending, error: layoutError } = useLineageLayout(graph, fingerprint, request, requestKey);

  const canvas = useRef<HTMLDivElement>(null);
  const viewport = useLineageViewport(layout, canvas);
  const lastScope = useRef<string | null>(null);
  const scope = `${fingerprint}\u0001${applied.expression}`;
  // New definitions or a new filter: show all of it once laid out.
  if (fingerprint && lastScope.current !== scope) {
    viewport.requestFit({ kind: "all" });
    lastScope.current = scope;
  }
  const setExpanded = useCallback(
    (groups: string[], value: boolean) => {
      setToggles((prev) => {
        const map = new Map(prev.expression === applied.expression ? prev.groups : []);
        for (const g of groups) map.set(g, value);
        return { expression: applied.expression, groups: map };
      });
      // Show an expanded group whole; after a collapse, everything.
      viewport.requestFit(groups.length === 1 && value ? { kind: "node", id: groupNodeId(groups[0]!) } : { kind: "all" });
    },
    [applied.expression, viewport.requestFit],
  );
  // One function for the life of the page (it is in every group node's data); it reads the latest state.
  const toggleLatest = useRef((_group: string) => {});
  toggleLatest.current = (group: string) => setExpanded([group], !expanded.includes(group));
  const onToggle = useCallback((group: string) => toggleLatest.current(group), []);

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const assetsByKey = useMemo(() => new Map((list ?? []).map((a) => [a.key, a])), [list]);
  const counts = useMemo(() => statusCounts(members), [members]);
  const { hideAssets } = viewport;
  const elements = useRef(new FlowElements());
  const nodes = useMemo(
    () => (layout ? elements.current.buildNodes({ layout, assetsByKey, counts, selected, onToggle, hideAssets }) : []),
    [layout, assetsByKey, counts, selected, onToggle, hideAssets],
  );
  const edges = useMemo(() => (layout ? elements.current.buildEdges(layout, selected, hideAssets) : []), [layout, selected, hideAssets]);
  // Selected nodes that a new layout no longer shows are no longer selected.
  useEffect(() => {
    if (!layout) return;
    const shown = new Set(nodes.map((n) => n.id));
    setSelected((prev) => {
      const kept = [...prev].filter((id) => shown.has(id));
      return kept.length === prev.size ? prev : new Set(kept);
    });
  }, [layout]);
  const onNodesChange = useCallback((changes: NodeChange<LineageFlowNode>[]) => {
    const picks = changes.filter((c) => c.type === "select");
    if (picks.length === 0) return;
    setSelected((prev) => {
      const next = new Set(prev);
      for (const c of picks) {
        if (c.selected) next.add(c.id);
        else next.delete(c.id);
      }
      return next;
    });
  }, []);
  const selectedKeys = useMemo(() => selectedAssetKeys(selected, layout, members), [selected, layout, members]);

  const { launching, launched, error: launchError, materialize, report, dismiss } = useMaterialize(refresh);
  // With a filter applied, "Materialize all" launches what it shows.
  const shown = applied.keys;
  // A launch with partitioned assets goes through the partition picker. `keys` are the assets it
  // stands for (to find a partitioned one), `selection` what is sent (keys, or the filter's expression).
  const [picking, setPicking] = useState<{ keys: readonly string[] | "*"; selection: readonly string[] | string; scope: LaunchScope; partitioned: AssetSummaryJson } | null>(null);
  const launch = (keys: readonly string[] | "*", selection: readonly string[] | string, scope: LaunchScope) => {
    const partitioned = firstPartitioned(keys, assetsByKey);
    if (partitioned) setPicking({ keys, selection, scope, partitioned });
    else void materialize(selection, scope);
  };

  // Asset names in nodes are plain links (cheaper than router Links by the thousand): route them here.
  const navigate = useNavigate();
  const onCanvasClick = (event: MouseEvent) => {
    const link = (event.target as HTMLElement).closest("a[data-asset-link]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void navigate(link.getAttribute("href")!);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    commit(draft);
  };
  const collapsedCount = layout ? layout.groups.filter((g) => !g.expanded).length : 0;

  return (
    <div className="lineage-page" data-testid="lineage-page">
      <div className="lineage-toolbar">
        <h1>Assets</h1>
        <form onSubmit={onSubmit} className="lineage-search-form" role="search">
          <input
            className="lineage-search mono"
            data-testid="lineage-search"
            aria-label="Filter by selection"
            placeholder="Filter: group:ingest+  key:raw/*  +clean/orders  tag:k=v  *"
            value={draft}
            spellCheck={false}
            onChange={(e) => setDraft(e.target.value)}
          />
        </form>
        {list && (
          <span className="small muted" data-testid="selection-count">
            {visible ? `${shownCount.toLocaleString()} of ${list.length.toLocaleString()} assets` : `${list.length.toLocaleString()} assets`}
          </span>
        )}
        <span className="spacer" />
        {selectedKeys.length > 0 && (
          <button type="button" className="small" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
        <button
          type="button"
          className="primary"
          data-testid="materialize-selected"
          disabled={launching || selectedKeys.length === 0}
          onClick={() => launch(selectedKeys, selectedKeys, { kind: "selected" })}
          title="Shift-click or shift-drag to select several"
        >
          Materialize selected{selectedKeys.length > 0 ? ` (${selectedKeys.length.toLocaleString()})` : ""}
        </button>
        {shown ? (
          // With a filter, what is shown: never "*".
          <button
            type="button"
            data-testid="materialize-all"
            disabled={launching || shown.length === 0}
            onClick={() => launch(shown, shownSelection(applied.expression, shown), { kind: "shown", count: shown.length, filter: applied.expression })}
            title={`Materialize the ${shownCount.toLocaleString()} assets the filter ${applied.expression} shows`}
          >
            Materialize {shownCount.toLocaleString()} shown asset{shownCount === 1 ? "" : "s"}
          </button>
        ) : (
          <button type="button" data-testid="materialize-all" disabled={launching || !list?.length} onClick={() => launch("*", "*", { kind: "all" })} title="Materialize every asset">
            Materialize all
          </button>
        )}
      </div>
      {outcome && !outcome.ok && (
        <div className="banner error lineage-selection-error" role="alert" data-testid="selection-error">
          <strong>SELECTION_ERROR</strong>
          {outcome.position !== null && <span> at position {outcome.position}</span>}
          <pre className="mono">{outcome.message}</pre>
          {applied.keys && <span className="small">Still showing the last selection that parsed: {applied.expression}</span>}
        </div>
      )}
      {outcome?.ok && outcome.keys.length === 0 && (
        <div className="banner lineage-note" data-testid="selection-empty">
          No asset matches <span className="mono">{expression}</span>.
        </div>
      )}
      {picking && (
        <LineagePicker
          key={typeof picking.selection === "string" ? picking.selection : picking.selection.join("\u0000")}
          selection={picking.selection}
          count={picking.keys === "*" ? "all" : picking.keys.length}
          partitioned={picking.partitioned}
          onRunLaunched={(run) => {
            report(run, picking.scope);
            setPicking(null);
          }}
          onClose={() => setPicking(null)}
        />
      )}
      {launched && <LaunchedBanner launched={launched} onDismiss={dismiss} />}
      {launchError && <ErrorBox error={launchError} />}
      {assets.error && assets.data && <ErrorBox error={assets.error} />}
      {layoutError && <ErrorBox error={layoutError} />}
      {collapsedCount > 0 && layout && (
        <div className="banner lineage-note" data-testid="overview-note">
          {shownCount.toLocaleString()} assets in {layout.groups.length.toLocaleString()} groups: {collapsedCount === layout.groups.length ? "one node per group." : `${collapsedCount} collapsed.`}{" "}
          Expand a group, or filter with a selection (e.g. <span className="mono">group:{layout.groups[0]?.name}</span>).{" "}
          <button type="button" className="small" onClick={() => setExpanded(layout.groups.map((g) => g.name), true)}>
            Expand all{shownCount > FULL_GRAPH_LIMIT ? " (slow)" : ""}
          </button>
        </div>
      )}
      <Loading error={assets.data ? undefined : assets.error}>
        <div ref={canvas} className="lineage-canvas" data-testid="lineage-canvas" onClick={onCanvasClick} data-layout-ms={ms === null ? undefined : Math.round(ms)} aria-busy={pending}>
          <ReactFlow<LineageFlowNode, LineageFlowEdge>
            nodes={nodes}
            edges={edges}
            nodeTypes={LINEAGE_NODE_TYPES}
            edgeTypes={LINEAGE_EDGE_TYPES}
            onNodesChange={onNodesChange}
            onlyRenderVisibleElements
            nodesDraggable={false}
            nodesConnectable={false}
            edgesFocusable={false}
            selectionKeyCode="Shift"
            multiSelectionKeyCode={["Shift", "Meta", "Control"]}
            minZoom={ZOOM_LIMITS.minZoom}
            maxZoom={2}
          >
            <Background gap={24} />
            <Controls showInteractive={false} showFitView={false}>
              <ControlButton onClick={viewport.fitWhole} title="Fit the whole graph" aria-label="fit view" className="react-flow__controls-fitview">
                <FitIcon />
              </ControlButton>
            </Controls>
            {nodes.length <= MINIMAP_LIMIT && <MiniMap pannable zoomable nodeClassName={(n) => `minimap-${n.type}`} />}
          </ReactFlow>
          {(!layout || !list) && !assets.error && <div className="lineage-overlay muted">{list ? "Laying out…" : "Loading assets…"}</div>}
          {list && list.length === 0 && <div className="lineage-overlay muted">No assets are defined.</div>}
        </div>
      </Loading>
    </div>
  );
}

/** Four corners: "fit the view". */
function FitIcon() {
  return (
    <svg viewBox="0 0 16 16" aria-hidden="true" style={{ fill: "none" }}>
      <path d="M1.5 5.5v-4h4M10.5 1.5h4v4M14.5 10.5v4h-4M5.5 14.5h-4v-4" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}
