import { sql, type CompiledQuery, type Insertable, type InsertQueryBuilder, type InsertResult, type Kysely } from "kysely";
import { RunNotFoundError, StorageError } from "../definitions/errors.js";
import { processSecrets } from "../definitions/secret-mask.js";
import type { StorageDialect } from "./dialect.js";
import {
  EventType,
  FINISHED_RUN_STATUSES,
  LogLevel,
  RunStatus,
  type EventRecord,
  type NewEvent,
  type StoredValue,
} from "./records.js";
import type { AssetIndexTable, Database, EventsTable, StoredValuesTable } from "./schema.js";
import { upsertObservation } from "./observation-storage.js";
import { insertCheckEvaluation } from "./check-storage.js";
import { partitionStatusRows, partitionStatusUpsert, updatePartitionStatus } from "./partition-status-index.js";
import { insertFrom, PositionedRows, type UpsertSource } from "./upsert-source.js";
import { StatementTemplates, type PlainRow, type RowGroups } from "./statement-templates.js";
import { NO_PARTITION } from "./sql-rows.js";
import { computeStepStats } from "./step-stats.js";

/** The events that make a step's status (see step-stats.ts). */
const STEP_EVENT_TYPES: EventType[] = [EventType.StepStart, EventType.StepUpForRetry, EventType.StepSuccess, EventType.StepFailure, EventType.StepSkipped];

/** The run status (and which time column) each run lifecycle event sets. */
const RUN_TRANSITIONS: Partial<
  Record<EventType, { status: RunStatus; time: "started_at" | "ended_at" }>
> = {
  [EventType.RunStart]: { status: "STARTED", time: "started_at" },
  [EventType.RunSuccess]: { status: "SUCCESS", time: "ended_at" },
  [EventType.RunFailure]: { status: "FAILURE", time: "ended_at" },
  [EventType.RunCanceled]: { status: "CANCELED", time: "ended_at" },
};

/** Columns of the event insert, in the order of its compiled query's parameters. */
const EVENT_COLUMNS = [
  "run_id",
  "type",
  "timestamp",
  "step_key",
  "asset_key",
  "partition",
  "level",
  "message",
  "data",
] as const satisfies readonly (keyof Insertable<EventsTable>)[];

type InsertedId = { id: number | string };

/**
 * Events written with one statement at the most: a statement's parameters are bounded (65,535 on
 * Postgres, 32,766 on SQLite), and a batch of log lines from a tight loop can hold tens of thousands.
 */
const MAX_SEGMENT = 500;

/** Parameters of one statement at the most (Postgres allows 65,535; SQLite 32,766). */
const MAX_PARAMETERS = 30_000;

/**
 * The parameters a segment's statements take, at the most: an event's columns, its asset index and
 * value rows, and a status row for each asset it is about.
 */
function parametersOf(events: readonly NewEvent[]): number {
  let n = 0;
  for (const event of events) {
    const keys = event.assetKey ? 1 : Array.isArray(event.data?.assetKeys) ? event.data.assetKeys.length : 0;
    n += EVENT_COLUMNS.length + (event.type === EventType.AssetMaterialization ? 9 : 0) + (event.value !== undefined ? 5 : 0) + 6 * keys;
  }
  return n;
}

/**
 * Appends events and applies their side effects (run status and times, asset index) inside a
 * write transaction the caller holds. This is storeEvent's hot path: it runs ~4 times per step.
 */
export class EventAppender {
  readonly #dialect: StorageDialect;
  readonly #db: Kysely<Database>;
  #insert: CompiledQuery<InsertedId> | undefined;
  readonly #templates = new StatementTemplates();

  constructor(dialect: StorageDialect, db: Kysely<Database>) {
    this.#dialect = dialect;
    this.#db = db;
  }

