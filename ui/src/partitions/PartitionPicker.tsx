/**
 * The partition picker, wherever a partitioned target is launched (the asset page, the lineage's
 * Materialize selected / all, a partitioned job's launchpad): one key (the latest by default, with
 * typeahead), a range, the missing or failed partitions, or all of them. Before launch it shows
 * what the server counts (a backfill preview); one key queues one run, anything else launches a
 * backfill and opens its page. The server's refusals (an unknown key, a reversed range...) are shown
 * here, and nothing is launched.
 */
import { useId, useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { api, ApiError } from "../api";
import { ErrorBox } from "../components/common";
import type { RunAnswerJson, RunJson } from "../types";
import { plural, type BackfillLaunchAnswerJson, type BackfillLaunchBodyJson, type BackfillPartitionSetJson, type PartitionsJson } from "./partition-types";
import "./partitions.css";
import { useBackfillPreview } from "./use-backfill-preview";

/** What is launched: assets (keys or a selection expression) or an asset job. */
export type LaunchTarget = { selection: string[] | string } | { job: string };

/** The picker's choices. */
export type PickerMode = "key" | "range" | "missing" | "failed" | "all";

const MODES: { mode: PickerMode; label: string }[] = [
  { mode: "key", label: "One key" },
  { mode: "range", label: "Range" },
  { mode: "missing", label: "Missing" },
  { mode: "failed", label: "Failed" },
  { mode: "all", label: "All" },
];
/** Suggestions the typeahead lists at most. */
const SUGGESTIONS = 40;

/** Props of PartitionPicker. */
export interface PartitionPickerProps {
  target: LaunchTarget;
  /** Every key in order (for the typeahead and the defaults); null while unknown. */
  keys: readonly string[] | null;
  partitions: PartitionsJson | null;
  /** The choices offered (default: all); `["key"]` when only one run can be launched (a check run). */
  modes?: readonly PickerMode[];
  /** A key to start with (a click on the health bar), else the latest. */
  initialKey?: string | null;
  /** Fields added to POST /api/runs for one key (the launchpad's config). */
  runExtras?: Record<string, unknown>;
  tags?: Record<string, string>;
  /** Said beside the choice when a backfill cannot carry something (the launchpad's config). */
  backfillNote?: string;
  /** Launching is not possible now (the launchpad's config does not parse). */
  disabled?: boolean;
  /** After one key's run is queued. */
  onRunLaunched: (run: RunJson) => void;
  onClose?: () => void;
}

/** The latest key: the last of the list, else the definition's last. */
function latestKey(keys: readonly string[] | null, partitions: PartitionsJson | null): string {
  if (keys && keys.length > 0) return keys[keys.length - 1]!;
  if (partitions?.type === "time_window") return partitions.lastKey ?? "";
  if (partitions?.type === "static") return partitions.keys[partitions.keys.length - 1] ?? "";
  return "";
}

function partitionSetOf(mode: PickerMode, key: string, first: string, last: string): BackfillPartitionSetJson | null {
  switch (mode) {
    case "key":
      return key.trim() ? { kind: "keys", keys: [key.trim()] } : null;
    case "range":
      return first.trim() && last.trim() ? { kind: "range", first: first.trim(), last: last.trim() } : null;
    default:
      return { kind: mode };
  }
}

/** Keys containing `text` (the latest first), at most SUGGESTIONS of them. */
function suggestions(keys: readonly string[] | null, text: string): string[] {
  if (!keys) return [];
  const needle = text.trim().toLowerCase();
  const out: string[] = [];
  for (let i = keys.length - 1; i >= 0 && out.length < SUGGESTIONS; i--) {
    if (!needle || keys[i]!.toLowerCase().includes(needle)) out.push(keys[i]!);
  }
  return out;
}

/** The picker: choice, count, launch. */
export function PartitionPicker(props: PartitionPickerProps) {
  const { target, keys, partitions } = props;
  const navigate = useNavigate();
  const listId = useId();
  const latest = latestKey(keys, partitions);
  const [mode, setMode] = useState<PickerMode>("key");
  // Null: not edited yet, so the latest (known once the keys load) is shown.
  const [keyText, setKeyText] = useState<string | null>(props.initialKey ?? null);
  const [firstText, setFirstText] = useState<string | null>(null);
  const [lastText, setLastText] = useState<string | null>(null);
  const key = keyText ?? latest;
  const last = lastText ?? latest;
  const first = firstText ?? (keys && keys.length > 0 ? keys[Math.max(0, keys.length - 7)]! : latest);
  const [focused, setFocused] = useState<"key" | "first" | "last">("key");
  const typed = focused === "key" ? key : focused === "first" ? first : last;
  const options = useMemo(() => suggestions(keys, typed), [keys, typed]);

  const partitionSet = partitionSetOf(mode, key, first, last);
  const body: BackfillLaunchBodyJson | null = partitionSet ? { ...target, partitionSet, ...(props.tags && Object.keys(props.tags).length ? { tags: props.tags } : {}) } : null;
  const preview = useBackfillPreview(body);
  const [launching, setLaunching] = useState(false);
  const [launchError, setLaunchError] = useState<ApiError | null>(null);
  const error = launchError ?? preview.error;

  const launch = async () => {
    if (!body || !partitionSet) return;
    setLaunching(true);
    setLaunchError(null);
    try {
      if (mode === "key") {
        const { run } = await api<RunAnswerJson>("/runs", { body: { ...target, ...props.runExtras, ...(props.tags && Object.keys(props.tags).length ? { tags: props.tags } : {}), partition: key.trim() } });
        props.onRunLaunched(run);
      } else {
        const { backfill } = await api<BackfillLaunchAnswerJson>("/backfills", { body });
        void navigate(`/backfills/${encodeURIComponent(backfill.backfillId)}`);
      }
    } catch (err) {
      setLaunchError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setLaunching(false);
    }
  };

  const edit = (set: (v: string) => void) => (value: string) => {
    set(value);
    setLaunchError(null);
  };
  const summary = !partitionSet
    ? mode === "key"
      ? "Choose a key."
      : "Choose the first and the last key."
    : preview.pending || !preview.preview
      ? preview.error
        ? "Nothing would be launched."
        : "Counting…"
      : mode === "key"
        ? "1 partition, 1 run"
        : `${plural(preview.preview.partitionCount, "partition")}, ${plural(preview.preview.runCount, "run")}`;
  const canLaunch = !props.disabled && !launching && !!partitionSet && !!preview.preview && !preview.pending && !preview.error;

  return (
    <div className="partition-picker panel" data-testid="partition-picker" data-mode={mode}>
      <div className="row">
        <strong>Partitions</strong>
        <div className="picker-modes" role="radiogroup" aria-label="Which partitions">
          {MODES.filter((m) => !props.modes || props.modes.includes(m.mode)).map((m) => (
            <button
              key={m.mode}
              type="button"
              role="radio"
              aria-checked={mode === m.mode}
              className={mode === m.mode ? "active" : ""}
              data-testid={`picker-mode-${m.mode}`}
              onClick={() => {
                setMode(m.mode);
                setLaunchError(null);
              }}
            >
              {m.label}
            </button>
          ))}
        </div>
        <span className="spacer" />
        {props.onClose && (
          <button type="button" className="small" aria-label="Close the picker" onClick={props.onClose}>
            ×
          </button>
        )}
      </div>
      <datalist id={listId}>
        {options.map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
      <div className="row picker-inputs">
        {mode === "key" && (
          <label className="row">
            <span className="filter-label">Key</span>
            <input className="mono" list={listId} value={key} onFocus={() => setFocused("key")} onChange={(e) => edit(setKeyText)(e.target.value)} placeholder={latest || "partition key"} aria-label="Partition key" data-testid="picker-key" spellCheck={false} />
            {key !== latest && latest && (
              <button type="button" className="small link-button" onClick={() => setKeyText(null)}>
                latest
              </button>
            )}
          </label>
        )}
        {mode === "range" && (
          <>
            <label className="row">
              <span className="filter-label">From</span>
              <input className="mono" list={listId} value={first} onFocus={() => setFocused("first")} onChange={(e) => edit(setFirstText)(e.target.value)} aria-label="First key" data-testid="picker-first" spellCheck={false} />
            </label>
            <label className="row">
              <span className="filter-label">to</span>
              <input className="mono" list={listId} value={last} onFocus={() => setFocused("last")} onChange={(e) => edit(setLastText)(e.target.value)} aria-label="Last key" data-testid="picker-last" spellCheck={false} />
            </label>
            <span className="muted small">both included</span>
          </>
        )}
        {mode === "missing" && <span className="muted small">Every partition not materialized yet.</span>}
        {mode === "failed" && <span className="muted small">Every partition whose latest attempt failed.</span>}
        {mode === "all" && <span className="muted small">Every partition{keys ? ` (${plural(keys.length, "key")})` : ""}.</span>}
      </div>
      <div className="row picker-footer">
        <span data-testid="picker-preview" className={preview.error ? "muted" : ""} aria-live="polite">
          {summary}
        </span>
        {mode !== "key" && preview.preview && !preview.pending && preview.preview.partitionCount > 1 && (
          <span className="muted small mono">
            {preview.preview.firstKey} … {preview.preview.lastKey}
          </span>
        )}
        {mode !== "key" && props.backfillNote && <span className="muted small">{props.backfillNote}</span>}
        <span className="spacer" />
        <button type="button" className="primary" disabled={!canLaunch} onClick={() => void launch()} data-testid="picker-launch">
          {launching ? "Launching…" : mode === "key" ? "Launch run" : "Launch backfill"}
        </button>
      </div>
      {error && (
        <div data-testid="picker-error">
          <ErrorBox error={error} />
        </div>
      )}
    </div>
  );
}
