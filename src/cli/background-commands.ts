import type { Command } from "commander";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../definitions/errors.js";
import { SLUICE_BIN } from "../daemon/run-launcher.js";
import { resolveHome } from "../instance/instance.js";
import { tokenForHost } from "../server/auth.js";
import { urlOf } from "../server/http-listener.js";
import { alreadyRunning, isSluiceProcess, pidFilePath, readPidFile, releasePidFile, serverLogPath, type PidFileContent } from "./pid-file.js";
import { printJson } from "./cli-context.js";
import { addServeOptions, parsePort, resolveLocation, type ServeFlags } from "./dev-commands.js";

/** How long `start` waits for the server to answer, and `stop` for it to exit (ms). */
const START_TIMEOUT_MS = Number(process.env.SLUICE_START_TIMEOUT_MS ?? 60_000);

/** `sluice start` (sluice dev in the background), `sluice stop`, `sluice status`. */
export function registerBackgroundCommands(program: Command): void {
  addServeOptions(program.command("start").description("run `sluice dev` in the background (pid in HOME/sluice.pid, log in HOME/logs/server.log)")).action(
    (flags: ServeFlags) => start(flags),
  );
  program
    .command("stop")
    .description("stop the background server of this home (runs in flight finish in their workers)")
    .option("--home <dir>", "instance directory")
    .option("--timeout <seconds>", "how long to wait for it to exit before killing it", "30")
    .action((flags: { home?: string; timeout: string }) => stop(flags));
  program
    .command("status")
    .description("is a background server running for this home, where, which pid (exit 0 if running, 1 if not)")
    .option("--home <dir>", "instance directory")
    .option("--json", "print {running, pid, url, ...}")
    .action((flags: { home?: string; json?: boolean }) => status(flags));
}

async function start(flags: ServeFlags): Promise<void> {
  const location = resolveLocation(flags);
  const port = parsePort(flags.port);
  tokenForHost(flags.host);
  const home = resolveHome({ home: flags.home });
  mkdirSync(path.join(home, "logs"), { recursive: true });
  const existing = readPidFile(home);
  if (existing && isSluiceProcess(existing.pid)) throw alreadyRunning(home, existing);
  if (existsSync(pidFilePath(home))) {
    rmSync(pidFilePath(home), { force: true });
    process.stderr.write(`Removed a stale pid file${existing ? ` (pid ${existing.pid} is gone)` : ""}.\n`);
  }

  const logFile = serverLogPath(home);
  const fd = openSync(logFile, "a");
  writeSync(fd, `\n--- sluice start at ${new Date().toISOString()} ---\n`);
  const args = [SLUICE_BIN, "dev", "--port", String(port), "--host", flags.host, "--home", home, "--background"];
  if (location.file) args.push("-f", location.file);
  if (location.module) args.push("-m", location.module);
  // Its own session (detached): closing this terminal does not stop it.
  const child = spawn(process.execPath, args, { cwd: process.cwd(), detached: true, stdio: ["ignore", fd, fd], env: process.env });
  closeSync(fd);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on("exit", (code, signal) => (exit = { code, signal }));
  child.on("error", () => (exit = { code: 1, signal: null }));

  const deadline = Date.now() + START_TIMEOUT_MS;
  let info: PidFileContent | undefined;
  let health: Record<string, unknown> | undefined;
  while (Date.now() < deadline) {
    if (exit) break;
    const written = readPidFile(home);
    if (written && written.pid === child.pid) {
      info = written;
      health = await fetchHealth(written);
      if (health) break;
    }
    await sleep(100);
  }
  if (!health) {
    if (!exit) child.kill("SIGTERM");
    const how = exit ? (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`) : `did not answer within ${START_TIMEOUT_MS / 1000} s (stopped it)`;
    process.stderr.write(`The background server ${how}. Last lines of ${logFile}:\n${tail(logFile, 20)}\n`);
    if (exit?.code === 2) throw new UsageError("sluice start failed: see the log lines above.");
    process.exitCode = 1;
    return;
  }
  child.removeAllListeners();
  child.unref();
  process.stdout.write(`${info!.url}\n`);
  process.stderr.write(`Sluice is running in the background for ${home}: pid ${info!.pid}, ${info!.url}\nLog: ${logFile}\nStop it with: sluice stop --home ${home}\n`);
  const loadError = (health.definitions as { loadError?: { message?: string } } | undefined)?.loadError;
  if (loadError) process.stderr.write(`Warning: the definitions failed to load (the server shows the error and reloads when you fix them):\n${loadError.message}\n`);
}

async function stop(flags: { home?: string; timeout: string }): Promise<void> {
  const home = resolveHome({ home: flags.home });
  const timeoutS = Number(flags.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a number of seconds > 0, got "${flags.timeout}".`);
  const existing = readPidFile(home);
  if (!existing) {
    if (existsSync(pidFilePath(home))) rmSync(pidFilePath(home), { force: true });
    process.stderr.write(`Sluice is not running for ${home}.\n`);
    return;
  }
  if (!isSluiceProcess(existing.pid)) {
    releasePidFile(home, existing.pid);
    process.stderr.write(`Sluice is not running for ${home} (removed the stale pid file of pid ${existing.pid}).\n`);
    return;
  }
  process.kill(existing.pid, "SIGTERM");
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline && isSluiceProcess(existing.pid)) await sleep(100);
  if (isSluiceProcess(existing.pid)) {
    process.kill(existing.pid, "SIGKILL");
    releasePidFile(home, existing.pid);
    process.stderr.write(`Sluice (pid ${existing.pid}) did not stop within ${timeoutS} s; killed it. Runs in flight go on in their workers.\n`);
    process.exitCode = 1;
    return;
  }
  releasePidFile(home, existing.pid);
  process.stderr.write(`Stopped Sluice (pid ${existing.pid}) for ${home}. Runs in flight finish in their workers.\n`);
}

