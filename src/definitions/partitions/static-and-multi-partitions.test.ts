import { describe, expect, it } from "vitest";
import { multiPartitions } from "./multi-partitions.js";
import { staticPartitions } from "./static-partitions.js";
import { dailyPartitions } from "./time-partition-factories.js";

const now = new Date("2025-01-03T12:00:00Z");

function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

describe("staticPartitions", () => {
  const regions = staticPartitions(["eu", "us", "apac"]);

  it("has its keys in the order given", () => {
    expect(regions.keys()).toEqual(["eu", "us", "apac"]);
    expect(regions.count()).toBe(3);
    expect([regions.firstKey(), regions.lastKey()]).toEqual(["eu", "apac"]);
    expect(regions.has("us")).toBe(true);
    expect(regions.has("US")).toBe(false);
    expect(regions.sortKeys(["apac", "x", "eu"])).toEqual(["eu", "apac", "x"]);
    expect(regions.keysBetween("us", "apac")).toEqual(["us", "apac"]);
    expect(regions.explainInvalid("mars")).toBe('Partition "mars" is not one of the 3 keys of static partitions ["eu", "us", "apac"]. Valid keys: "eu", "us", "apac".');
  });

  it("shows at most 100 keys in the snapshot, and the count", () => {
    const many = staticPartitions(Array.from({ length: 250 }, (_, i) => `k${i}`));
    const snap = many.toSnapshot();
    expect(snap.count).toBe(250);
    expect(snap.keys).toHaveLength(100);
    expect(many.explainInvalid("nope")).toContain('"k9", … (240 more)');
  });

  it("rejects empty lists, empty, duplicate and range-like keys", () => {
    expect(definitionError(() => staticPartitions([]))).toContain("needs at least one key");
    expect(definitionError(() => staticPartitions(["a", ""]))).toContain('key [1] "" is not valid');
    expect(definitionError(() => staticPartitions(["a", "b", "a"]))).toBe('staticPartitions: key "a" is listed twice. Each key must be unique.');
    expect(definitionError(() => staticPartitions(["a...b"]))).toContain("separates the ends of a partition range");
  });
});

describe("multiPartitions", () => {
  const byDayAndDevice = multiPartitions({ device: staticPartitions(["dev-1", "dev-2"]), date: dailyPartitions({ start: "2025-01-01" }) });

  it("orders dimensions by name and joins their keys with |, the first dimension varying slowest (as Dagster)", () => {
    expect(byDayAndDevice.dimensions.map((d) => d.name)).toEqual(["date", "device"]);
    expect(byDayAndDevice.keys(now)).toEqual(["2025-01-01|dev-1", "2025-01-01|dev-2", "2025-01-02|dev-1", "2025-01-02|dev-2"]);
    expect(byDayAndDevice.count(now)).toBe(4);
    expect(byDayAndDevice.lastKey(now)).toBe("2025-01-02|dev-2");
    expect(byDayAndDevice.keysByDimension("2025-01-02|dev-1")).toEqual({ date: "2025-01-02", device: "dev-1" });
    expect(byDayAndDevice.keyOf({ device: "dev-2", date: "2025-01-01" })).toBe("2025-01-01|dev-2");
    expect(byDayAndDevice.timeDimension?.name).toBe("date");
    expect(byDayAndDevice.sortKeys(["2025-01-02|dev-1", "2025-01-01|dev-2", "2025-01-01|dev-1"])).toEqual([
      "2025-01-01|dev-1",
      "2025-01-01|dev-2",
      "2025-01-02|dev-1",
    ]);
  });

  it("checks each dimension and says which one is wrong", () => {
    expect(byDayAndDevice.has("2025-01-02|dev-2", now)).toBe(true);
    expect(byDayAndDevice.has("2025-01-03|dev-2", now)).toBe(false);
    expect(byDayAndDevice.has("dev-2|2025-01-02", now)).toBe(false);
    expect(byDayAndDevice.explainInvalid("2025-01-02|dev-3", now)).toContain('dimension "device": Partition "dev-3" is not one of the 2 keys');
    expect(byDayAndDevice.explainInvalid("2025-01-02", now)).toContain('a key joins one key of each dimension (date, device, in that order) with "|", e.g. "2025-01-01|dev-1"');
    expect(() => byDayAndDevice.keyOf({ date: "2025-01-01" })).toThrow(/needs exactly the dimensions date, device; got date/);
  });

  it("is small in the snapshot: each dimension's summary and the product count", () => {
    const snap = byDayAndDevice.toSnapshot(now);
    expect(snap.count).toBe(4);
    expect(snap.dimensions.map((d) => [d.name, d.type, d.count])).toEqual([
      ["date", "time_window", 2],
      ["device", "static", 2],
    ]);
  });

  it("rejects anything but two dimensions of time windows or static keys, bad names, and keys holding | , [ ]", () => {
    expect(definitionError(() => multiPartitions({ a: staticPartitions(["x"]) }))).toContain("needs exactly 2 dimensions (as Dagster's); got 1 (a)");
    expect(definitionError(() => multiPartitions({ "bad name": staticPartitions(["x"]), b: staticPartitions(["y"]) }))).toContain('dimension name "bad name" is not valid');
    expect(definitionError(() => multiPartitions({ a: staticPartitions(["x|y"]), b: staticPartitions(["z"]) }))).toContain('key "x|y" of dimension "a"');
    expect(definitionError(() => multiPartitions({ a: byDayAndDevice as never, b: staticPartitions(["z"]) }))).toContain('dimension "a" is itself multi-dimensional');
    expect(definitionError(() => multiPartitions({ a: ["x"] as never, b: staticPartitions(["z"]) }))).toContain('dimension "a" is not a partitions definition');
  });
});
