import { Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { postgresDialect } from "./postgres/postgres-dialect.js";
import type { Database } from "./schema.js";
import { sqliteDialect } from "./sqlite/sqlite-dialect.js";
import { StatementTemplates, type RowGroups } from "./statement-templates.js";

/** Query builders of both dialects; nothing is executed, so no database is opened. */
const dbs: [string, Kysely<Database>][] = [
  ["sqlite", sqliteDialect(":memory:").createKysely()],
  ["postgres", postgresDialect("postgres://nobody@127.0.0.1:1/none").createKysely()],
];

/** An upsert with a constant of its own in the statement (the status), like the storage's. */
function statusUpsert(db: Kysely<Database>, rows: readonly object[]) {
  return db
    .insertInto("asset_partition_status")
    .values(rows as never)
    .onConflict((oc) =>
      oc
        .columns(["asset_key", "partition"])
        .doUpdateSet({ status: sql`excluded.status`, event_id: sql`excluded.event_id` })
        .where(sql<boolean>`asset_partition_status.status <> ${"MATERIALIZED"}`),
    )
    .compile();
}

const row = (n: number) => ({ asset_key: `a${n}`, partition: n % 2 ? "" : `p${n}`, status: "FAILED", run_id: `r${n}`, event_id: n, updated_at: 1000 + n });

describe.each(dbs)("statement templates (%s)", (_name, db) => {
  it("give the statement that building it would, for any values of the same shape", () => {
    const templates = new StatementTemplates();
    for (const rows of [[row(1)], [row(2)], [row(3), row(4)], [row(5), row(6)], [{ ...row(7), partition: null as unknown as string }]]) {
      const direct = statusUpsert(db, rows);
      const templated = templates.compile("status", { rows }, (g) => statusUpsert(db, g.rows!));
      expect(templated.sql).toBe(direct.sql);
      expect(templated.parameters).toEqual(direct.parameters);
    }
  });

  it("combine several groups of rows in one statement", () => {
    const templates = new StatementTemplates();
    const build = (g: RowGroups) =>
      sql`with first as (${statusUpsert(db, g.first!)}) ${sql.raw(statusUpsert(db, g.second!).sql)}`.compile(db);
    // The second group goes in as text here only to check that its cells are refused below.
    expect(() => templates.compile("pair", { first: [row(1)], second: [row(2)] }, build)).toThrow(/parameter/);
    const both = (g: RowGroups) => {
      const a = db.insertInto("runs").values(g.first as never);
      const b = db.insertInto("events").values(g.second as never);
      return sql`with a as (${a}) ${b}`.compile(db);
    };
    const groups = { first: [{ run_id: "x", status: "QUEUED" }], second: [{ run_id: "x", type: "LOG" }, { run_id: "y", type: "LOG" }] };
    const templated = templates.compile("both", groups, both);
    expect(templated.sql).toBe(both(groups).sql);
    expect(templated.parameters).toEqual(both(groups).parameters);
    const other = { first: [{ run_id: "z", status: "STARTED" }], second: [{ run_id: "q", type: "STEP_START" }, { run_id: "w", type: "LOG" }] };
    expect(templates.compile("both", other, both).parameters).toEqual(both(other).parameters);
  });

  it("refuse a statement that inlines a value instead of binding it", () => {
    const templates = new StatementTemplates();
    const inlining = (g: RowGroups) => db.insertInto("runs").values({ run_id: sql.lit((g.rows![0] as { run_id: string }).run_id) } as never).compile();
    expect(() => templates.compile("inline", { rows: [{ run_id: "x" }] }, inlining)).toThrow(/each of its values as a parameter/);
  });

  it("build each time what they do not keep: many rows, mixed columns, undefined values", () => {
    let builds = 0;
    const templates = new StatementTemplates();
    const counted = (g: RowGroups) => {
      builds += 1;
      return statusUpsert(db, g.rows!);
    };
    const many = Array.from({ length: 40 }, (_, i) => row(i));
    for (const rows of [many, many, [row(1), { ...row(2), extra: 1 }], [row(3), { ...row(4), status: undefined }], [{ ...row(1), status: undefined }]]) {
      const compiled = templates.compile("status", { rows }, counted);
      expect(compiled.sql).toBe(statusUpsert(db, rows).sql);
      expect(compiled.parameters).toEqual(statusUpsert(db, rows).parameters);
    }
    // Too many rows: built each time.
    expect(builds).toBeGreaterThanOrEqual(2);
    // A kept shape is not built again.
    templates.compile("status", { rows: [row(1)] }, counted);
    const before = builds;
    templates.compile("status", { rows: [row(9)] }, counted);
    templates.compile("status", { rows: [row(10)] }, counted);
    expect(builds).toBe(before);
  });
});