async function status(flags: { home?: string; json?: boolean }): Promise<void> {
  const home = resolveHome({ home: flags.home });
  const existing = readPidFile(home);
  const running = existing !== undefined && isSluiceProcess(existing.pid);
  if (!running) {
    if (flags.json) printJson({ running: false, home, ...(existing ? { stalePid: existing.pid } : {}) });
    else process.stdout.write(`Sluice is not running for ${home}.${existing ? ` (stale pid file of pid ${existing.pid})` : ""}\n`);
    process.exitCode = 1;
    return;
  }
  const health = await fetchHealth(existing);
  const definitions = health?.definitions as { loaded?: boolean; loadError?: { message?: string } | null } | undefined;
  if (flags.json) {
    printJson({ running: true, ...existing, answering: health !== undefined, loadError: definitions?.loadError ?? null });
    return;
  }
  const lines = [
    `Sluice is running for ${home}`,
    `  pid:     ${existing.pid}`,
    `  url:     ${existing.url}`,
    `  started: ${existing.startedAt}`,
    `  defs:    ${existing.location.file ?? existing.location.module ?? "?"}`,
    `  log:     ${existing.logFile}`,
    ...(health ? [] : ["  (it does not answer on its URL right now)"]),
    ...(definitions?.loadError ? [`  definitions failed to load: ${definitions.loadError.message}`] : []),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** GET /api/health of a server (on loopback when it binds a wildcard address); undefined when it does not answer. */
async function fetchHealth(info: PidFileContent): Promise<Record<string, unknown> | undefined> {
  const host = info.host === "0.0.0.0" ? "127.0.0.1" : info.host === "::" ? "::1" : info.host;
  const token = process.env.SLUICE_TOKEN?.trim();
  try {
    const res = await fetch(`${urlOf(host, info.port)}/api/health`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(2000),
    });
    if (res.status === 401) return { ok: true, unauthorized: true };
    return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
