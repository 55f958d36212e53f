/**
 * Background mode: `sluice start` runs `sluice dev` detached with HOME/sluice.pid and
 * HOME/logs/server.log; `status` reports it; `stop` ends it cleanly while runs in flight finish in
 * their workers; a second start on one home is refused; a stale pid file is replaced; two homes
 * run side by side on two ports.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, describeResult, removeTempDirs, runCli, showRun, type CliOptions } from "../cli/helpers.js";
import { api, isRunning, SECRET, SERVER_DEFS, ServerSandbox, waitFor, waitForRun } from "./helpers.js";

beforeAll(assertBuilt);

const sandbox = new ServerSandbox();

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

function cliOptions(): CliOptions {
  return { env: { FIXTURE_DIR: sandbox.fixtureDir, SERVER_FIXTURE_API_KEY: SECRET, SLUICE_TOKEN: undefined } };
}

function start(home: string) {
  return runCli(["start", "-f", SERVER_DEFS, "--port", "0", "--home", home], cliOptions());
}

function pidFile(home: string): any {
  return JSON.parse(readFileSync(path.join(home, "sluice.pid"), "utf8"));
}

function sessionOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[3]);
}

describe("start, status, stop", () => {
  const home = path.join(sandbox.root, "home-a");
  let info: any;

  it("start launches the server in the background, writes the pid file, and prints the URL once it answers", async () => {
    const result = await start(home);
    expect(result.code, describeResult(result)).toBe(0);
    const url = result.stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    info = pidFile(home);
    expect(info).toMatchObject({ url, host: "127.0.0.1", home, location: { file: SERVER_DEFS }, logFile: path.join(home, "logs", "server.log") });
    expect(info.port).toBe(Number(new URL(url).port));
    expect(Number.isNaN(Date.parse(info.startedAt))).toBe(false);
    expect(isRunning(info.pid)).toBe(true);
    // Its own session: closing the terminal that started it does not stop it.
    expect(sessionOf(info.pid)).not.toBe(sessionOf(process.pid));
    const health = await api(url, "GET", "/api/health");
    expect(health.body).toMatchObject({ ok: true, mode: "dev", pid: info.pid, home });
    expect(result.stderr).toContain(`pid ${info.pid}`);
    expect(readFileSync(info.logFile, "utf8")).toContain(`listening on ${url}`);
  });

  it("status says it runs, with pid and URL (exit 0)", async () => {
    const text = await runCli(["status", "--home", home]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`pid:     ${info.pid}`);
    expect(text.stdout).toContain(info.url);
    const json = await runCli(["status", "--home", home, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ running: true, pid: info.pid, url: info.url, answering: true, loadError: null });
  });

  it("a second start for the same home is refused (exit 2), naming the pid and URL", async () => {
    const result = await start(home);
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toContain(`pid ${info.pid}`);
    expect(result.stderr).toContain(info.url);
    expect(pidFile(home).pid).toBe(info.pid);
  });

  it("stop ends it cleanly and removes the pid file; a run in flight still finishes in its worker", async () => {
    sandbox.setFlag("sleep", "2500");
    const launched = await api(info.url, "POST", "/api/runs", { selection: "+numbers" });
    expect(launched.status).toBe(201);
    const runId = launched.body.run.runId;
    await waitForRun(info.url, runId, ["STARTED", "SUCCESS", "FAILURE"]);
    const result = await runCli(["stop", "--home", home]);
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stderr).toContain(`Stopped Sluice (pid ${info.pid})`);
    expect(isRunning(info.pid)).toBe(false);
    expect(existsSync(path.join(home, "sluice.pid"))).toBe(false);
    expect(readFileSync(info.logFile, "utf8")).toContain("SIGTERM: stopping");
    const finished = await waitFor("the run to finish without the server", async () => {
      const run = await showRun(home, runId);
      return ["SUCCESS", "FAILURE", "CANCELED"].includes(run.status) ? run : undefined;
    });
    expect(finished.status, `${JSON.stringify(finished)}\n${readFileSync(info.logFile, "utf8")}`).toBe("SUCCESS");
  });

  it("stop and status when nothing runs: stop exits 0, status exits 1", async () => {
    const stop = await runCli(["stop", "--home", home]);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain("not running");
    const status = await runCli(["status", "--home", home]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("not running");
    const json = await runCli(["status", "--home", home, "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ running: false, home });
  });
});

describe("a stale pid file", () => {
  it("is reported by status and replaced by start", async () => {
    const home = path.join(sandbox.root, "home-stale");
    mkdirSync(home, { recursive: true });
    const gone = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
    writeFileSync(path.join(home, "sluice.pid"), JSON.stringify({ pid: gone, port: 1, host: "127.0.0.1", url: "http://127.0.0.1:1", startedAt: new Date().toISOString(), location: {}, home, logFile: "x" }));
    const status = await runCli(["status", "--home", home, "--json"]);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false, stalePid: gone });
    const started = await start(home);
    expect(started.code, describeResult(started)).toBe(0);
    expect(started.stderr).toContain("stale pid file");
    expect(pidFile(home).pid).not.toBe(gone);
    expect((await runCli(["stop", "--home", home])).code).toBe(0);
  });
});

describe("two projects side by side", () => {
  it("two homes run at once on two ports, each serving its own instance", async () => {
    const homes = [path.join(sandbox.root, "home-1"), path.join(sandbox.root, "home-2")];
    const results = await Promise.all(homes.map((h) => start(h)));
    for (const r of results) expect(r.code, describeResult(r)).toBe(0);
    const urls = results.map((r) => r.stdout.trim());
    expect(new Set(urls).size).toBe(2);
    for (const [i, url] of urls.entries()) {
      const health = await api(url, "GET", "/api/health");
      expect(health.body.home).toBe(homes[i]);
      expect(pidFile(homes[i]!).url).toBe(url);
    }
    const runId = (await api(urls[0]!, "POST", "/api/runs", { selection: "lonely" })).body.run.runId;
    expect((await waitForRun(urls[0]!, runId, ["SUCCESS", "FAILURE"])).status).toBe("SUCCESS");
    expect((await api(urls[1]!, "GET", `/api/runs/${runId}`)).status).toBe(404);
    for (const h of homes) expect((await runCli(["stop", "--home", h])).code).toBe(0);
  });
});
