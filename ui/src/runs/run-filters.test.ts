import { describe, expect, it } from "vitest";
import type { RunJson } from "../types";
import { filterFromSearch, parseTag, runMatches, runsApiPath, searchFromFilter } from "./run-filters";

const run = (over: Partial<RunJson>): RunJson => ({
  runId: "r1",
  status: "SUCCESS",
  jobName: "etl",
  selection: ["a"],
  selectionExpression: null,
  partition: null,
  config: {},
  tags: {},
  parentRunId: null,
  rootRunId: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  endedAt: null,
  workerId: null,
  heartbeatAt: null,
  ...over,
});

describe("runs filter in the URL", () => {
  it("reads statuses (any case, unknown dropped), job and repeated tags", () => {
    expect(filterFromSearch(new URLSearchParams("status=success,Failure,DONE&job=etl&tag=team:data&tag=env:prod&tag=bad"))).toEqual({
      statuses: ["SUCCESS", "FAILURE"],
      job: "etl",
      tags: ["team:data", "env:prod"],
    });
    expect(filterFromSearch(new URLSearchParams(""))).toEqual({ statuses: [], job: null, tags: [] });
  });

  it("writes the same filter back, and builds the API path with limit and cursor", () => {
    const filter = { statuses: ["QUEUED", "STARTED"] as RunJson["status"][], job: "etl", tags: ["a:b:c"] };
    expect(filterFromSearch(searchFromFilter(filter))).toEqual(filter);
    expect(runsApiPath(filter, 25, "abc")).toBe("/runs?status=QUEUED%2CSTARTED&job=etl&tag=a%3Ab%3Ac&limit=25&cursor=abc");
    expect(runsApiPath({ statuses: [], job: null, tags: [] }, 50)).toBe("/runs?limit=50");
  });

  it("splits a tag at its first colon, as the server does", () => {
    expect(parseTag("url:http://x")).toEqual({ key: "url", value: "http://x" });
    expect(parseTag(":x")).toBeNull();
    expect(parseTag("x")).toBeNull();
  });

  it("decides as the server would whether a live run joins the list", () => {
    const filter = { statuses: ["FAILURE"] as RunJson["status"][], job: "etl", tags: ["team:data"] };
    expect(runMatches(run({ status: "FAILURE", tags: { team: "data", x: "y" } }), filter)).toBe(true);
    expect(runMatches(run({ status: "SUCCESS", tags: { team: "data" } }), filter)).toBe(false);
    expect(runMatches(run({ status: "FAILURE", jobName: "other", tags: { team: "data" } }), filter)).toBe(false);
    expect(runMatches(run({ status: "FAILURE", tags: { team: "ops" } }), filter)).toBe(false);
    expect(runMatches(run({}), { statuses: [], job: null, tags: [] })).toBe(true);
  });
});
