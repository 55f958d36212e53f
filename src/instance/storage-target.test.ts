import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dropTestSchemas, newTestSchemaName, TEST_POSTGRES_URL } from "../storage/testing/postgres-test-schemas.js";
import { Instance } from "./instance.js";
import { instanceSettingsSchema, readInstanceSettings } from "./instance-settings.js";
import { describeStorageTarget, resolveStorageTarget } from "./storage-target.js";

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "sluice-target-"));
const ENV = "SLUICE_TEST_TARGET_URL";
const schemas: string[] = [];

afterEach(() => {
  delete process.env[ENV];
});
afterAll(() => dropTestSchemas(schemas));

/** Writes a sluice.yaml in a new home and returns the home. */
function homeWith(yaml: string): string {
  const home = tmp();
  writeFileSync(path.join(home, "sluice.yaml"), yaml);
  return home;
}

describe("storage settings in sluice.yaml", () => {
  it("defaults to SQLite in the home; a relative sqlite.path is relative to the home", () => {
    const home = "/srv/home";
    expect(resolveStorageTarget(instanceSettingsSchema.parse({}), home)).toEqual({ backend: "sqlite", path: "/srv/home/sluice.db" });
    expect(resolveStorageTarget(instanceSettingsSchema.parse({ storage: {} }), home)).toEqual({ backend: "sqlite", path: "/srv/home/sluice.db" });
    const custom = instanceSettingsSchema.parse({ storage: { sqlite: { path: "db/x.db" } } });
    expect(resolveStorageTarget(custom, home)).toEqual({ backend: "sqlite", path: "/srv/home/db/x.db" });
  });

  it("reads a Postgres URL written out or from an environment variable, with schema and pool size", () => {
    const literal = instanceSettingsSchema.parse({ storage: { postgres: { url: "postgres://u:pw@db/prod", schema: "sluice", pool_size: 3 } } });
    expect(resolveStorageTarget(literal, "/h")).toEqual({ backend: "postgres", url: "postgres://u:pw@db/prod", schema: "sluice", poolSize: 3 });
    process.env[ENV] = "postgresql://u:pw@db:6432/prod";
    const fromEnv = instanceSettingsSchema.parse({ storage: { postgres: { url: { env: ENV } } } });
    const target = resolveStorageTarget(fromEnv, "/h");
    expect(target).toEqual({ backend: "postgres", url: "postgresql://u:pw@db:6432/prod", schema: "public" });
    expect(describeStorageTarget(target)).toEqual({ backend: "postgres", url: "postgresql://u:***@db:6432/prod", schema: "public" });
  });

  it("reads the reconnect window in seconds (0: never reconnect); rejects a negative one", () => {
    const settings = instanceSettingsSchema.parse({ storage: { postgres: { url: "postgres://db/prod", reconnect_timeout_seconds: 2.5 } } });
    expect(resolveStorageTarget(settings, "/h")).toEqual({ backend: "postgres", url: "postgres://db/prod", schema: "public", reconnectTimeoutMs: 2500 });
    const never = instanceSettingsSchema.parse({ storage: { postgres: { url: "postgres://db/prod", reconnect_timeout_seconds: 0 } } });
    expect(resolveStorageTarget(never, "/h")).toMatchObject({ reconnectTimeoutMs: 0 });
    expect(instanceSettingsSchema.safeParse({ storage: { postgres: { url: "postgres://db/prod", reconnect_timeout_seconds: -1 } } }).success).toBe(false);
  });

  it("reads an unset URL variable from the .env of the working directory, else names the variable and the setting", () => {
    const settings = instanceSettingsSchema.parse({ storage: { postgres: { url: { env: ENV } } } });
    const cwd = tmp();
    let err: unknown;
    try {
      resolveStorageTarget(settings, "/h", cwd);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "MISSING_ENV_VAR", varName: ENV, path: "/h/sluice.yaml storage.postgres.url" });
    expect((err as Error).message).toMatch(new RegExp(`"${ENV}" is not set, but /h/sluice.yaml storage.postgres.url reads it`));
    writeFileSync(path.join(cwd, ".env"), `${ENV}=postgres://from-dotenv@db/x\n`);
    expect(resolveStorageTarget(settings, "/h", cwd)).toMatchObject({ url: "postgres://from-dotenv@db/x" });
  });

  it("rejects invalid storage settings, naming each offending path", () => {
    const cases: [string, RegExp][] = [
      ["storage:\n  sqlite: {}\n  postgres: { url: 'postgres://db/x' }\n", /storage: give either storage\.sqlite or storage\.postgres, not both/],
      ["storage:\n  postgres: { url: 'mysql://db/x' }\n", /storage\.postgres\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/],
      ["storage:\n  postgres: {}\n", /storage\.postgres\.url: Invalid input/],
      ["storage:\n  postgres: { url: { env: 'not a name' } }\n", /storage\.postgres\.url/],
      ["storage:\n  postgres: { url: 'postgres://db/x', schema: 'a-b' }\n", /storage\.postgres\.schema: must be a plain identifier/],
      ["storage:\n  postgres: { url: 'postgres://db/x', pool_size: 0 }\n", /storage\.postgres\.pool_size: Too small/],
      ["storage:\n  postgres: { url: 'postgres://db/x', shema: 'x' }\n", /storage\.postgres: Unrecognized key: "shema"/],
      ["storage:\n  mysql: { url: 'x' }\n", /storage: Unrecognized key: "mysql"/],
    ];
    for (const [yaml, message] of cases) {
      const file = path.join(homeWith(yaml), "sluice.yaml");
      expect(() => readInstanceSettings(file), yaml).toThrow(message);
    }
  });

  it("opens an instance on Postgres when sluice.yaml says so, showing its URL without the password", async () => {
    const schema = newTestSchemaName("inst");
    schemas.push(schema);
    const url = new URL(TEST_POSTGRES_URL);
    url.password = "not-needed-with-trust";
    process.env[ENV] = url.toString();
    const home = homeWith(`storage:\n  postgres:\n    url: { env: ${ENV} }\n    schema: ${schema}\n`);
    const instance = await Instance.open({ home });
    try {
      expect(instance.storage.capabilities).toEqual({ dialect: "postgres", multiMachine: true });
      expect(instance.storageLocation).toEqual({ backend: "postgres", url: expect.stringContaining(":***@"), schema });
      expect(JSON.stringify(instance.storageLocation)).not.toContain("not-needed-with-trust");
      await instance.storage.createRun({ runId: "r", jobName: "j", selection: [] });
      expect(await instance.storage.countRecords()).toEqual({ runs: 1, events: 0 });
    } finally {
      await instance.close();
    }
  });
});
