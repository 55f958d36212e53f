/**
 * `sluice instance info` and `sluice instance migrate` on both backends: where the storage is (a
 * Postgres URL never with its password), its schema version before and after migrating, run and
 * event counts, `--json`, and the exit codes of CLI.md when the storage cannot be reached.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Instance } from "../../src/instance/instance.js";
import { LATEST_SCHEMA_VERSION } from "../../src/storage/migrations.js";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../../src/storage/testing/postgres-test-schemas.js";
import { assertBuilt, cliJson, describeResult, removeTempDirs, runCli, tempDir } from "./helpers.js";

const schemas: string[] = [];
beforeAll(assertBuilt);
afterAll(async () => {
  removeTempDirs();
  await dropTestSchemas(schemas);
});

/** The test database's URL with a password added (trust auth ignores it): it must never be printed. */
const SECRET = "pw-must-not-show";
const URL_WITH_PASSWORD = (() => {
  const url = new URL(TEST_POSTGRES_URL);
  url.password = SECRET;
  return url.toString();
})();

interface Backend {
  name: "sqlite" | "postgres";
  /** A new home whose sluice.yaml points at a fresh database of this backend. */
  newHome(): string;
  /** What `info` shows as location for this home. */
  location(home: string): string;
}

const BACKENDS: Backend[] = [
  { name: "sqlite", newHome: () => tempDir("sluice-instance-"), location: (home) => path.join(home, "sluice.db") },
  {
    name: "postgres",
    newHome: () => {
      const home = tempDir("sluice-instance-");
      const schema = newTestSchemaName("cli");
      schemas.push(schema);
      writeFileSync(path.join(home, "sluice.yaml"), `storage:\n  postgres:\n    url: { env: SLUICE_TEST_DB_URL }\n    schema: ${schema}\n`);
      return home;
    },
    location: () => URL_WITH_PASSWORD.replace(`:${SECRET}@`, ":***@"),
  },
];

const env = { SLUICE_TEST_DB_URL: URL_WITH_PASSWORD };

interface InfoJson {
  home: string;
  backend: string;
  location: string;
  schema: string | null;
  schemaVersion: number;
  latestSchemaVersion: number;
  needsMigration: boolean;
  runs: number;
  events: number;
}

describe.each(BACKENDS)("sluice instance info|migrate on $name", (backend) => {
  it("reports a new instance unmigrated, migrates it once, then counts its runs and events", async () => {
    const home = backend.newHome();
    const before = await cliJson<InfoJson>(["instance", "info", "--json"], { home, env });
    expect(before).toEqual({
      home,
      backend: backend.name,
      location: backend.location(home),
      schema: backend.name === "postgres" ? expect.stringMatching(/^sluice_cli_/) : null,
      schemaVersion: 0,
      latestSchemaVersion: LATEST_SCHEMA_VERSION,
      needsMigration: true,
      runs: 0,
      events: 0,
    });

    const migrated = await runCli(["instance", "migrate"], { home, env });
    expect(migrated.code, describeResult(migrated)).toBe(0);
    expect(migrated.stdout).toContain(`from schema version 0 to ${LATEST_SCHEMA_VERSION}`);
    const again = await cliJson<{ fromVersion: number; toVersion: number }>(["instance", "migrate", "--json"], { home, env });
    expect(again).toMatchObject({ fromVersion: LATEST_SCHEMA_VERSION, toVersion: LATEST_SCHEMA_VERSION });

    process.env.SLUICE_TEST_DB_URL = URL_WITH_PASSWORD;
    const instance = await Instance.open({ home });
    try {
      await instance.storage.createRun({ runId: "r1", jobName: "j", selection: [] });
      await instance.storage.createRun({ runId: "r2", jobName: "j", selection: [] });
      await instance.storage.storeEvents([{ runId: "r1", type: "RUN_START" }, { runId: "r1", type: "LOG" }]);
    } finally {
      await instance.close();
      delete process.env.SLUICE_TEST_DB_URL;
    }

    const after = await cliJson<InfoJson>(["instance", "info", "--json"], { home, env });
    expect(after).toMatchObject({ schemaVersion: LATEST_SCHEMA_VERSION, needsMigration: false, runs: 2, events: 2 });
    const text = await runCli(["instance", "info"], { home, env });
    expect(text.code, describeResult(text)).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`backend:\\s+${backend.name}`));
    expect(text.stdout).toMatch(/runs:\s+2\n/);
    expect(text.stdout).toContain(backend.location(home));
    for (const output of [JSON.stringify(before), JSON.stringify(after), text.stdout, migrated.stdout]) {
      expect(output).not.toContain(SECRET);
    }
  });
});

describe("sluice instance info when the storage cannot be used", () => {
  it("exits 1 naming an unreachable Postgres server by its URL, without the password", async () => {
    const home = tempDir("sluice-instance-");
    writeFileSync(path.join(home, "sluice.yaml"), "storage:\n  postgres:\n    url: postgres://app:hunter2@127.0.0.1:1/prod\n");
    const result = await runCli(["instance", "info", "--json"], { home });
    expect(result.code, describeResult(result)).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/Cannot connect to Postgres at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/prod: .*ECONNREFUSED/);
    expect(result.stderr).not.toContain("hunter2");
  });

  it("exits 2 naming the variable and the setting when the URL's environment variable is not set", async () => {
    const home = tempDir("sluice-instance-");
    writeFileSync(path.join(home, "sluice.yaml"), "storage:\n  postgres:\n    url: { env: SLUICE_TEST_UNSET_URL }\n");
    const result = await runCli(["instance", "info"], { home, env: { SLUICE_TEST_UNSET_URL: undefined } });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toMatch(/"SLUICE_TEST_UNSET_URL" is not set, but .*sluice\.yaml storage\.postgres\.url reads it/);
  });

  it("exits 2 naming the path of an invalid storage setting", async () => {
    const home = tempDir("sluice-instance-");
    writeFileSync(path.join(home, "sluice.yaml"), "storage:\n  postgres:\n    url: postgres://db/x\n    schema: 'bad-name'\n");
    const result = await runCli(["instance", "migrate"], { home });
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toMatch(/sluice\.yaml is invalid:\n\s+storage\.postgres\.schema: must be a plain identifier/);
  });
});
