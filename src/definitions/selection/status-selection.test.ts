import { describe, expect, it } from "vitest";
import { asset } from "../asset.js";
import { defineDefinitions } from "../definitions.js";
import { assetJob } from "../job.js";
import { schedule } from "../schedule.js";
import { selectAssets, statusValuesOf, type StatusOf } from "./select-assets.js";
import { parseSelection } from "./selection-parser.js";

const graph = {
  assets: ["a", "b", "c"].map((key, i) => ({ key, group: "g", tags: {}, owners: [], kinds: [], deps: i === 0 ? [] : [["a", "b", "c"][i - 1]!] })),
};

describe("status: in selections", () => {
  it("parses every known status, and refuses an unknown one listing the valid ones", () => {
    expect(parseSelection("status:check_failed")).toEqual({ type: "status", value: "check_failed" });
    expect(parseSelection('status:"stale" and group:g')).toEqual({ type: "and", left: { type: "status", value: "stale" }, right: { type: "group", value: "g" } });
    expect(() => parseSelection("status:broken")).toThrow(/unknown status "broken"; the statuses are check_passed, check_failed, check_warning, check_missing, stale, fresh, overdue/);
  });

  it("selects what statusOf says, combined with the rest of the syntax", () => {
    const asked: string[] = [];
    const statusOf: StatusOf = (value) => (asked.push(value), new Set(value === "check_failed" ? ["a"] : ["c"]));
    expect(selectAssets("status:check_failed", graph, { statusOf })).toEqual(["a"]);
    expect(selectAssets("status:check_failed+", graph, { statusOf })).toEqual(["a", "b", "c"]);
    expect(selectAssets("not status:check_missing", graph, { statusOf })).toEqual(["a", "b"]);
    expect(asked).toEqual(["check_failed", "check_failed", "check_missing"]);
    expect(statusValuesOf("status:check_failed or (status:stale and not status:check_failed)")).toEqual(["check_failed", "stale"]);
    expect(statusValuesOf("group:g+")).toEqual([]);
  });

  it("refuses status: where no instance answers it", () => {
    expect(() => selectAssets("status:check_passed", graph)).toThrow(/^status:check_passed depends on the instance \(what ran and what checks found\), so it cannot be used in this selection/);
  });

  it("refuses status: in a job's or a schedule's selection at load", () => {
    const a = asset({ key: "a", run: () => 1 });
    expect(() => defineDefinitions({ assets: [a], jobs: [assetJob({ name: "fix", selection: "status:check_failed" })] })).toThrow(
      `Job "fix": its selection is invalid: status:check_failed depends on the instance, so it cannot be used in a job's selection; select by key, group, tag, owner or kind (status: works in sluice materialize --select, and in the UI).`,
    );
    expect(() => defineDefinitions({ assets: [a], schedules: [schedule({ name: "nightly", cron: "0 0 * * *", selection: "status:stale" })] })).toThrow(
      /^Schedule "nightly": its selection is invalid: status:stale depends on the instance, so it cannot be used in a schedule's selection/,
    );
  });
});
