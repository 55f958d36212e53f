import { sql, type Kysely } from "kysely";
import { StorageError } from "../definitions/errors.js";
import type { DialectDdl, StorageDialect } from "./dialect.js";

/**
 * One step of the schema's history. Written with kysely's schema builder plus {@link DialectDdl},
 * so it runs unchanged on every backend. Never edit a released migration: add the next version.
 */
export interface Migration {
  /** 1, 2, 3...: strictly increasing in {@link MIGRATIONS}. */
  readonly version: number;
  readonly name: string;
  /** Applies the change. Runs inside the migration lock, in the same transaction as its record. */
  up(db: Kysely<any>, ddl: DialectDdl): Promise<void>;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "runs_events_asset_index",
    async up(db, ddl) {
      await db.schema
        .createTable("runs")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("run_id", "text", (c) => c.notNull().unique())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("job_name", "text", (c) => c.notNull())
        .addColumn("selection", "text", (c) => c.notNull())
        .addColumn("selection_expression", "text")
        .addColumn("partition", "text")
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("parent_run_id", "text")
        .addColumn("root_run_id", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("ended_at", "bigint")
        .execute();
      // listRuns orders by (created_at, id) desc, optionally narrowed by status or job.
      await createIndex(db, "runs_created_at_idx", "runs", ["created_at", "id"]);
      await createIndex(db, "runs_status_idx", "runs", ["status", "created_at", "id"]);
      await createIndex(db, "runs_job_name_idx", "runs", ["job_name", "created_at", "id"]);

      await db.schema
        .createTable("run_tags")
        .addColumn("run_id", "text", (c) =>
          c.notNull().references("runs.run_id").onDelete("cascade"),
        )
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_tags_pk", ["run_id", "key"])
        .execute();
      await createIndex(db, "run_tags_key_value_idx", "run_tags", ["key", "value", "run_id"]);

      await db.schema
        .createTable("events")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("run_id", "text", (c) =>
          c.notNull().references("runs.run_id").onDelete("cascade"),
        )
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addColumn("step_key", "text")
        .addColumn("asset_key", "text")
        .addColumn("partition", "text")
        .addColumn("level", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .execute();
      await createIndex(db, "events_run_id_idx", "events", ["run_id", "id"]);
      await createIndex(db, "events_asset_key_type_idx", "events", ["asset_key", "type", "id"]);

      await db.schema
        .createTable("asset_index")
        .addColumn("asset_key", "text", (c) => c.notNull())
        .addColumn("partition", "text", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("event_id", "bigint", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addColumn("metadata", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("asset_index_pk", ["asset_key", "partition"])
        .execute();
    },
  },
  {
    version: 2,
    name: "run_queue_instigators_ticks_heartbeats",
    async up(db, ddl) {
      // One column per statement: SQLite's ALTER TABLE adds only one at a time.
      await db.schema.alterTable("runs").addColumn("worker_id", "text").execute();
      await db.schema.alterTable("runs").addColumn("heartbeat_at", "bigint").execute();
      // listRuns({ parentRunIds }) finds re-executions and retries of a run.
      await createIndex(db, "runs_parent_run_id_idx", "runs", ["parent_run_id"]);
      // No (type, id) index on events: it would cost storeEvent ~15% per event, and tailers read from
      // a recent cursor, where the primary key range is short (asset tailers use events_asset_key_type_idx).

      await db.schema
        .createTable("instigators")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("cursor", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("ticks")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("instigator_name", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("tick_time", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("run_ids", "text", (c) => c.notNull())
        .addColumn("skipped_run_keys", "text", (c) => c.notNull())
        .addColumn("skip_reason", "text")
        .addColumn("error", "text")
        .addColumn("cursor", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // listTicks: a schedule's or sensor's ticks, newest first.
      await createIndex(db, "ticks_instigator_idx", "ticks", ["instigator_name", "id"]);
      // The idempotency of schedules: one tick per (schedule, scheduled time), whoever asks. Sensors
      // may tick twice in one millisecond, so the index is partial (SQLite and Postgres both have
      // partial indexes; kysely prints the literal inline, as DDL requires).
      await db.schema
        .createIndex("ticks_schedule_time_uq")
        .unique()
        .on("ticks")
        .columns(["instigator_name", "tick_time"])
        .where(sql.ref("type"), "=", "SCHEDULE")
        .execute();

      await db.schema
        .createTable("run_keys")
        .addColumn("instigator_name", "text", (c) => c.notNull())
        .addColumn("run_key", "text", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_keys_pk", ["instigator_name", "run_key"])
        .execute();

      await db.schema
        .createTable("daemon_heartbeats")
        .addColumn("daemon_type", "text", (c) => c.notNull())
        .addColumn("daemon_id", "text", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addColumn("errors", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("daemon_heartbeats_pk", ["daemon_type", "daemon_id"])
        .execute();
    },
  },
  {
    version: 3,
    name: "daemon_leases",
    async up(db) {
      // One row per lease (the daemon's leadership): who holds it and until when. Taking it over is
      // a conditional upsert on this row, so two daemons can never both hold it.
      await db.schema
        .createTable("daemon_leases")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("acquired_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 4,
    name: "run_process",
    async up(db) {
      // The process executing a run (a run worker, or the CLI of a foreground run): any command
      // opened on the same machine can tell when it is gone, and end its run at once rather than
      // leave it STARTED for ever when no daemon watches heartbeats.
      await db.schema.alterTable("runs").addColumn("process_host", "text").execute();
      await db.schema.alterTable("runs").addColumn("process_pid", "bigint").execute();
      await db.schema.alterTable("runs").addColumn("process_identity", "text").execute();
    },
  },
  {
    version: 5,
    name: "dynamic_partitions",
    async up(db, ddl) {
      // The keys of dynamic partitions, per name. `id` keeps the order they were added in (keys are
      // listed in it); the unique (name, key) makes adding a key twice a no-op decided by the database.
      await db.schema
        .createTable("dynamic_partitions")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("partition_key", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("dynamic_partitions_name_key_uq", ["name", "partition_key"])
        .execute();
      await createIndex(db, "dynamic_partitions_name_idx", "dynamic_partitions", ["name", "id"]);
    },
  },
  {
    version: 6,
    name: "partition_status_backfills",
    async up(db, ddl) {
      // The per-partition status index: an asset's partitions' statuses without reading events.
      // Existing history is carried over from asset_index (materialized); failures before this
      // version are not (they would need a scan of the event log).
      await db.schema
        .createTable("asset_partition_status")
        .addColumn("asset_key", "text", (c) => c.notNull())
        .addColumn("partition", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("event_id", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("asset_partition_status_pk", ["asset_key", "partition"])
        .execute();
      await sql`insert into asset_partition_status (asset_key, partition, status, run_id, event_id, updated_at)
        select asset_key, partition, 'MATERIALIZED', run_id, event_id, timestamp from asset_index where partition <> ''`.execute(db);

      await db.schema
        .createTable("backfills")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("backfill_id", "text", (c) => c.notNull().unique())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("groups", "text", (c) => c.notNull())
        .addColumn("partition_set", "text", (c) => c.notNull())
        .addColumn("partition_count", "bigint", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull())
        .addColumn("launched_by", "text", (c) => c.notNull())
        .addColumn("parent_backfill_id", "text")
        .addColumn("error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("ended_at", "bigint")
        .execute();
      // The daemon reads the backfills in progress every iteration.
      await createIndex(db, "backfills_status_idx", "backfills", ["status", "id"]);

      await db.schema
        .createTable("backfill_partitions")
        .addColumn("backfill_id", "text", (c) => c.notNull().references("backfills.backfill_id").onDelete("cascade"))
        .addColumn("asset_group", "text", (c) => c.notNull())
        .addColumn("partition", "text", (c) => c.notNull())
        .addColumn("position", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("run_id", "text")
        .addColumn("reason", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        // At most one row, hence one launch, per partition of a group of a backfill.
        .addPrimaryKeyConstraint("backfill_partitions_pk", ["backfill_id", "asset_group", "partition"])
        .execute();
      // Pages in order, and the daemon's "pending/launched partitions of this backfill".
      await createIndex(db, "backfill_partitions_position_idx", "backfill_partitions", ["backfill_id", "position"]);
      await createIndex(db, "backfill_partitions_status_idx", "backfill_partitions", ["backfill_id", "status", "position"]);
    },
  },
  {
    version: 7,
    name: "asset_check_evaluations",
    async up(db, ddl) {
      // One row per evaluation of an asset check. No foreign key to events: a cascade would need
      // one more index on event_id, probed for every event deleted; wipeAssets deletes both.
      await db.schema
        .createTable("asset_check_evaluations")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("asset_key", "text", (c) => c.notNull())
        .addColumn("check_name", "text", (c) => c.notNull())
        .addColumn("partition", "text", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("event_id", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("severity", "text", (c) => c.notNull())
        .addColumn("passed", "integer", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("metadata", "text", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .execute();
      // Both "latest per (asset, check, partition)" (max event_id per group) and a check's history
      // newest first read this index alone to find their rows.
      await createIndex(db, "asset_check_evaluations_latest_idx", "asset_check_evaluations", ["asset_key", "check_name", "partition", "event_id"]);
      // A check's history across partitions, newest first.
      await createIndex(db, "asset_check_evaluations_history_idx", "asset_check_evaluations", ["asset_key", "check_name", "event_id"]);
    },
  },
  {
    version: 8,
    name: "runless_events_observations",
    async up(db) {
      // Events reference a run; a materialization reported from outside Sluice has none, so every
      // such event belongs to this one reserved run, which run lists and counts leave out. Literal
      // values: migrations must not change when records.ts does.
      await db
        .insertInto("runs")
        .values({ run_id: "__runless__", status: "SUCCESS", job_name: "__runless__", selection: "[]", selection_expression: null, partition: null, config: "{}", tags: "{}", parent_run_id: null, root_run_id: null, created_at: 0, updated_at: 0, started_at: null, ended_at: null })
        .execute();
      // The latest observation of each observable source asset (and partition), kept by the event
      // appender in the event's transaction, so data versions are read without scanning events.
      await db.schema
        .createTable("asset_observations")
        .addColumn("asset_key", "text", (c) => c.notNull())
        .addColumn("partition", "text", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("event_id", "bigint", (c) => c.notNull())
        .addColumn("data_version", "text", (c) => c.notNull())
        .addColumn("metadata", "text", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("asset_observations_pk", ["asset_key", "partition"])
        .execute();
    },
  },
  {
    version: 9,
    name: "asset_index_versions",
    async up(db) {
      // The versions of the latest materialization, beside it: staleness compares them for every
      // asset at once, from the index alone. Null on rows written before this version (unknown).
      // input_data_versions is a JSON object, upstream key → data version.
      await db.schema.alterTable("asset_index").addColumn("data_version", "text").execute();
      await db.schema.alterTable("asset_index").addColumn("code_version", "text").execute();
      await db.schema.alterTable("asset_index").addColumn("input_data_versions", "text").execute();
    },
  },
  {
    version: 10,
    name: "asset_freshness",
    async up(db, ddl) {
      // The freshness daemon's last word on each asset with a policy, one row per asset.
      await db.schema
        .createTable("asset_freshness")
        .addColumn("asset_key", "text", (c) => c.primaryKey())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("last_materialization_at", "bigint")
        .addColumn("next_deadline", "bigint", (c) => c.notNull())
        .addColumn("tracked_since", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // Each status change; freshness sensors tail it by id.
      await db.schema
        .createTable("freshness_transitions")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("asset_key", "text", (c) => c.notNull())
        .addColumn("previous_status", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("timestamp", "bigint", (c) => c.notNull())
        .addColumn("last_materialization_at", "bigint")
        .addColumn("next_deadline", "bigint", (c) => c.notNull())
        .execute();
      await createIndex(db, "freshness_transitions_asset_idx", "freshness_transitions", ["asset_key", "id"]);
    },
  },
  {
    version: 11,
    name: "unpartitioned_latest_attempts",
    async up(db) {
      // The status index now records unpartitioned assets too (partition ""), so that the latest
      // attempt at any asset (in progress, failed) is read without scanning events. Their history is
      // carried over from asset_index (materialized); earlier failures are not (a scan of the log).
      await sql`insert into asset_partition_status (asset_key, partition, status, run_id, event_id, updated_at)
        select asset_key, partition, 'MATERIALIZED', run_id, event_id, timestamp from asset_index where partition = ''`.execute(db);
    },
  },
  {
    version: 12,
    name: "automation",
    async up(db, ddl) {
      // Where the automation loop stands: one row (id 1), compared and set by each evaluation.
      await db.schema
        .createTable("automation_cursor")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("evaluation_id", "bigint", (c) => c.notNull())
        .addColumn("evaluated_at", "bigint")
        .addColumn("last_event_id", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // What each automated asset's condition carries to the next evaluation (JSON).
      await db.schema
        .createTable("automation_asset_states")
        .addColumn("asset_key", "text", (c) => c.primaryKey())
        .addColumn("state", "text", (c) => c.notNull())
        .execute();
      // Evaluations kept for explanations, a bounded number per asset.
      await db.schema
        .createTable("automation_evaluations")
        .addColumn("id", ddl.idColumn.type, ddl.idColumn.build)
        .addColumn("asset_key", "text", (c) => c.notNull())
        .addColumn("evaluation_id", "bigint", (c) => c.notNull())
        .addColumn("evaluated_at", "bigint", (c) => c.notNull())
        .addColumn("requested_count", "integer", (c) => c.notNull())
        .addColumn("requested_keys", "text", (c) => c.notNull())
        .addColumn("run_ids", "text", (c) => c.notNull())
        .addColumn("tree", "text", (c) => c.notNull())
        .execute();
      await createIndex(db, "automation_evaluations_asset_idx", "automation_evaluations", ["asset_key", "id"]);
    },
  },
  {
    version: 13,
    name: "stored_values",
    async up(db, ddl) {
      // The default IO manager's values, written in the transaction of the event that records
      // them: the JSON itself when small, or null when the value is in a file (see StoredValue).
      await db.schema
        .createTable("stored_values")
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("partition", "text", (c) => c.notNull())
        .addColumn("json", ddl.blobType)
        .addColumn("event_id", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("stored_values_pk", ["owner", "name", "partition"])
        .execute();
    },
  },
];

/** The schema version this code writes and expects. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Brings the database to the newest version of `migrations` and returns that version. Safe when
 * many processes start at once: the version is re-read inside the dialect's migration lock, so
 * each migration runs exactly once. Throws StorageError when the database was migrated by a newer
 * Sluice (a version this code does not know).
 */
export async function migrateToLatest(
  db: Kysely<any>,
  dialect: StorageDialect,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  const latest = checkOrder(migrations);
  // Most opens find the schema current: answer those without queueing for the write lock.
  const seen = await readSchemaVersion(db, dialect);
  if (seen === latest) return latest;
  if (seen > latest) throw newerSchemaError(seen, latest);

  return dialect.withMigrationLock(db, async (locked) => {
    await createMigrationsTable(locked);
    const current = await selectVersion(locked);
    if (current > latest) throw newerSchemaError(current, latest);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await migration.up(locked, dialect.ddl);
      await locked
        .insertInto("schema_migrations")
        .values({ version: migration.version, name: migration.name, applied_at: Date.now() })
        .execute();
    }
    return latest;
  });
}

/** The highest applied migration version; 0 for a database never migrated. */
export async function readSchemaVersion(db: Kysely<any>, dialect: StorageDialect): Promise<number> {
  try {
    return await selectVersion(db);
  } catch (err) {
    // Deciding on the failure keeps the common path to one query. The driver's error, not the
    // catalog, says "no such table": on Postgres the catalog also lists the tables of other schemas
    // (another Sluice instance sharing the database), which this connection does not see.
    if (dialect.isUndefinedTable(err)) return 0;
    throw err;
  }
}

async function selectVersion(db: Kysely<any>): Promise<number> {
  const row = await db
    .selectFrom("schema_migrations")
    .select(sql<number | string | null>`max(version)`.as("version"))
    .executeTakeFirst();
  return row?.version == null ? 0 : Number(row.version);
}

async function createMigrationsTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("schema_migrations")
    .ifNotExists()
    .addColumn("version", "integer", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("applied_at", "bigint", (c) => c.notNull())
    .execute();
}

async function createIndex(
  db: Kysely<any>,
  name: string,
  table: string,
  columns: string[],
): Promise<void> {
  await db.schema.createIndex(name).on(table).columns(columns).execute();
}

function checkOrder(migrations: readonly Migration[]): number {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new StorageError(
        `Migration "${m.name}" has version ${m.version}, which does not follow ${previous}. ` +
          `Migration versions must be increasing integers.`,
      );
    }
    previous = m.version;
  }
  return previous;
}

function newerSchemaError(found: number, known: number): StorageError {
  return new StorageError(
    `The storage database is at schema version ${found}, but this version of Sluice only knows ` +
      `versions up to ${known}: it was migrated by a newer Sluice. Upgrade Sluice ` +
      `(npm install sluice@latest) in this project to use it.`,
  );
}
