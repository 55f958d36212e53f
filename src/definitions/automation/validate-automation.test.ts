import { describe, expect, expectTypeOf, it } from "vitest";
import { asset, type AssetDefinition } from "../asset.js";
import { assetSpec } from "../asset-spec.js";
import { defineDefinitions } from "../definitions.js";
import { DefinitionError } from "../errors.js";
import { multiAsset } from "../multi-asset.js";
import { observableSourceAsset } from "../observable-source-asset.js";
import { dailyPartitions, staticPartitions } from "../partitions.js";
import { AutomationCondition as C } from "./automation-condition.js";

const run = () => 1;

function thrown(fn: () => unknown): DefinitionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return err as DefinitionError;
  }
  throw new Error("expected a DefinitionError");
}

describe("automation validation in asset()", () => {
  it("accepts conditions and keeps them", () => {
    const eager = C.eager();
    expect(asset({ key: "a", automation: eager, run }).automation).toBe(eager);
    expect(asset({ key: "b", run }).automation).toBeUndefined();
  });

  it("rejects what is not a condition, naming the asset", () => {
    const err = thrown(() => asset({ key: "orders", automation: "0 * * * *" as never, run }));
    expect(err.message).toMatch(/^Asset "orders": automation must be an AutomationCondition.*the string "0 \* \* \* \*" \(use AutomationCondition\.onCron/);
    expect(err.subject).toBe("orders");
    expect(thrown(() => asset({ key: "o", automation: { type: "missing" } as never, run })).message).toMatch(/a plain object/);
  });

  it("rejects and/or without conditions", () => {
    expect(thrown(() => asset({ key: "o", automation: C.and(), run })).message).toMatch(/^Asset "o": AutomationCondition\.and\(\) needs at least one condition/);
    expect(thrown(() => asset({ key: "o", automation: C.missing().and(C.or()), run })).message).toMatch(/AutomationCondition\.or\(\) needs/);
  });

  it("rejects an invalid cron or time zone, naming the asset and the cron", () => {
    expect(thrown(() => asset({ key: "o", automation: C.onCron("every hour"), run })).message).toMatch(/^Asset "o": the automation condition's cron "every hour" \(UTC\) is invalid/);
    expect(thrown(() => asset({ key: "o", automation: C.cronTickPassed("0 * * * *", "Mars/Olympus"), run })).message).toMatch(/cron "0 \* \* \* \*" \(Mars\/Olympus\) is invalid.*Mars\/Olympus/);
    expect(thrown(() => asset({ key: "o", automation: C.allDepsUpdatedSince("61 * * * *"), run })).message).toMatch(/"61 \* \* \* \*"/);
  });

  it("rejects a lookback that is not a duration", () => {
    expect(thrown(() => asset({ key: "o", automation: C.inLatestTimeWindow("two days"), run })).message).toMatch(/^Asset "o": inLatestTimeWindow lookback "two days" is not a duration/);
    expect(thrown(() => asset({ key: "o", automation: C.inLatestTimeWindow(-5), run })).message).toMatch(/lookback -5 is not a duration/);
  });

  it("rejects since and newlyTrue inside deps conditions", () => {
    const err = thrown(() => asset({ key: "o", automation: C.anyDepsMatch(C.missing().newlyTrue()), run }));
    expect(err.message).toMatch(/^Asset "o": any_deps_match contains newlyTrue\(\), which keeps state between evaluations\. Conditions on deps are evaluated without state/);
    expect(thrown(() => asset({ key: "o", automation: C.allDepsMatch(C.not(C.missing().since(C.newlyUpdated()))), run })).message).toMatch(/all_deps_match contains since\(\)/);
    // Around a deps condition is fine.
    expect(asset({ key: "o", automation: C.anyDepsMatch(C.missing()).newlyTrue(), run }).automation).toBeDefined();
  });

  it("accepts automation on multi-asset outputs", () => {
    const m = multiAsset({ name: "m", outs: { one: { key: "one", automation: C.eager() }, two: { key: "two" } }, run: () => ({ one: 1, two: 2 }) });
    expect(m.assets.one.automation?.describe()).toBe("eager");
    expect(m.assets.two.automation).toBeUndefined();
    expect(thrown(() => multiAsset({ name: "m", outs: { one: { key: "one", automation: C.or() } }, run: () => ({ one: 1 }) })).message).toMatch(/^Asset "one"/);
  });

  it("types automation as AutomationCondition only", () => {
    expectTypeOf<Parameters<typeof asset>[0]["automation"]>().toEqualTypeOf<C | undefined>();
    // @ts-expect-error a cron string is not a condition
    expect(() => asset({ key: "t", automation: "0 * * * *", run })).toThrow(DefinitionError);
    // @ts-expect-error nor is a plain object
    expect(() => asset({ key: "t", automation: { type: "missing" }, run })).toThrow(DefinitionError);
  });
});

describe("automation validation in defineDefinitions()", () => {
  const up = asset({ key: "raw/orders", run });
  const defs = (assets: AssetDefinition[]) => () => defineDefinitions({ assets });

  it("rejects ignore/allow naming unknown assets (with a did-you-mean) or assets that are not deps", () => {
    const other = asset({ key: "other", run });
    const unknown = thrown(defs([up, asset({ key: "d", deps: [up], automation: C.anyDepsUpdated({ ignore: ["raw/order"] }), run })]));
    expect(unknown.message).toMatch(/^Asset "d": ignore names unknown asset "raw\/order" \(did you mean "raw\/orders"\?\).*Name one of its deps: "raw\/orders"\.$/);
    const notDep = thrown(defs([up, other, asset({ key: "d", deps: [up], automation: C.allDepsMatch(C.missing().not(), { allow: ["other"] }), run })]));
    expect(notDep.message).toMatch(/^Asset "d": allow names "other" .* but "other" is not a dep of "d"/);
    expect(thrown(defs([up, other, asset({ key: "d", deps: [up], automation: C.allDepsUpdatedSince("0 * * * *", "UTC", { ignore: ["other"] }), run })])).message).toMatch(/"other" is not a dep/);
  });

  it("rejects automation on external and observable source assets", () => {
    const ext = assetSpec({ key: "ext" });
    const withAutomation = { ...ext, automation: C.eager() } as AssetDefinition;
    expect(thrown(defs([withAutomation])).message).toMatch(/^Asset "ext" is an external asset \(assetSpec\), and has automation: Sluice never materializes it/);
    const obs = observableSourceAsset({ key: "obs", observe: () => ({ dataVersion: "1" }) });
    expect(thrown(defs([{ ...obs, automation: C.eager() } as AssetDefinition])).message).toMatch(/^Asset "obs" is an observable source asset/);
  });

  it("rejects a lookback where partitions have no time windows, on the asset or on a dep", () => {
    const regions = staticPartitions(["eu", "us"]);
    expect(thrown(defs([asset({ key: "plain", automation: C.inLatestTimeWindow("2d"), run })])).message).toMatch(
      /^Asset "plain": inLatestTimeWindow\("2d"\) has a lookback, but asset "plain" is not partitioned, not by time windows/,
    );
    expect(thrown(defs([asset({ key: "r", partitions: regions, automation: C.inLatestTimeWindow("1d").and(C.missing()), run })])).message).toMatch(/asset "r" is partitioned by/);
    const days = dailyPartitions({ start: "2025-01-01" });
    const daily = asset({ key: "daily", partitions: days, run });
    expect(() => defineDefinitions({ assets: [daily, asset({ key: "d", partitions: days, deps: [daily], automation: C.inLatestTimeWindow("2d").and(C.anyDepsMatch(C.inLatestTimeWindow("1d"))), run })] })).not.toThrow();
    const stat = asset({ key: "stat", partitions: regions, run });
    expect(thrown(defs([stat, asset({ key: "d", deps: [stat], automation: C.anyDepsMatch(C.inLatestTimeWindow("1d")), run })])).message).toMatch(/its dep "stat" is partitioned by/);
    // Without a lookback, the condition is true for partitions that are not time windows.
    expect(() => defineDefinitions({ assets: [asset({ key: "r", partitions: regions, automation: C.eager(), run })] })).not.toThrow();
  });
});
