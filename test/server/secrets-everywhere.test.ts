/**
 * One secret, read through EnvVar, placed by user code in every field a user can reach (see the
 * fixture): after runs launched through the API and the CLI, a sensor's ticks, a run worker that
 * crashed and one whose timer threw, the secret is in none of: the database file and its WAL, any
 * file in the instance home, the server's own log, any CLI output, any API answer, the live
 * stream. Where it was, the mask is — so the test cannot pass by finding nothing at all.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, REPO_ROOT, runCli, type CliResult } from "../cli/helpers.js";
import { api, openStream, ServerSandbox, waitFor, waitForRun, type ServerProcess, type SseClient } from "./helpers.js";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "server", "secrets-everywhere.ts");
/** Holds characters that JSON escapes and URLs encode, so each stored form of it is checked. */
const TOKEN = `e2e-"sekrit"/${Math.random().toString(36).slice(2)}`;
const MASK = "********";
const FORMS = [TOKEN, JSON.stringify(TOKEN).slice(1, -1), encodeURIComponent(TOKEN)];

function leaks(text: string): string[] {
  return FORMS.filter((form) => text.includes(form));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe("a secret in every field a user can reach", () => {
  const sandbox = new ServerSandbox();
  const env = { SLUICE_E2E_TOKEN: TOKEN };
  let server: ServerProcess;
  let stream: SseClient;
  const outputs: { what: string; text: string }[] = [];
  const runIds: string[] = [];

  const cli = async (args: string[]): Promise<CliResult> => {
    const result = await runCli([...args, "--home", sandbox.home], { env, cwd: sandbox.root });
    outputs.push({ what: `sluice ${args.join(" ")}`, text: result.stdout + result.stderrRaw });
    return result;
  };
  const get = async (pathname: string): Promise<any> => {
    const res = await api(server.url, "GET", pathname);
    outputs.push({ what: `GET ${pathname}`, text: JSON.stringify(res.body) });
    expect(res.status, pathname).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    assertBuilt();
    server = await sandbox.startServer("dev", ["-f", FIXTURE], { env });
    stream = await openStream(server.url);
  });

  afterAll(async () => {
    stream?.close();
    await sandbox.dispose();
  });

  it("runs the fixture's runs and ticks, each ending as expected", async () => {
    for (const key of ["leaks/metadata", "leaks/retried-error", "leaks/timer-error", "leaks/process-exit"]) {
      const res = await api(server.url, "POST", "/api/runs", { selection: [key], tags: { given: TOKEN } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      runIds.push(res.body.run.runId);
    }
    const jobRun = await api(server.url, "POST", "/api/runs", { job: "report_job" });
    expect(jobRun.status).toBe(201);
    runIds.push(jobRun.body.run.runId);
    // A secret's value given as run config is refused: config is stored and shown as given.
    const refused = await api(server.url, "POST", "/api/runs", { selection: ["leaks/metadata"], config: { resources: { api: { config: { token: TOKEN } } } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("holds the value of a secret environment variable");
    outputs.push({ what: "POST /api/runs (refused)", text: JSON.stringify(refused.body) });

    expect((await api(server.url, "POST", "/api/sensors/leaky_sensor/start", {})).status).toBe(200);
    const statuses = await Promise.all(runIds.map((id) => waitForRun(server.url, id, ["SUCCESS", "FAILURE", "CANCELED"], 90_000)));
    expect(statuses.map((r) => r.status)).toEqual(["SUCCESS", "FAILURE", "FAILURE", "FAILURE", "SUCCESS"]);

    const ticks = await waitFor(
      "the sensor to request a run, skip and fail",
      async () => {
        const { sensor } = await get("/api/sensors/leaky_sensor?ticks=20");
        const seen = new Set(sensor.ticks.map((t: { status: string }) => t.status));
        return seen.has("SUCCESS") && seen.has("SKIPPED") && seen.has("FAILURE") ? sensor.ticks : undefined;
      },
      60_000,
      200,
    );
    const sensorRunId = ticks.find((t: { status: string }) => t.status === "SUCCESS").runIds[0] as string;
    runIds.push(sensorRunId);
    expect((await waitForRun(server.url, sensorRunId, ["SUCCESS", "FAILURE"], 60_000)).status).toBe("SUCCESS");
    expect((await api(server.url, "POST", "/api/sensors/leaky_sensor/stop", {})).status).toBe(200);

    // The CLI: a foreground run tagged with the secret, and config holding it (refused, exit 2).
    const fg = await cli(["materialize", "-f", FIXTURE, "--select", "key:leaks/metadata", "--tags", JSON.stringify({ given: TOKEN })]);
    expect(fg.code, fg.stderr).toBe(0);
    runIds.push(fg.stdout.trim().split("\n").pop()!);
    const badConfig = await cli(["materialize", "-f", FIXTURE, "--select", "key:leaks/metadata", "-c", JSON.stringify({ resources: { api: { config: { token: TOKEN } } } })]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("resources.api.config.token");
  }, 240_000);

  it("shows the mask where the secret was", async () => {
    const [metadataRun, retriedRun, timerRun, exitRun, jobRun] = runIds;
    const events = async (runId: string): Promise<any[]> => (await get(`/api/runs/${runId}/events`)).events;
    const materialization = (await events(metadataRun!)).find((e) => e.type === "ASSET_MATERIALIZATION");
    expect(JSON.stringify(materialization.metadata)).toContain(MASK);
    expect((await get(`/api/runs/${metadataRun}`)).run.tags).toEqual({ given: MASK });
    const retried = await events(retriedRun!);
    expect(retried.find((e) => e.type === "STEP_UP_FOR_RETRY").message).toContain(`401 Unauthorized for ${MASK}`);
    const timer = await events(timerRun!);
    expect(timer.find((e) => e.type === "STEP_FAILURE").message).toContain(`thrown from a timer with ${MASK}`);
    const exited = await events(exitRun!);
    expect(exited.find((e) => e.type === "RUN_FAILURE").message).toContain(`Error: fatal, token ${MASK}`);
    const job = await events(jobRun!);
    expect(job.find((e) => e.type === "LOG" && e.stepKey === "resource:api").message).toContain(`could not revoke ${MASK}`);
    const { sensor } = await get("/api/sensors/leaky_sensor?ticks=20");
    expect(sensor.cursor).toBe(`cursor-${MASK}`);
    expect(sensor.ticks.some((t: { skipReason: string | null }) => t.skipReason === `nothing new for ${MASK}`)).toBe(true);
    expect(sensor.ticks.some((t: { error: { message: string } | null }) => t.error?.message.includes(`sensor failed with ${MASK}`))).toBe(true);
  });

  it("leaves it in no file, no CLI output, no API answer, no live message and no log", async () => {
    for (const runId of runIds) {
      await get(`/api/runs/${runId}`);
      await get(`/api/runs/${runId}/events`);
    }
    const commands = runIds.flatMap((runId) => [
      ["run", "show", runId, "--json"],
      ["run", "show", runId],
      ["run", "logs", runId, "--json"],
      ["run", "logs", runId],
    ]);
    // A few at a time: each is a process of its own.
    const pending = [...commands];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let args = pending.shift(); args; args = pending.shift()) await cli(args);
    }));
    for (const pathname of ["/api/runs", "/api/assets", "/api/overview", "/api/sensors", "/api/schedules", "/api/definitions", "/api/health"]) await get(pathname);
    for (const key of ["leaks/metadata", "leaks/retried-error", "leaks/timer-error", "leaks/process-exit"]) await get(`/api/assets/${key}`);
    await cli(["run", "list", "--json"]);
    await cli(["run", "list"]);
    await cli(["sensor", "list", "-f", FIXTURE, "--json"]);
    await cli(["sensor", "list", "-f", FIXTURE]);
    await cli(["sensor", "preview", "leaky_sensor", "-f", FIXTURE]);
    await cli(["asset", "list", "-f", FIXTURE, "--json"]);
    await cli(["instance", "info", "--json"]);

    const resumed = await openStream(server.url, "?afterId=0");
    await resumed.waitFor("the replay of the run worker's crash", (m) => m.event === "event" && m.data.type === "RUN_FAILURE" && String(m.data.message).includes("fatal"), 30_000);
    resumed.close();
    outputs.push({ what: "the live stream", text: JSON.stringify(stream.messages) });
    outputs.push({ what: "the live stream, replayed", text: JSON.stringify(resumed.messages) });
    outputs.push({ what: "the server's log", text: server.log() });

    const found = outputs.filter((o) => leaks(o.text).length > 0).map((o) => o.what);
    expect(found, "outputs that show the secret").toEqual([]);
    const files = filesUnder(sandbox.home);
    expect(files.some((f) => f.endsWith(".db-wal") || f.endsWith(".db")), files.join("\n")).toBe(true);
    expect(files.filter((f) => f.includes(`${path.sep}logs${path.sep}`)).length).toBeGreaterThan(0);
    const leakingFiles = files.filter((f) => leaks(readFileSync(f).toString("latin1")).length > 0);
    expect(leakingFiles, "files that hold the secret").toEqual([]);
  }, 120_000);
});