  /**
   * Stores events in order, with the same effects as write() for each in turn, in fewer
   * statements: a run of consecutive events of one run that do not move a run's status is inserted
   * with one statement, and its asset index, stored values and partition statuses are each written
   * with one (per round trip on Postgres, this is most of a step's cost). Throws RunNotFoundError
   * when an event's run does not exist.
   */
  async writeAll(trx: Kysely<Database>, events: readonly NewEvent[]): Promise<EventRecord[]> {
    const stored: EventRecord[] = [];
    let i = 0;
    while (i < events.length) {
      let j = i;
      while (j < events.length && j - i < MAX_SEGMENT && RUN_TRANSITIONS[events[j]!.type] === undefined && events[j]!.runId === events[i]!.runId) j++;
      if (j - i < 2) {
        stored.push(await this.write(trx, events[i]!));
        i++;
        continue;
      }
      stored.push(...(await this.#writeSegment(trx, events.slice(i, j))));
      i = j;
    }
    return stored;
  }

  /** Consecutive events of one run, none of which moves the run's status: see writeAll. */
  async #writeSegment(trx: Kysely<Database>, events: readonly NewEvent[]): Promise<EventRecord[]> {
    if (events.length > 1 && parametersOf(events) > MAX_PARAMETERS) {
      // A multi-asset's step events write a status row per asset: halves, applied in order, leave
      // what the whole would.
      const half = Math.ceil(events.length / 2);
      return [...(await this.#writeSegment(trx, events.slice(0, half))), ...(await this.#writeSegment(trx, events.slice(half)))];
    }
    const records = events.map(toRecord);
    if (this.#dialect.capabilities.dialect === "postgres" && !records.some((r) => r.type === EventType.AssetCheckEvaluation || r.type === EventType.AssetObservation)) {
      return this.#writeSegmentInOneStatement(trx, events, records);
    }
    const ids = await this.#insertEvents(trx, records);
    const stored = records.map((record, k) => ({ id: ids[k]!, ...record }));
    for (const record of stored) {
      if (record.type === EventType.AssetCheckEvaluation) await insertCheckEvaluation(trx, record, record.id);
      if (record.type === EventType.AssetObservation) await upsertObservation(trx, record, record.id);
    }
    const groups = upsertGroups(events, stored);
    const kinds = Object.keys(groups) as UpsertKind[];
    if (kinds.length > 1 && this.#dialect.capabilities.dialect === "postgres") {
      // One round trip: the upserts touch different tables (or, for the two of the status index,
      // different keys), so they may run as data-modifying CTEs of one statement.
      await trx.executeQuery(
        this.#templates.compile("upserts", groups as RowGroups, (g) => {
          const upserts = kinds.map((kind) => UPSERTS[kind](trx, g[kind]!));
          const [last, ...ctes] = [upserts[upserts.length - 1]!, ...upserts.slice(0, -1)];
          return sql`with ${sql.join(ctes.map((q, i) => sql`${sql.id(`upsert_${i}`)} as (${q})`))} ${last}`.compile(trx);
        }),
      );
    } else {
      for (const kind of kinds) await trx.executeQuery(this.#templates.compile(kind, { rows: groups[kind]! }, (g) => UPSERTS[kind](trx, g.rows!).compile()));
    }
    return stored;
  }

  /**
   * Postgres: the segment's insert and all its upserts in one statement (one round trip). The
   * upserts' rows carry their event's position in the insert instead of its id; a CTE pairs each
   * position with the id the insert gave it (ids follow the order of the VALUES list).
   */
  async #writeSegmentInOneStatement(trx: Kysely<Database>, events: readonly NewEvent[], records: readonly Omit<EventRecord, "id">[]): Promise<EventRecord[]> {
    const positioned = records.map((record, k) => ({ id: k + 1, ...record }));
    const groups = upsertGroups(events, positioned);
    const kinds = Object.keys(groups) as UpsertKind[];
    const query = this.#templates.compile<InsertedId>("segment", { events: records.map(eventRow), ...groups } as RowGroups, (g) => {
      const insert = withTransactionId(trx.insertInto("events").values(g.events as readonly Insertable<EventsTable>[]), this.#dialect);
      const ctes = [
        sql`inserted as (${insert})`,
        sql`positions as (select id, row_number() over (order by id) as position from inserted)`,
        ...kinds.map((kind, i) => sql`${sql.id(`upsert_${i}`)} as (${UPSERTS[kind](trx, new PositionedRows(g[kind]!))})`),
      ];
      const column = this.#dialect.transactionIdColumn;
      return sql`with ${sql.join(ctes)} select inserted.id${column === undefined ? sql`` : sql`, inserted.${sql.id(column)}`} from inserted order by inserted.id`.compile(trx);
    });
    const rows = await this.#insertAll(trx, query, records);
    return records.map((record, k) => ({ id: Number(rows[k]!.id), ...record }));
  }

