import { describe, expect, it } from "vitest";
import { z } from "zod";
import { asset } from "./asset.js";
import { assetCheck } from "./asset-check.js";
import { defineDefinitions } from "./definitions.js";
import { resource } from "./resource.js";

/** Runs fn, expecting a DefinitionError; returns its message. */
function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe("DEFINITION_ERROR");
    return (err as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

const orders = asset({ key: "raw/orders", run: () => [1, 2], checks: [{ name: "not_empty", blocking: true, run: (rows) => ({ passed: rows.length > 0 }) }] });

describe("asset checks in defineDefinitions", () => {
  it("collects inline and listed checks by ASSET:NAME key, inline first", () => {
    const fresh = assetCheck({ asset: orders, name: "fresh", description: "recent enough", run: () => ({ passed: true }) });
    const byKey = assetCheck({ asset: "raw/orders", name: "by_key", run: () => ({ passed: true }) });
    const defs = defineDefinitions({ assets: [orders], assetChecks: [fresh, byKey] });
    expect([...defs.checks.keys()]).toEqual(["raw/orders:not_empty", "raw/orders:fresh", "raw/orders:by_key"]);
    expect(defs.checks.get("raw/orders:not_empty")).toMatchObject({ assetKey: "raw/orders", name: "not_empty", blocking: true, description: undefined });
    expect(defs.checks.get("raw/orders:fresh")).toMatchObject({ blocking: false, description: "recent enough" });
  });

  it("refuses a check on an unknown asset, suggesting a close key", () => {
    const typo = assetCheck({ asset: "raw/order", name: "rows", run: () => ({ passed: true }) });
    expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [typo] }))).toBe(
      'Check "rows" (in assetChecks[0]) is on asset "raw/order", which is not defined (did you mean "raw/orders"?). ' +
        "Add the asset to Definitions' assets, or fix the check's asset.",
    );
    const far = assetCheck({ asset: "elsewhere", name: "rows", run: () => ({ passed: true }) });
    expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [far] }))).toMatch(/asset "elsewhere", which is not defined\. Add/);
  });

  it("refuses two checks of one asset with one name, saying where each was declared", () => {
    const again = assetCheck({ asset: orders, name: "not_empty", run: () => ({ passed: true }) });
    expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [again] }))).toBe(
      'Asset "raw/orders" has two checks named "not_empty": one inline on asset "raw/orders" (checks[0]) and one in assetChecks[0]. ' +
        "Each check of an asset needs its own name; rename one of them.",
    );
    const twice = asset({ key: "a", run: () => 1, checks: [{ name: "x", run: () => ({ passed: true }) }, { name: "x", run: () => ({ passed: true }) }] });
    expect(definitionError(() => defineDefinitions({ assets: [twice] }))).toMatch(/one inline on asset "a" \(checks\[0\]\) and one inline on asset "a" \(checks\[1\]\)/);
    // The same name on two assets is two checks.
    const other = asset({ key: "b", run: () => 1, checks: [{ name: "not_empty", run: () => ({ passed: true }) }] });
    expect(defineDefinitions({ assets: [orders, other] }).checks.size).toBe(2);
  });

  it("refuses bad check names, with the rules", () => {
    for (const bad of ["", "has space", "a:b", "a/b", ".."]) {
      const check = assetCheck({ asset: orders, name: bad, run: () => ({ passed: true }) });
      expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [check] }))).toMatch(
        new RegExp(`^Check name "${bad.replace(/[.]/g, "\\.")}" of asset "raw/orders" \\(in assetChecks\\[0\\]\\) is not valid`),
      );
    }
  });

  it("refuses unknown resources and bad config defaults of a check, naming it", () => {
    const needs = assetCheck({ asset: orders, name: "uses_db", resources: { db: "db" }, run: () => ({ passed: true }) });
    expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [needs] }))).toMatch(/^Check "raw\/orders:uses_db" needs resource "db", which is not defined/);
    const db = resource({ setup: () => ({ ping: () => true }) });
    const typed = assetCheck({ asset: orders, name: "uses_db", resources: { db }, run: (_rows, { resources }) => ({ passed: resources.db.ping() }) });
    expect(defineDefinitions({ assets: [orders], assetChecks: [typed] }).resources.has("db")).toBe(true);
    const badDefault = assetCheck({ asset: orders, name: "cfg", config: z.object({ n: z.number().min(5).default(1) }), run: () => ({ passed: true }) });
    expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [badDefault] }))).toMatch(/^Check "raw\/orders:cfg": the default of config field "n" fails its own schema/);
  });

  it("refuses something that is not a check in assetChecks", () => {
    expect(definitionError(() => defineDefinitions({ assets: [orders], assetChecks: [{ name: "x" } as never] }))).toMatch(/^assetChecks\[0\] is not an asset check/);
  });
});
