import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { asset, type AssetDefinition } from "./asset.js";
import { assetCheck, type AssetCheckDefinition } from "./asset-check.js";
import { output } from "./output.js";
import { resource } from "./resource.js";

// Checked by the compiler: a wrong inferred type, or an @ts-expect-error that no longer errors, fails the build.
describe("asset check typing", () => {
  const orders = asset({ key: "orders", run: async () => output([{ id: 1, amount: 2.5 }], { rowCount: 1 }) });

  it("types assetCheck's value as the asset's value, and its config and resources", () => {
    const db = resource({ setup: () => ({ count: (table: string) => table.length }) });
    const check = assetCheck({
      asset: orders,
      name: "has_rows",
      resources: { db },
      config: z.object({ min: z.number().default(1) }),
      run: (rows, { config, resources, partitionKey }) => {
        expectTypeOf(rows).toEqualTypeOf<{ id: number; amount: number }[]>();
        expectTypeOf(config).toEqualTypeOf<{ min: number }>();
        expectTypeOf(resources.db.count).toEqualTypeOf<(table: string) => number>();
        expectTypeOf(partitionKey).toEqualTypeOf<string | null>();
        return { passed: rows.length >= config.min, severity: "WARN" };
      },
    });
    expectTypeOf(check).toEqualTypeOf<AssetCheckDefinition<{ id: number; amount: number }[]>>();
    assetCheck({ asset: "by/key", name: "untyped", run: (value) => ({ passed: value !== undefined }) });
  });

  it("types inline checks' value as the asset's return, keeping the asset's own type", () => {
    const totals = asset({
      key: "totals",
      ins: { orders },
      run: ({ orders: o }) => o.reduce((sum, r) => sum + r.amount, 0),
      checks: [{ name: "positive", run: (total) => ({ passed: total > 0, metadata: { total } }) }],
    });
    expectTypeOf(totals).toEqualTypeOf<AssetDefinition<number>>();
  });

  it("reports a malformed check at the user's call site", () => {
    assetCheck({
      asset: orders,
      name: "bad",
      // @ts-expect-error the value is an array of rows, which has no toUpperCase
      run: (rows) => ({ passed: rows.toUpperCase() === "" }),
    });
    // @ts-expect-error a check returns { passed }, not a boolean
    assetCheck({ asset: orders, name: "bool", run: () => true });
    // @ts-expect-error severity is WARN or ERROR
    assetCheck({ asset: orders, name: "sev", run: () => ({ passed: false, severity: "FATAL" }) });
    asset({
      key: "inline_bad",
      run: () => 3,
      // @ts-expect-error the inline check's value is a number
      checks: [{ name: "x", run: (n) => ({ passed: n.length > 0 }) }],
    });
  });
});
