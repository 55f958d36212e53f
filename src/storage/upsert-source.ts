import { sql, type InsertQueryBuilder, type RawBuilder } from "kysely";

/**
 * Rows whose `event_id` is the 1-based position of their event in an insert of the same statement
 * (Postgres): the upsert reads the event's id from the `positions` CTE, which pairs each position
 * with the id the insert gave it (see EventAppender's one-statement segments).
 */
export class PositionedRows {
  constructor(readonly rows: readonly object[]) {}
}

/** What an upsert writes: rows as they are, or rows positioned against an insert of the statement. */
export type UpsertSource = readonly object[] | PositionedRows;

/** Postgres types of the columns that are not text, for the parameters of a VALUES list. */
const COLUMN_TYPES: Readonly<Record<string, string>> = { event_id: "bigint", timestamp: "bigint", updated_at: "bigint", json: "bytea" };

/** The insert writing `source`: `values(rows)`, or a select of positioned rows joined to their event ids. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function insertFrom<I extends InsertQueryBuilder<any, any, any>>(insert: I, source: UpsertSource): I {
  if (!(source instanceof PositionedRows)) return insert.values(source as never) as I;
  const columns = Object.keys(source.rows[0]!);
  return insert.columns(columns as never).expression(positionedSelect(columns, source.rows)) as I;
}

/**
 * `select <columns> from (values ...) as v(...) join positions`, with `event_id` taken from the
 * insert's ids. A VALUES list's parameters have no type of their own: non-text ones are cast.
 */
function positionedSelect(columns: readonly string[], rows: readonly object[]): RawBuilder<unknown> {
  const cell = (column: string, value: unknown) => {
    const type = COLUMN_TYPES[column];
    return type === undefined ? sql`${value}` : sql`${value}::${sql.raw(type)}`;
  };
  const values = rows.map((row) => sql`(${sql.join(columns.map((c) => cell(c, (row as Record<string, unknown>)[c])))})`);
  const selected = columns.map((c) => (c === "event_id" ? sql`positions.id` : sql.ref(`v.${c}`)));
  return sql`select ${sql.join(selected)} from (values ${sql.join(values)}) as v(${sql.join(columns.map((c) => sql.id(c)))}) join positions on positions.position = v.event_id`;
}