  /** Stores one event; throws RunNotFoundError when its run does not exist. */
  async write(trx: Kysely<Database>, event: NewEvent): Promise<EventRecord> {
    const record = toRecord(event);
    const transition = RUN_TRANSITIONS[record.type];
    if (transition !== undefined) {
      const result = await trx
        .updateTable("runs")
        .set({
          // A cancel requested before the run started wins over its RUN_START; it still started.
          status:
            transition.status === RunStatus.Started
              ? sql<string>`case when status = ${RunStatus.Canceling} then status else ${RunStatus.Started} end`
              : transition.status,
          updated_at: Date.now(),
          ...(transition.time === "started_at"
            ? { started_at: record.timestamp }
            : { ended_at: record.timestamp }),
        })
        .where("run_id", "=", record.runId)
        // First finisher wins: monitoring may fail a run whose slow worker reports success later.
        // The late event is still stored below; only the run is left alone.
        .where("status", "not in", FINISHED_RUN_STATUSES)
        .executeTakeFirst();
      if (transition.time === "ended_at" && Number(result.numUpdatedRows) === 1) {
        await this.#endUnfinishedSteps(trx, record, transition.status);
      }
    }
    const id = await this.#insertEvent(trx, record);
    if (record.type === EventType.AssetMaterialization && record.assetKey !== null) {
      await upsertAssetIndex(trx, { ...record, assetKey: record.assetKey }, id);
    } else if (record.type === EventType.AssetCheckEvaluation) {
      await insertCheckEvaluation(trx, record, id);
    }
    if (record.type === EventType.AssetObservation) await upsertObservation(trx, record, id);
    if (event.value !== undefined) await upsertStoredValue(trx, event.value, id);
    await updatePartitionStatus(trx, record, id);
    return { id, ...record };
  }

  /**
   * Ends the steps of a run that is ending and that are still in progress or waiting for a retry
   * (their process died, or the run was ended from outside): one STEP_FAILURE each, stamped with the
   * run's end, so no step of a finished run shows as running for ever.
   */
  async #endUnfinishedSteps(trx: Kysely<Database>, runEnd: Omit<EventRecord, "id">, status: RunStatus): Promise<void> {
    const rows = await trx
      .selectFrom("events")
      .select(["id", "type", "step_key", "asset_key", "partition", "timestamp", "data"])
      .where("run_id", "=", runEnd.runId)
      .where("step_key", "is not", null)
      .where("type", "in", STEP_EVENT_TYPES)
      .orderBy("id", "asc")
      .execute();
    const lastOfStep = new Map<string, (typeof rows)[number]>();
    for (const row of rows) if (row.step_key !== null) lastOfStep.set(row.step_key, row);
    const steps = computeStepStats(rows.map((row) => ({ id: Number(row.id), type: row.type, stepKey: row.step_key!, timestamp: Number(row.timestamp) })));
    const how = status === RunStatus.Canceled ? "was canceled" : "failed";
    for (const step of steps) {
      if (step.status !== "IN_PROGRESS" && step.status !== "UP_FOR_RETRY") continue;
      const last = lastOfStep.get(step.key)!;
      const ended: Omit<EventRecord, "id"> = {
        runId: runEnd.runId,
        type: EventType.StepFailure,
        timestamp: runEnd.timestamp,
        stepKey: step.key,
        assetKey: last.asset_key,
        partition: last.partition,
        level: LogLevel.Error,
        message: `Step "${step.key}" did not finish: the run ${how} while it ${step.status === "IN_PROGRESS" ? "was running" : "waited for a retry"}.`,
        data: { reason: "run_ended", attempt: step.attempts, ...multiAssetKeysOf(last.data) },
      };
      await updatePartitionStatus(trx, ended, await this.#insertEvent(trx, ended));
    }
  }

