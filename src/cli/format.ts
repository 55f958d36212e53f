export { eventJson, iso, runJson } from "../server/api-json.js";

/** `1.23s`, `850ms`, `2m 03s`. */
export function duration(startMs: number | null, endMs: number | null): string {
  if (startMs === null) return "-";
  const ms = (endMs ?? Date.now()) - startMs;
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** Left-aligned columns, for human-readable tables. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}

/** One metadata map as `name=value` pairs, for a log line. */
export function metadataSummary(metadata: Record<string, { type: string; value: unknown }> | undefined): string {
  if (!metadata) return "";
  const parts = Object.entries(metadata).map(([k, v]) => {
    const value = v.type === "json" || v.type === "table" ? "{…}" : String(v.value);
    return `${k}=${value.length > 40 ? `${value.slice(0, 37)}...` : value}`;
  });
  return parts.join(" ");
}
