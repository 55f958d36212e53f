/** A metadata value, tagged with its kind so the UI and CLI can render it. */
export type MetadataValue =
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
  | {
      type: "table";
      value: { columns: { name: string; type?: string }[]; rows: Record<string, unknown>[] };
    };

/** Metadata of a materialization: name → tagged value. */
export type MetadataMap = Record<string, MetadataValue>;

