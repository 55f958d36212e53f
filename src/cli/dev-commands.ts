import { Option, type Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { LoadError, UsageError } from "../definitions/errors.js";
import { DaemonSupervisor } from "../daemon/daemon-supervisor.js";
import { codeLocationState } from "../instance/code-location.js";
import { projectDirOf } from "../instance/fresh-import.js";
import { readWorkspace, type CodeLocation } from "../instance/load-definitions.js";
import { packageRoot } from "../instance/package-root.js";
import { tokenForHost } from "../server/auth.js";
import { alreadyRunning, claimPidFile, isSluiceProcess, readPidFile, releasePidFile, serverLogPath } from "./pid-file.js";
import { watchProject, type ProjectWatcher } from "./project-watcher.js";
import { startSluiceServer } from "../server/sluice-server.js";
import { openInstance, type LocationOptions } from "./cli-context.js";
import { logUserCodeErrors } from "./user-code-errors.js";

/** Flags of `sluice dev`, `sluice server` and `sluice start`. */
export interface ServeFlags extends LocationOptions {
  port: string;
  host: string;
  watch?: boolean;
  background?: boolean;
}

/** Adds -f, -m, --home, --port and --host to a command. */
export function addServeOptions(cmd: Command): Command {
  return cmd
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--port <port>", "port to listen on (0: any free port)", "3000")
    .option("--host <host>", "address to bind; anything but loopback needs SLUICE_TOKEN", "127.0.0.1");
}

/** The port of `--port`; throws UsageError unless it is a whole number from 0 to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${value}".`);
  }
  return port;
}

/**
 * The code location of -f / -m, or of the workspace.yaml in the working directory, checked before
 * anything starts: exactly one, and an existing file (UsageError / LoadError, exit 2, otherwise).
 * A file comes back as an absolute path.
 */
export function resolveLocation(flags: LocationOptions): CodeLocation {
  if (flags.file && flags.module) throw new UsageError("Give either -f FILE or -m MODULE, not both.");
  const location = flags.file || flags.module ? { file: flags.file, module: flags.module } : readWorkspace(process.cwd());
  if (!location) throw new UsageError("No definitions given. Pass -f FILE (a .ts or .js file) or -m MODULE, or add a workspace.yaml here.");
  if (location.file) {
    const file = path.resolve(location.file);
    if (!existsSync(file)) throw new LoadError(`Definitions file ${location.file} does not exist (looked in ${process.cwd()}).`, file);
    return { file };
  }
  return { module: location.module };
}

/** Sluice's version from its package.json. */
export function sluiceVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/** `sluice dev` (server + daemon + run workers, reload on save) and `sluice server` (the web server alone). */
export function registerDevCommands(program: Command): void {
  addServeOptions(program.command("dev").description("web server + daemon + run workers; reloads definitions when a project file changes"))
    .option("--no-watch", "do not reload when files change (POST /api/reload still does)")
    .addOption(new Option("--background", "run as `sluice start`'s background server (writes HOME/sluice.pid)").hideHelp())
    .action((flags: ServeFlags) => serve("dev", flags));
  addServeOptions(program.command("server").description("web server only (runs are launched by a separate `sluice daemon`)")).action((flags: ServeFlags) =>
    serve("server", flags),
  );
}

async function serve(mode: "dev" | "server", flags: ServeFlags): Promise<void> {
  const location = resolveLocation(flags);
  const port = parsePort(flags.port);
  const token = tokenForHost(flags.host);
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const instance = await openInstance(flags);
  const home = instance.home;
  if (flags.background) {
    const existing = readPidFile(home);
    if (existing && existing.pid !== process.pid && isSluiceProcess(existing.pid)) {
      await instance.close();
      throw alreadyRunning(home, existing);
    }
  }
  // User code runs in this process (the definitions' modules; schedule and sensor functions run in
  // evaluation threads, which log their own strays): whatever it throws later, asynchronously, is
  // logged; it must not take the server down.
  const releaseErrorHandlers = logUserCodeErrors("the server", log);

  // `sluice dev` is the server, a daemon in this process (restarted on every successful load) and a
  // watcher that reloads on save, around one code location; `sluice server` is the server alone.
  const cwd = process.cwd();
  const state = codeLocationState(location, cwd);
  const daemon = mode === "dev" ? new DaemonSupervisor({ instance, location, log }) : undefined;
  let server;
  try {
    server = await startSluiceServer({
      instance,
      location: state,
      source: location.file ?? location.module!,
      host: flags.host,
      port,
      token,
      mode,
      daemonInProcess: () => daemon?.running ?? false,
      onDefinitions: (defs) => void daemon?.restart(defs),
      version: sluiceVersion(),
      log,
    });
  } catch (err) {
    await daemon?.stop();
    await instance.close();
    throw err;
  }
  let watcher: ProjectWatcher | undefined;
  const projectDir = mode === "dev" && flags.watch !== false ? projectDirOf(location, cwd) : undefined;
  if (projectDir) {
    watcher = watchProject(
      projectDir,
      (files) => {
        log(`changed: ${files.map((f) => path.relative(cwd, f) || f).slice(0, 5).join(", ")}${files.length > 5 ? ", ..." : ""}; reloading definitions`);
        void state.load();
      },
      { ignore: [instance.home], log },
    );
  }
  if (flags.background) {
    try {
      claimPidFile({
        pid: process.pid,
        port: server.port,
        host: server.host,
        url: server.url,
        startedAt: new Date().toISOString(),
        location: location.file ? { file: location.file } : { module: location.module! },
        home,
        logFile: serverLogPath(home),
      });
    } catch (err) {
      watcher?.close();
      await server.close();
      await daemon?.stop();
      await instance.close();
      throw err;
    }
  }

  const what = mode === "dev" ? "Sluice dev (server + daemon)" : "Sluice server";
  log(`${what} for ${location.file ?? location.module} listening on ${server.url} (home ${home})${token ? "; API calls need the SLUICE_TOKEN" : ""}`);
  process.stdout.write(`${server.url}\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log(`${signal}: stopping (runs in flight go on in their workers)`);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  try {
    watcher?.close();
    await server.close();
    await daemon?.stop();
    await instance.close();
  } finally {
    if (flags.background) releasePidFile(home);
    releaseErrorHandlers();
    log("stopped");
    // Anything user code left running (timers, sockets) must not keep a stopped server alive.
    setTimeout(() => process.exit(typeof process.exitCode === "number" ? process.exitCode : 0), 2000).unref();
  }
}