  /** Inserts the events of one run with one statement; their ids, in the order given. */
  async #insertEvents(trx: Kysely<Database>, records: readonly Omit<EventRecord, "id">[]): Promise<number[]> {
    const query = this.#templates.compile<InsertedId>("events", { rows: records.map(eventRow) }, (g) =>
      withTransactionId(trx.insertInto("events").values(g.rows as readonly Insertable<EventsTable>[]), this.#dialect).compile(),
    );
    const rows = await this.#insertAll(trx, query, records);
    // The rows get their ids in the order of the VALUES list; RETURNING promises no order.
    return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  }

  async #insertEvent(trx: Kysely<Database>, record: Omit<EventRecord, "id">): Promise<number> {
    const values = eventRow(record);
    const query: CompiledQuery<InsertedId> = {
      ...(this.#insert ??= compileEventInsert(this.#db, this.#dialect)),
      parameters: EVENT_COLUMNS.map((column) => values[column]),
    };
    let rows: InsertedId[];
    try {
      rows = (await trx.executeQuery(query)).rows;
    } catch (err) {
      // The foreign key on events.run_id is the existence check: a SELECT of its own would cost a
      // fifth of storeEvent's time.
      if (this.#dialect.isForeignKeyViolation(err)) throw new RunNotFoundError(record.runId);
      throw err;
    }
    const row = rows[0];
    if (row === undefined) throw new StorageError(`Storing a ${record.type} event returned no id.`);
    this.#noteTransactionId(trx, row);
    return Number(row.id);
  }

  /**
   * Runs a statement inserting `records` that returns their ids (and the transaction's id, which is
   * noted); a missing run is RunNotFoundError.
   */
  async #insertAll(trx: Kysely<Database>, query: CompiledQuery<InsertedId>, records: readonly Omit<EventRecord, "id">[]): Promise<InsertedId[]> {
    let rows: InsertedId[];
    try {
      rows = (await trx.executeQuery(query)).rows;
    } catch (err) {
      // The foreign key on events.run_id is the existence check.
      if (this.#dialect.isForeignKeyViolation(err)) throw new RunNotFoundError(records[0]!.runId);
      throw err;
    }
    if (rows.length !== records.length) throw new StorageError(`Storing ${records.length} events returned ${rows.length} ids.`);
    this.#noteTransactionId(trx, rows[0]);
    return rows;
  }

  /** Tells the dialect the transaction id an event insert returned (Postgres). */
  #noteTransactionId(trx: Kysely<Database>, row: InsertedId | undefined): void {
    const column = this.#dialect.transactionIdColumn;
    if (column !== undefined && row !== undefined) this.#dialect.noteTransactionId?.(trx, (row as Record<string, unknown>)[column]);
  }
}

/**
 * The event insert's RETURNING: the ids, and where the dialect reads one there, the transaction's
 * id (what decides a commit whose connection broke), sparing a query of its own before COMMIT.
 */
