import { describe, expect, it } from "vitest";
import { parseInstantText } from "./automation-json.js";

describe("parseInstantText", () => {
  it("reads epoch ms and ISO 8601, UTC without an offset", () => {
    expect(parseInstantText("1765130400000")).toBe(1765130400000);
    expect(parseInstantText("2026-12-07T18:00:00Z")).toBe(Date.UTC(2026, 11, 7, 18));
    expect(parseInstantText("2026-12-07T18:00")).toBe(Date.UTC(2026, 11, 7, 18));
    expect(parseInstantText("2026-12-07 18:00:30.5")).toBe(Date.UTC(2026, 11, 7, 18, 0, 30, 500));
    expect(parseInstantText("2026-12-07T19:00:00+01:00")).toBe(Date.UTC(2026, 11, 7, 18));
    expect(parseInstantText("2026-12-07")).toBe(Date.UTC(2026, 11, 7));
  });

  it("refuses what is not a time, and days that do not exist", () => {
    for (const bad of ["", "yesterday", "2026-13-01", "2026-02-30", "2026-12-07T25:00:00Z", "12/07/2026", "1e12"]) expect(parseInstantText(bad), bad).toBeUndefined();
  });
});
