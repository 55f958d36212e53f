import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { asset, type AssetDefinition } from "./asset.js";
import { multiAsset } from "./multi-asset.js";
import { output } from "./output.js";
import { dailyPartitions } from "./partitions.js";

// Checked by the compiler (the test script type-checks tests before running them): a wrong
// inferred type, or an @ts-expect-error that no longer errors, fails the build.
describe("multiAsset() typing", () => {
  it("types each output from what the function returns, unwrapping promises and output()", () => {
    const orders = asset({ key: "orders", run: () => [{ id: 1, paid: true }] });
    const split = multiAsset({
      name: "split",
      outs: { paid: { key: "orders/paid" }, count: { key: "orders/count" } },
      ins: { orders },
      run: async ({ orders: rows }) => {
        expectTypeOf(rows).toEqualTypeOf<{ id: number; paid: boolean }[]>();
        return { paid: output(rows.filter((r) => r.paid), { rowCount: 1 }), count: rows.length };
      },
    });
    expectTypeOf(split.assets.paid).toEqualTypeOf<AssetDefinition<{ id: number; paid: boolean }[], boolean>>();
    expectTypeOf(split.assets.count).toEqualTypeOf<AssetDefinition<number, boolean>>();
    const report = asset({
      key: "report",
      ins: { paid: split.assets.paid, count: split.assets.count },
      run: ({ paid, count }) => `${paid.length}/${count}`,
    });
    expectTypeOf(report).toEqualTypeOf<AssetDefinition<string>>();
  });

  it("types the context: config, partition key, selected outputs, per-output metadata", () => {
    const m = multiAsset({
      name: "daily",
      outs: { a: { key: "a" }, b: { key: "b" } },
      partitions: dailyPartitions({ start: "2025-01-01" }),
      config: z.object({ n: z.number().default(1) }),
      canSubset: true,
      run: (_inputs, context) => {
        expectTypeOf(context.config).toEqualTypeOf<{ n: number }>();
        expectTypeOf(context.partitionKey).toEqualTypeOf<string>();
        expectTypeOf(context.selectedOutputs).toEqualTypeOf<readonly ("a" | "b")[]>();
        context.addMetadata("a", { rows: 1 });
        // @ts-expect-error "c" is not an output
        context.addMetadata("c", { rows: 1 });
        return context.selectedOutputs.includes("a") ? { a: 1 } : { b: "x" };
      },
    });
    // A partitioned output makes a partitioned upstream: an unpartitioned reader gets every partition.
    asset({
      key: "all_a",
      ins: { a: m.assets.a },
      run: ({ a }) => {
        expectTypeOf(a).toEqualTypeOf<Record<string, number | undefined>>();
        return 0;
      },
    });
  });

  it("reports misuse at the user's call site", () => {
    const m = multiAsset({ name: "m", outs: { n: { key: "n" }, s: { key: "s" } }, run: () => ({ n: 1, s: "x" }) });
    asset({
      key: "bad",
      ins: { n: m.assets.n },
      // @ts-expect-error n is a number, which has no toUpperCase
      run: ({ n }) => n.toUpperCase(),
    });
    // @ts-expect-error the function must return an object of outputs
    multiAsset({ name: "bad2", outs: { a: { key: "a" } }, run: () => 42 });
    // @ts-expect-error an out needs a key
    expect(() => multiAsset({ name: "bad3", outs: { a: { group: "g" } }, run: () => ({ a: 1 }) })).toThrow('Multi-asset "bad3": out "a" has no key.');
    // @ts-expect-error there is no assets.other
    expect(() => asset({ key: "bad4", ins: { x: m.assets.other }, run: () => 1 })).toThrow();
  });
});
