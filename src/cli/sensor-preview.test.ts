import { describe, expect, it } from "vitest";
import { asset } from "../definitions/asset.js";
import { defineDefinitions } from "../definitions/definitions.js";
import { staticPartitions } from "../definitions/partitions.js";
import { sensor } from "../definitions/sensor.js";
import { buildInstigatedRun } from "../daemon/run-requests.js";
import { TickStatus } from "../storage/records.js";
import { sensorPreview } from "./sensor-preview.js";

const regions = staticPartitions(["eu", "us"]);
const raw = asset({ key: "raw/orders", group: "ingest", partitions: regions, run: () => 1 });
const clean = asset({ key: "clean/orders", group: "ingest", partitions: regions, ins: { raw }, run: ({ raw: r }) => r });
const onFiles = sensor({ name: "on_files", selection: "group:ingest", evaluate: () => [] });
const defs = defineDefinitions({ assets: [raw, clean], sensors: [onFiles] });

describe("sensorPreview", () => {
  it("prints an asset-selection request as a request: selection, the assets it stands for, partition, tags; no run id or status", () => {
    const run = buildInstigatedRun(defs, { jobName: undefined, selection: "group:ingest" }, { runKey: "f1", partitionKey: "eu", tags: { source: "s3" } }, { kind: "sensor", name: "on_files", runKey: "f1" });
    const preview = sensorPreview({
      status: TickStatus.Success,
      requests: [{ runKey: "f1", run }],
      dynamicPartitionsRequests: [{ partitionsName: "files", add: ["f1"] }],
      cursor: "c2",
      skipReason: null,
      error: null,
    });
    expect(preview).toEqual({
      status: "SUCCESS",
      requests: [
        {
          runKey: "f1",
          job: null,
          selection: "group:ingest",
          assets: ["raw/orders", "clean/orders"],
          partition: "eu",
          config: {},
          tags: { source: "s3", "sluice/sensor_name": "on_files", "sluice/run_key": "f1", "sluice/partition": "eu" },
        },
      ],
      dynamicPartitionsRequests: [{ partitionsName: "files", add: ["f1"] }],
      cursor: "c2",
      skipReason: null,
      error: null,
    });
    expect(JSON.stringify(preview)).not.toMatch(/runId|QUEUED/);
  });

  it("keeps a skip's reason and a failure's error, with no requests", () => {
    expect(sensorPreview({ status: TickStatus.Skipped, requests: [], dynamicPartitionsRequests: [], cursor: null, skipReason: "no new files", error: null })).toEqual({
      status: "SKIPPED",
      requests: [],
      dynamicPartitionsRequests: [],
      cursor: null,
      skipReason: "no new files",
      error: null,
    });
  });
});
