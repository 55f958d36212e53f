import { describe, expect, it } from "vitest";
import { InputLimits } from "../input-limits.js";
import { checkDynamicPartitionKeys, dynamicPartitions } from "./dynamic-partitions.js";
import { multiPartitions } from "./multi-partitions.js";
import { samePartitions } from "./partitions-definition.js";
import { dailyPartitions } from "./time-partition-factories.js";

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected an error");
}

describe("dynamicPartitions", () => {
  it("has no keys until they are read from the instance, and says so", () => {
    const tenants = dynamicPartitions("tenants");
    expect([tenants.type, tenants.id, tenants.name, tenants.loaded]).toEqual(["dynamic", "dynamic:tenants", "tenants", false]);
    expect(tenants.keys()).toEqual([]);
    expect(tenants.has("acme")).toBe(false);
    expect(tenants.explainInvalid("acme")).toMatch(/keys were not read from the instance \(call loadDynamicPartitions\(defs, storage\)/);
  });

  it("answers from the keys it was given, in the order they were added", () => {
    const tenants = dynamicPartitions("tenants");
    tenants.useKeys(["globex", "acme", "initech"]);
    expect(tenants.loaded).toBe(true);
    expect(tenants.keys()).toEqual(["globex", "acme", "initech"]);
    expect([tenants.count(), tenants.firstKey(), tenants.lastKey()]).toEqual([3, "globex", "initech"]);
    expect(tenants.has("acme")).toBe(true);
    expect(tenants.explainInvalid("acme")).toBeUndefined();
    expect(tenants.sortKeys(["initech", "zzz", "globex"])).toEqual(["globex", "initech", "zzz"]);
    expect(tenants.keysBetween("acme", "initech")).toEqual(["acme", "initech"]);
    expect(thrown(() => tenants.keysBetween("initech", "globex")).message).toBe('Partition range "initech...globex" is backwards: "initech" was added after "globex".');
    expect(tenants.describe()).toBe('dynamic partitions "tenants"');
    expect(tenants.toSnapshot()).toEqual({ type: "dynamic", name: "tenants", keys: ["globex", "acme", "initech"], count: 3 });
    tenants.useKeys([]);
    expect(tenants.keys()).toEqual([]);
  });

  it("explains a key that does not exist with the command that adds it and the keys that exist", () => {
    const tenants = dynamicPartitions("tenants");
    tenants.useKeys(["a", "b"]);
    expect(tenants.explainInvalid("x")).toBe('Partition "x" of dynamic partitions "tenants" does not exist; add it with `sluice partitions add tenants x` (2 keys exist: "a", "b").');
    expect(tenants.explainInvalid("new tenant")).toContain("`sluice partitions add tenants 'new tenant'`");
    tenants.useKeys([]);
    expect(tenants.explainInvalid("x")).toContain("(no keys exist yet)");
    tenants.useKeys(Array.from({ length: 30 }, (_, i) => `t${i}`));
    expect(tenants.explainInvalid("x")).toContain('30 keys exist: "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", … (20 more)');
    const many = Array.from({ length: 250 }, (_, i) => `k${i}`);
    tenants.useKeys(many);
    expect(tenants.toSnapshot()).toMatchObject({ count: 250, keys: many.slice(0, 100) });
  });

  it("is the same partitions as another definition of the same name", () => {
    expect(samePartitions(dynamicPartitions("tenants"), dynamicPartitions("tenants"))).toBe(true);
    expect(samePartitions(dynamicPartitions("tenants"), dynamicPartitions("files"))).toBe(false);
  });

  it("rejects names that are empty, too long or hold other characters than letters, digits, _ - .", () => {
    for (const bad of ["", "a b", "a/b", "ten|ants", "x".repeat(129), 42]) {
      const err = thrown(() => dynamicPartitions(bad as string));
      expect(err.code).toBe("DEFINITION_ERROR");
      expect(err.message).toMatch(/^dynamicPartitions: The name of dynamic partitions/);
    }
    expect(dynamicPartitions("my-tenants_v2.eu").name).toBe("my-tenants_v2.eu");
  });

  it("can be a dimension of multi partitions", () => {
    const tenants = dynamicPartitions("tenants");
    const byDayAndTenant = multiPartitions({ date: dailyPartitions({ start: "2025-01-01", end: "2025-01-03" }), tenant: tenants });
    tenants.useKeys(["acme", "globex"]);
    expect(byDayAndTenant.keys()).toEqual(["2025-01-01|acme", "2025-01-01|globex", "2025-01-02|acme", "2025-01-02|globex"]);
    expect(byDayAndTenant.has("2025-01-02|globex")).toBe(true);
    expect(byDayAndTenant.explainInvalid("2025-01-02|initech")).toContain('dimension "tenant": Partition "initech" of dynamic partitions "tenants" does not exist');
    tenants.useKeys(["acme", "globex", "initech"]);
    expect(byDayAndTenant.has("2025-01-02|initech")).toBe(true);
    expect(byDayAndTenant.toSnapshot().dimensions[1]).toEqual({ name: "tenant", type: "dynamic", partitionsName: "tenants", keys: ["acme", "globex", "initech"], count: 3 });
  });
});

describe("checkDynamicPartitionKeys", () => {
  it("returns the keys without repeats, in the order given", () => {
    expect(checkDynamicPartitionKeys("tenants", ["b", "a", "b", "c d", "x.y"])).toEqual(["b", "a", "c d", "x.y"]);
  });

  it("rejects keys that are not strings, empty, hold delimiters or control characters, naming the key and its index", () => {
    const cases: [unknown, RegExp][] = [
      ["", /keys\[1\]: the key of dynamic partitions "tenants" is empty|keys\[1\]: key "" of dynamic partitions "tenants" is empty/],
      [7, /keys\[1\]: the key of dynamic partitions "tenants" is number; a partition key is a string\./],
      ["a|b", /keys\[1\]: key "a\|b" of dynamic partitions "tenants" contains "\|"/],
      ["a,b", /contains ","/],
      ["a...b", /contains "\.\.\."/],
      ["line\nbreak", /control character/],
    ];
    for (const [key, message] of cases) {
      const err = thrown(() => checkDynamicPartitionKeys("tenants", ["ok", key]));
      expect(err.code).toBe("PARTITION_ERROR");
      expect(err.message).toMatch(message);
    }
  });

  it("bounds the length of a key and the number of keys per request", () => {
    const long = thrown(() => checkDynamicPartitionKeys("tenants", ["x".repeat(InputLimits.nameLength + 1)], "body.add"));
    expect(long.code).toBe("INPUT_TOO_LARGE");
    expect(long.message).toContain("body.add[0]: a key of dynamic partitions \"tenants\" is 1,025 characters long; at most 1,024 are allowed.");
    const many = thrown(() => checkDynamicPartitionKeys("tenants", Array.from({ length: InputLimits.partitionKeysPerRequest + 1 }, (_, i) => `k${i}`)));
    expect(many.code).toBe("INPUT_TOO_LARGE");
    expect(many.message).toContain("at most 10,000 are allowed per request");
    expect(checkDynamicPartitionKeys("tenants", Array.from({ length: InputLimits.partitionKeysPerRequest }, (_, i) => `k${i}`))).toHaveLength(10_000);
  });

  it("rejects a bad name as usage", () => {
    const err = thrown(() => checkDynamicPartitionKeys("no such/name", ["a"]));
    expect(err.code).toBe("USAGE_ERROR");
    expect(err.message).toContain('"no such/name" is not valid');
  });
});
