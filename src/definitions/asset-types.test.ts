import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { asset, type AssetDefinition } from "./asset.js";
import { output } from "./output.js";
import { dailyPartitions } from "./partitions.js";
import { resource } from "./resource.js";

// These tests are checked by the compiler (the test script type-checks tests before running them):
// a wrong inferred type, or an @ts-expect-error that no longer errors, fails the build.
describe("asset() typing", () => {
  it("types inputs from upstream return values, unwrapping promises and output()", () => {
    const orders = asset({ key: "orders", run: async () => [{ id: 1, amount: 2.5 }] });
    const customers = asset({ key: "customers", run: () => output(new Map<string, string>(), { rowCount: 0 }) });
    expectTypeOf(orders).toEqualTypeOf<AssetDefinition<{ id: number; amount: number }[]>>();
    expectTypeOf(customers).toEqualTypeOf<AssetDefinition<Map<string, string>>>();
    const joined = asset({
      key: "joined",
      ins: { orders, customers, raw: "untyped/key" },
      run: ({ orders: o, customers: c, raw }) => {
        expectTypeOf(o).toEqualTypeOf<{ id: number; amount: number }[]>();
        expectTypeOf(c).toEqualTypeOf<Map<string, string>>();
        expectTypeOf(raw).toBeUnknown();
        return o.length;
      },
    });
    expectTypeOf(joined).toEqualTypeOf<AssetDefinition<number>>();
  });

  it("types config and resources in the context", () => {
    const db = resource({ config: z.object({ url: z.string() }), setup: async ({ url }) => ({ url, query: (q: string) => q.length }) });
    asset({
      key: "a",
      config: z.object({ limit: z.number().default(10) }),
      resources: { db },
      run: (_inputs, { config, resources }) => {
        expectTypeOf(config).toEqualTypeOf<{ limit: number }>();
        expectTypeOf(resources.db.query).toEqualTypeOf<(q: string) => number>();
        return resources.db.url;
      },
    });
  });

  it("reports misuse at the user's call site", () => {
    const nums = asset({ key: "nums", run: () => [1, 2, 3] });
    asset({
      key: "bad",
      ins: { nums },
      // @ts-expect-error nums is number[], which has no toUpperCase
      run: ({ nums: n }) => n.toUpperCase(),
    });
    asset({
      key: "bad2",
      ins: { nums },
      // @ts-expect-error no input named "other"
      run: ({ other }) => other,
    });
    asset({
      key: "bad3",
      config: z.object({ n: z.number() }),
      // @ts-expect-error config.n is a number
      run: (_i, { config }) => config.n.toUpperCase(),
    });
  });

  it("types partitions: a string key for partitioned assets, and every partition for an unpartitioned downstream", () => {
    const days = dailyPartitions({ start: "2025-01-01" });
    const events = asset({
      key: "events",
      partitions: days,
      run: (_inputs, { partitionKey }) => {
        expectTypeOf(partitionKey).toEqualTypeOf<string>();
        return [{ at: partitionKey }];
      },
    });
    expectTypeOf(events).toEqualTypeOf<AssetDefinition<{ at: string }[], true>>();
    asset({
      key: "daily_count",
      partitions: days,
      ins: { events },
      run: ({ events: rows }) => {
        expectTypeOf(rows).toEqualTypeOf<{ at: string }[]>();
        return rows.length;
      },
    });
    asset({
      key: "all_events",
      ins: { events },
      deps: [events],
      run: ({ events: byDay }, { partitionKey }) => {
        expectTypeOf(byDay).toEqualTypeOf<Record<string, { at: string }[]>>();
        expectTypeOf(partitionKey).toEqualTypeOf<null>();
        return Object.keys(byDay);
      },
    });
  });
});
