import type { CompiledQuery } from "kysely";
import { StorageError } from "../definitions/errors.js";

/** A row of plain values (strings, numbers, null, bytes), as kysely's `values()` takes it. */
export type PlainRow = object;

/** Named lists of rows that one statement writes. */
export type RowGroups = Readonly<Record<string, readonly PlainRow[]>>;

/** Where a parameter of a compiled template comes from: a row's column, or a constant of the query. */
type ParameterSource = { group: string; row: number; column: string } | { constant: unknown };

interface Template {
  sql: string;
  sources: ParameterSource[];
}

/** Statements with more rows than this are compiled each time: building them costs little per row. */
const MAX_TEMPLATE_ROWS = 32;
/** Templates kept at most (by kind and row counts); the cache is emptied when it is full. */
const MAX_TEMPLATES = 256;

/**
 * Compiled SQL of the storage's hot statements, by shape. Building and compiling a kysely query
 * costs as much as SQLite's own work for a small insert, and on the hot path (a step's events, its
 * asset index and status rows) only the values change: a statement with the same kind, the same
 * number of rows in each group and the same columns compiles to the same text. The first time, the
 * query is built with a unique placeholder in every cell, and each compiled parameter is traced back
 * to its cell (or kept, when the query itself holds a constant); later, the parameters are read from
 * the rows without building anything.
 */
export class StatementTemplates {
  readonly #templates = new Map<string, Template>();

  /**
   * The compiled statement for `groups`, built and compiled by `build` (called with rows of the same
   * shape; it must put every cell's value in the statement as a parameter, as kysely's `values()`
   * does).
   */
  compile<R>(kind: string, groups: RowGroups, build: (groups: RowGroups) => CompiledQuery): CompiledQuery<R> {
    const key = shapeKey(kind, groups);
    if (key === undefined) return build(groups) as CompiledQuery<R>;
    let template = this.#templates.get(key);
    if (template === undefined) {
      template = makeTemplate(groups, build);
      if (this.#templates.size >= MAX_TEMPLATES) this.#templates.clear();
      this.#templates.set(key, template);
    }
    const parameters: unknown[] = new Array(template.sources.length);
    for (let i = 0; i < parameters.length; i++) {
      const source = template.sources[i]!;
      const value = "constant" in source ? source.constant : (groups[source.group]![source.row] as Record<string, unknown>)[source.column];
      // A row without one of the template's columns, or with an undefined value: build it as it is.
      if (value === undefined) return build(groups) as CompiledQuery<R>;
      parameters[i] = value;
    }
    return { sql: template.sql, parameters, query: EMPTY_QUERY_NODE } as unknown as CompiledQuery<R>;
  }
}

/**
 * The compiled query's node, which drivers do not read (they run `sql` with `parameters`); kysely's
 * plugins would, and the storage uses none on these statements.
 */
const EMPTY_QUERY_NODE = Object.freeze({ kind: "RawNode", sqlFragments: [], parameters: [] });

/**
 * The cache key of a shape (the kind, and each group's row count and first row's columns), or
 * undefined when the statement is too big to keep or a row has another number of columns. A row
 * with other columns (or an undefined value, whose column kysely leaves out) is caught when the
 * parameters are read.
 */
function shapeKey(kind: string, groups: RowGroups): string | undefined {
  let key = kind;
  let rows = 0;
  for (const name in groups) {
    const list = groups[name]!;
    rows += list.length;
    if (rows > MAX_TEMPLATE_ROWS) return undefined;
    if (list.length === 0) {
      key += `|${name}:0`;
      continue;
    }
    const columns = Object.keys(list[0]!);
    for (let i = 1; i < list.length; i++) if (Object.keys(list[i]!).length !== columns.length) return undefined;
    key += `|${name}:${list.length}:${columns.join(",")}`;
  }
  return key;
}

function makeTemplate(groups: RowGroups, build: (groups: RowGroups) => CompiledQuery): Template {
  const cells = new Map<string, { group: string; row: number; column: string }>();
  const placeholders: Record<string, Record<string, string>[]> = {};
  for (const [group, list] of Object.entries(groups)) {
    placeholders[group] = list.map((row, index) =>
      Object.fromEntries(
        Object.keys(row).map((column) => {
          const placeholder = `\u0000cell:${cells.size}`;
          cells.set(placeholder, { group, row: index, column });
          return [column, placeholder];
        }),
      ),
    );
  }
  const compiled = build(placeholders);
  const used = new Set<string>();
  const sources: ParameterSource[] = compiled.parameters.map((value) => {
    const cell = typeof value === "string" ? cells.get(value) : undefined;
    if (cell === undefined) return { constant: value };
    used.add(value as string);
    return cell;
  });
  // Every cell must reach the statement as a parameter of its own; one that was inlined into the
  // text (or dropped) would leave the template writing the first rows' values for ever.
  if (used.size !== cells.size || compiled.sql.includes("\u0000cell:")) {
    throw new StorageError("A statement template does not bind each of its values as a parameter.");
  }
  return { sql: compiled.sql, sources };
}
