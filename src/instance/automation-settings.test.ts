import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readInstanceSettings } from "./instance-settings.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function settingsFile(yaml: string): string {
  dir = mkdtempSync(path.join(os.tmpdir(), "sluice-settings-"));
  const file = path.join(dir, "sluice.yaml");
  writeFileSync(file, yaml);
  return file;
}

describe("sluice.yaml automation:", () => {
  it("defaults to an evaluation every 30 s, and takes another interval", () => {
    expect(readInstanceSettings(settingsFile("")).automation).toEqual({ evaluation_interval_seconds: 30 });
    expect(readInstanceSettings(settingsFile("automation:\n  evaluation_interval_seconds: 0.5\n")).automation.evaluation_interval_seconds).toBe(0.5);
  });

  it("refuses a non-positive or over-a-day interval and unknown keys, naming the path", () => {
    expect(() => readInstanceSettings(settingsFile("automation:\n  evaluation_interval_seconds: 90000\n"))).toThrow(/automation\.evaluation_interval_seconds: /);
    expect(() => readInstanceSettings(settingsFile("automation:\n  evaluation_interval_seconds: 0\n"))).toThrow(/automation\.evaluation_interval_seconds: /);
    expect(() => readInstanceSettings(settingsFile("automation:\n  interval: 5\n"))).toThrow(/automation: Unrecognized key/);
  });
});
