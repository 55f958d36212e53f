import type { Command } from "commander";
import { Instance } from "../instance/instance.js";
import type { StorageLocation } from "../instance/storage-target.js";
import { LATEST_SCHEMA_VERSION } from "../storage/migrations.js";
import { printJson } from "./cli-context.js";
import { table } from "./format.js";

/** What `sluice instance info --json` prints. */
export interface InstanceInfoJson {
  home: string;
  backend: StorageLocation["backend"];
  /** The SQLite file, or the Postgres URL with its password masked. */
  location: string;
  /** The Postgres schema; null on SQLite. */
  schema: string | null;
  schemaVersion: number;
  latestSchemaVersion: number;
  /** True when `sluice instance migrate` has work to do. */
  needsMigration: boolean;
  runs: number;
  events: number;
}

/** What `sluice instance migrate --json` prints. */
export interface InstanceMigrateJson {
  home: string;
  backend: StorageLocation["backend"];
  location: string;
  schema: string | null;
  fromVersion: number;
  toVersion: number;
}

/** `sluice instance info|migrate`: where the instance's storage is and what it holds; bring its schema up to date. */
export function registerInstanceCommands(program: Command): void {
  const instance = program.command("instance").description("the instance's storage: where it is, its schema version");
  instance
    .command("info")
    .description("storage backend, location (password masked), schema version, run and event counts")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {home, backend, location, schema, schemaVersion, latestSchemaVersion, needsMigration, runs, events}")
    .action(async (flags: { home?: string; json?: boolean }) => {
      // Not migrated on the way: info reports the schema as it is.
      const opened = await Instance.open({ home: flags.home, migrate: false });
      try {
        const schemaVersion = await opened.storage.schemaVersion();
        // A never-migrated database has no tables to count.
        const counts = schemaVersion === 0 ? { runs: 0, events: 0 } : await opened.storage.countRecords();
        const info: InstanceInfoJson = {
          ...where(opened),
          schemaVersion,
          latestSchemaVersion: LATEST_SCHEMA_VERSION,
          needsMigration: schemaVersion < LATEST_SCHEMA_VERSION,
          ...counts,
        };
        if (flags.json) return printJson(info);
        const rows = [
          ["home", info.home],
          ["backend", info.backend],
          [info.backend === "sqlite" ? "file" : "url", info.location],
          ...(info.schema !== null ? [["schema", info.schema]] : []),
          ["schema version", `${info.schemaVersion} (latest ${info.latestSchemaVersion}${info.needsMigration ? "; run `sluice instance migrate`" : ""})`],
          ["runs", String(info.runs)],
          ["events", String(info.events)],
        ];
        process.stdout.write(`${table(rows.map(([k, v]) => [`${k}:`, v!]))}\n`);
      } finally {
        await opened.close();
      }
    });
  instance
    .command("migrate")
    .description("bring the storage schema up to date (safe while other processes use it)")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {home, backend, location, schema, fromVersion, toVersion}")
    .action(async (flags: { home?: string; json?: boolean }) => {
      const opened = await Instance.open({ home: flags.home, migrate: false });
      try {
        const fromVersion = await opened.storage.schemaVersion();
        await opened.storage.migrate();
        const result: InstanceMigrateJson = { ...where(opened), fromVersion, toVersion: await opened.storage.schemaVersion() };
        if (flags.json) return printJson(result);
        const at = `${result.location}${result.schema !== null ? ` (schema ${result.schema})` : ""}`;
        process.stdout.write(
          result.fromVersion === result.toVersion
            ? `Storage at ${at} is up to date: schema version ${result.toVersion}.\n`
            : `Migrated storage at ${at} from schema version ${result.fromVersion} to ${result.toVersion}.\n`,
        );
      } finally {
        await opened.close();
      }
    });
}

function where(instance: Instance): Pick<InstanceInfoJson, "home" | "backend" | "location" | "schema"> {
  const location = instance.storageLocation;
  return location.backend === "sqlite"
    ? { home: instance.home, backend: "sqlite", location: location.path, schema: null }
    : { home: instance.home, backend: "postgres", location: location.url, schema: location.schema };
}
