import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadDotEnv } from "./dotenv.js";
import { Instance, resolveHome } from "./instance.js";
import { readInstanceSettings } from "./instance-settings.js";

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "sluice-inst-"));

describe("instance", () => {
  const saved = process.env.SLUICE_HOME;
  afterEach(() => {
    if (saved === undefined) delete process.env.SLUICE_HOME;
    else process.env.SLUICE_HOME = saved;
  });

  it("resolves the home from --home, then SLUICE_HOME, then ./.sluice", () => {
    delete process.env.SLUICE_HOME;
    expect(resolveHome({ cwd: "/p" })).toBe("/p/.sluice");
    process.env.SLUICE_HOME = "/env/home";
    expect(resolveHome({ cwd: "/p" })).toBe("/env/home");
    expect(resolveHome({ home: "h", cwd: "/p" })).toBe("/p/h");
  });

  it("creates the home on first use with SQLite storage, honouring sluice.yaml", async () => {
    const home = path.join(tmp(), "new-home");
    const first = await Instance.open({ home });
    expect(first.storage.capabilities.dialect).toBe("sqlite");
    expect(first.valuesDir).toBe(path.join(home, "storage"));
    await first.close();
    writeFileSync(path.join(home, "sluice.yaml"), "storage:\n  sqlite:\n    path: other.db\nexecution:\n  max_concurrent: 2\n");
    const second = await Instance.open({ home });
    expect(second.settings.execution.max_concurrent).toBe(2);
    expect(second.settings.storage.sqlite?.path).toBe("other.db");
    expect(second.storageLocation).toEqual({ backend: "sqlite", path: path.join(home, "other.db") });
    await second.close();
  });

  it("rejects a sluice.yaml with unknown or wrong keys, naming file and path", () => {
    const dir = tmp();
    const file = path.join(dir, "sluice.yaml");
    writeFileSync(file, "execution:\n  max_concurent: 2\n");
    expect(() => readInstanceSettings(file)).toThrow(/sluice\.yaml is invalid:\n {2}execution: Unrecognized key: "max_concurent"/);
    writeFileSync(file, "execution:\n  max_concurrent: zero\n");
    expect(() => readInstanceSettings(file)).toThrow(/execution\.max_concurrent: Invalid input: expected number/);
    writeFileSync(file, "storage: [\n");
    expect(() => readInstanceSettings(file)).toThrow(/is not valid YAML/);
  });

  it("reads how long schedule and sensor functions may take, and in how many threads they run", () => {
    const file = path.join(tmp(), "sluice.yaml");
    expect(readInstanceSettings(file).schedules_and_sensors).toEqual({ evaluation_timeout_seconds: 60, evaluation_threads: 4 });
    writeFileSync(file, "schedules_and_sensors:\n  evaluation_timeout_seconds: 2.5\n  evaluation_threads: 1\n");
    expect(readInstanceSettings(file).schedules_and_sensors).toEqual({ evaluation_timeout_seconds: 2.5, evaluation_threads: 1 });
    writeFileSync(file, "schedules_and_sensors:\n  evaluation_timeout_seconds: 0\n");
    expect(() => readInstanceSettings(file)).toThrow(/schedules_and_sensors\.evaluation_timeout_seconds: Too small/);
    writeFileSync(file, "schedules_and_sensors:\n  evaluation_threads: 0\n");
    expect(() => readInstanceSettings(file)).toThrow(/schedules_and_sensors\.evaluation_threads: Too small/);
  });
});

describe("loadDotEnv", () => {
  it("sets variables from .env without overriding those already set", () => {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, ".env"), "SLUICE_T_A=from-file\nSLUICE_T_B='quoted value'\n# comment\nSLUICE_T_C=file\n");
    process.env.SLUICE_T_C = "from-env";
    try {
      expect(loadDotEnv(dir).sort()).toEqual(["SLUICE_T_A", "SLUICE_T_B"]);
      expect(process.env.SLUICE_T_A).toBe("from-file");
      expect(process.env.SLUICE_T_B).toBe("quoted value");
      expect(process.env.SLUICE_T_C).toBe("from-env");
      expect(loadDotEnv(tmp())).toEqual([]);
    } finally {
      for (const k of ["SLUICE_T_A", "SLUICE_T_B", "SLUICE_T_C"]) delete process.env[k];
    }
  });
});