function withTransactionId(insert: InsertQueryBuilder<Database, "events", InsertResult>, dialect: StorageDialect) {
  const column = dialect.transactionIdColumn;
  return column === undefined ? insert.returning("id") : insert.returning(["id", sql<string>`txid_current()`.as(column)]);
}

/** The events table's row of an event. */
function eventRow(record: Omit<EventRecord, "id">): Insertable<EventsTable> {
  return {
    run_id: record.runId,
    type: record.type,
    timestamp: record.timestamp,
    step_key: record.stepKey,
    asset_key: record.assetKey,
    partition: record.partition,
    level: record.level,
    message: record.message,
    data: JSON.stringify(record.data),
  };
}

/** The event as it is stored (defaults filled in, secrets masked), without its id. */
function toRecord(event: NewEvent): Omit<EventRecord, "id"> {
  return {
    runId: event.runId,
    type: event.type,
    timestamp: event.timestamp ?? Date.now(),
    stepKey: event.stepKey ?? null,
    assetKey: event.assetKey ?? null,
    partition: event.partition ?? null,
    level: event.level ?? "INFO",
    // Masked here as well as in the query (secret-masking-dialect.ts): the record returned goes
    // to listeners (progress lines), which must show what was stored.
    message: processSecrets.mask(event.message ?? ""),
    data: processSecrets.maskValue(event.data ?? {}),
  };
}

/** The `assetKeys` of a multi-asset step's stored event data, to carry over to the event that ends the step. */
function multiAssetKeysOf(data: unknown): { assetKeys?: string[] } {
  let parsed: unknown = data;
  if (typeof data === "string") {
    try {
      parsed = JSON.parse(data);
    } catch {
      return {};
    }
  }
  const keys = typeof parsed === "object" && parsed !== null ? (parsed as { assetKeys?: unknown }).assetKeys : undefined;
  return Array.isArray(keys) ? { assetKeys: keys.filter((k): k is string => typeof k === "string") } : {};
}

/**
 * The rows a segment's events upsert, by kind, each key once at its newest event (an upsert may not
 * touch a row twice in one statement): asset index, stored values, partition statuses.
 */
function upsertGroups(events: readonly NewEvent[], stored: readonly EventRecord[]): Partial<Record<UpsertKind, readonly PlainRow[]>> {
  const indexRows = new Map<string, AssetIndexRow>();
  const values = new Map<string, StoredValueRow>();
  for (const [k, record] of stored.entries()) {
    if (record.type === EventType.AssetMaterialization && record.assetKey !== null) {
      indexRows.set(JSON.stringify([record.assetKey, record.partition]), assetIndexRow({ ...record, assetKey: record.assetKey }));
    }
    const value = events[k]!.value;
    if (value !== undefined) values.set(JSON.stringify([value.owner, value.name, value.partition]), storedValueRow(value, record.id));
  }
  const status = partitionStatusRows(stored);
  const groups: Partial<Record<UpsertKind, readonly PlainRow[]>> = {};
  if (indexRows.size > 0) groups.index = [...indexRows.values()];
  if (values.size > 0) groups.values = [...values.values()];
  if (status.plain.length > 0) groups.status = status.plain;
  if (status.guarded.length > 0) groups.guardedStatus = status.guarded;
  return groups;
}

/** Points the asset index of the event's (asset, partition) at this event. */
async function upsertAssetIndex(trx: Kysely<Database>, record: Omit<EventRecord, "id"> & { assetKey: string }, eventId: number): Promise<void> {
  await assetIndexUpsert(trx, [assetIndexRow({ ...record, id: eventId })]).execute();
}

type AssetIndexRow = Insertable<AssetIndexTable>;
type StoredValueRow = Insertable<StoredValuesTable>;

