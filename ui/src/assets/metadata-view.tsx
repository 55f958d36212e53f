/**
 * Metadata as people read it: numbers formatted, URLs as links, paths in monospace, tables as
 * tables, JSON indented. `MetadataTable` lists a whole map; `MetadataInline` is the one-line form
 * of the history table.
 */
import type { MetadataMapJson, MetadataValueJson } from "./asset-json";

const TABLE_PREVIEW_ROWS = 20;

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** One metadata value. */
export function MetadataValueView({ entry }: { entry: MetadataValueJson }) {
  switch (entry.type) {
    case "int":
    case "float":
      return <span className="mono">{entry.value.toLocaleString()}</span>;
    case "text":
      return <span>{entry.value}</span>;
    case "bool":
      return <span className="mono">{String(entry.value)}</span>;
    case "url":
      return (
        <a href={entry.value} target="_blank" rel="noreferrer noopener">
          {entry.value}
        </a>
      );
    case "path":
      return <span className="mono">{entry.value}</span>;
    case "markdown":
      return <div className="metadata-markdown">{entry.value}</div>;
    case "timestamp":
      return <time dateTime={new Date(entry.value).toISOString()}>{new Date(entry.value).toLocaleString()}</time>;
    case "null":
      return <span className="muted">null</span>;
    case "json":
      return <pre className="metadata-json mono">{JSON.stringify(entry.value, null, 2)}</pre>;
    case "table": {
      const { columns, rows } = entry.value;
      return (
        <div className="metadata-table-value">
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.name} title={c.type}>
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, TABLE_PREVIEW_ROWS).map((row, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c.name} className="mono">
                      {cell(row[c.name])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > TABLE_PREVIEW_ROWS && <div className="small muted">{(rows.length - TABLE_PREVIEW_ROWS).toLocaleString()} more rows</div>}
        </div>
      );
    }
    default:
      return <span className="mono">{JSON.stringify((entry as { value?: unknown }).value)}</span>;
  }
}

/** A metadata map as a two-column table (name, value); nothing when it is empty. */
export function MetadataTable({ metadata, testId }: { metadata: MetadataMapJson; testId?: string }) {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return <p className="muted small">No metadata.</p>;
  return (
    <table className="metadata-table" data-testid={testId}>
      <tbody>
        {entries.map(([name, entry]) => (
          <tr key={name}>
            <th className="mono">{name}</th>
            <td>
              <MetadataValueView entry={entry} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function short(entry: MetadataValueJson): string {
  switch (entry.type) {
    case "int":
    case "float":
      return entry.value.toLocaleString();
    case "table":
      return `table, ${entry.value.rows.length} rows`;
    case "json":
      return "json";
    case "timestamp":
      return new Date(entry.value).toLocaleString();
    case "markdown":
      return entry.value.length > 40 ? `${entry.value.slice(0, 40)}…` : entry.value;
    default:
      return String(entry.value);
  }
}

/** A metadata map on one line: `name: value · name: value`, long values shortened. */
export function MetadataInline({ metadata }: { metadata: MetadataMapJson }) {
  const entries = Object.entries(metadata);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="metadata-inline">
      {entries.map(([name, entry]) => (
        <span key={name} className="metadata-inline-entry" title={`${name} (${entry.type})`}>
          <span className="muted">{name}:</span> <span className="mono">{short(entry)}</span>
        </span>
      ))}
    </span>
  );
}