/** The asset index row of a materialization. */
function assetIndexRow(record: EventRecord & { assetKey: string }): AssetIndexRow {
  return {
    asset_key: record.assetKey,
    partition: record.partition ?? NO_PARTITION,
    run_id: record.runId,
    event_id: record.id,
    timestamp: record.timestamp,
    metadata: JSON.stringify(record.data.metadata ?? {}),
    // Only what the run wrote as such: a version of another type is left out rather than trusted.
    data_version: typeof record.data.dataVersion === "string" ? record.data.dataVersion : null,
    code_version: typeof record.data.codeVersion === "string" ? record.data.codeVersion : null,
    input_data_versions: isStringRecord(record.data.inputDataVersions) ? JSON.stringify(record.data.inputDataVersions) : null,
  };
}

/** The upsert pointing the asset index of each row's (asset, partition) at its event; at most one row per key. */
function assetIndexUpsert(db: Kysely<Database>, rows: UpsertSource) {
  return insertFrom(db.insertInto("asset_index"), rows)
    .onConflict((oc) =>
      oc
        .columns(["asset_key", "partition"])
        .doUpdateSet((eb) => ({
          run_id: eb.ref("excluded.run_id"),
          event_id: eb.ref("excluded.event_id"),
          timestamp: eb.ref("excluded.timestamp"),
          metadata: eb.ref("excluded.metadata"),
          data_version: eb.ref("excluded.data_version"),
          code_version: eb.ref("excluded.code_version"),
          input_data_versions: eb.ref("excluded.input_data_versions"),
        }))
        // Where transactions can commit out of id order (Postgres), never move the index back to
        // an older event.
        .where(sql<boolean>`asset_index.event_id < excluded.event_id`),
    );
}

/** Keeps the value as the latest of its owner, name and partition (see StoredValue). */
async function upsertStoredValue(trx: Kysely<Database>, value: StoredValue, eventId: number): Promise<void> {
  await storedValuesUpsert(trx, [storedValueRow(value, eventId)]).execute();
}

function storedValueRow(value: StoredValue, eventId: number): StoredValueRow {
  return { owner: value.owner, name: value.name, partition: value.partition ?? NO_PARTITION, json: value.json, event_id: eventId };
}

/** The upsert keeping each row's value as the latest of its key; at most one row per key. */
function storedValuesUpsert(db: Kysely<Database>, rows: UpsertSource) {
  return insertFrom(db.insertInto("stored_values"), rows)
    .onConflict((oc) =>
      oc
        .columns(["owner", "name", "partition"])
        .doUpdateSet((eb) => ({ json: eb.ref("excluded.json"), event_id: eb.ref("excluded.event_id") }))
        // As for the asset index: never back to a value recorded by an older event.
        .where(sql<boolean>`stored_values.event_id < excluded.event_id`),
    );
}

/** The upserts a segment of events may need, in the order they run. */
const UPSERTS = {
  index: assetIndexUpsert,
  values: storedValuesUpsert,
  status: (db: Kysely<Database>, rows: UpsertSource) => partitionStatusUpsert(db, rows, false),
  guardedStatus: (db: Kysely<Database>, rows: UpsertSource) => partitionStatusUpsert(db, rows, true),
};
type UpsertKind = keyof typeof UPSERTS;

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string");
}

/**
 * Compiles the event insert once per storage (the SQL text differs per dialect). Building and
 * compiling a kysely query costs about as much as SQLite's own work for the insert, and only the
 * parameters ever change.
 */
function compileEventInsert(db: Kysely<Database>, dialect: StorageDialect): CompiledQuery<InsertedId> {
  const placeholders = Object.fromEntries(EVENT_COLUMNS.map((column) => [column, column]));
  const insert = db
    .insertInto("events")
    .values(placeholders as Insertable<EventsTable>);
  const compiled = withTransactionId(insert, dialect).compile();
  // Parameters must bind in EVENT_COLUMNS order, or events would be stored scrambled.
  if (compiled.parameters.some((value, i) => value !== EVENT_COLUMNS[i])) {
    throw new StorageError("The compiled event insert does not bind its columns in order.");
  }
  return compiled;
}
