/**
 * Helpers for end-to-end tests of `sluice dev|server|start|stop|status`: start a real server as a
 * user would (`bin/sluice.js`, an ephemeral port, a fresh instance home), call its HTTP API, read
 * its server-sent events, and clean up every process a test started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CLI, REPO_ROOT, stripAnsi, tempDir } from "../cli/helpers.js";
import { isAlive, pgrep, sleep, waitFor } from "../daemon/helpers.js";

export { waitFor, sleep };

/**
 * True while the process runs. A zombie counts as ended: a background server's parent (`sluice
 * start`) has exited, and in a container nothing may reap it.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The server fixture (assets raw/source → numbers → total, lonely; jobs hello and everything). */
export const SERVER_DEFS = path.join(REPO_ROOT, "test", "fixtures", "server", "defs.ts");
/** The value of the fixture's secret env var: it must never appear in API output. */
export const SECRET = "sekrit-api-key-4711";

/** A running `sluice dev` or `sluice server`. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote on stderr so far (its log). */
  log(): string;
  /** SIGTERM, then wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/** One test's world: an instance home, a fixture directory (flags), and the processes it started. */
export class ServerSandbox {
  readonly root: string;
  readonly home: string;
  readonly fixtureDir: string;
  readonly servers: ServerProcess[] = [];

  constructor() {
    this.root = tempDir("sluice-server-");
    this.home = path.join(this.root, "home");
    this.fixtureDir = path.join(this.root, "fixture");
    mkdirSync(this.home, { recursive: true });
    mkdirSync(this.fixtureDir, { recursive: true });
  }

  /** The environment of processes of this sandbox. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: "1", FIXTURE_DIR: this.fixtureDir, SERVER_FIXTURE_API_KEY: SECRET };
    delete env.SLUICE_HOME;
    delete env.SLUICE_TOKEN;
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /**
   * Starts `sluice <command> ...args --port 0 --home HOME` and resolves with its URL (the first
   * line it prints on stdout); rejects with its log if it exits first.
   */
  async startServer(command: "dev" | "server", args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; home?: string } = {}): Promise<ServerProcess> {
    const child = spawn(process.execPath, [CLI, command, ...args, "--port", "0", "--home", options.home ?? this.home], {
      cwd: options.cwd ?? this.root,
      env: this.env(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    const url = await waitFor(
      `sluice ${command} to print its URL`,
      () => {
        if (exitedEarly) throw new Error(`sluice ${command} exited before it was ready:\n${stripAnsi(stderr)}`);
        const line = stdout.split("\n").find((l) => l.startsWith("http://"));
        return line?.trim();
      },
      60_000,
      50,
    ).catch((err: Error) => {
      child.kill("SIGKILL");
      throw new Error(`${err.message}\n--- log\n${stripAnsi(stderr)}`);
    });
    const server: ServerProcess = {
      child,
      url,
      log: () => stripAnsi(stderr),
      exited,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        return exited;
      },
    };
    this.servers.push(server);
    return server;
  }

  /** Sets a fixture flag (a file in FIXTURE_DIR). */
  setFlag(name: string, content = ""): void {
    writeFileSync(path.join(this.fixtureDir, name), content);
  }

  /** Kills every process this sandbox started, run workers included (found by the home they were given). */
  async dispose(): Promise<void> {
    for (const s of this.servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
    await Promise.all(this.servers.map((s) => s.exited));
    for (const pid of pgrep(this.root)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
  }
}

/** An HTTP response: status, headers and parsed JSON body. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Calls the API: `api(url, "GET", "/api/runs")`, `api(url, "POST", "/api/runs", {selection: "*"})`.
 * Every method but GET and HEAD sends `Content-Type: application/json`, body or not, as the API requires.
 */
export async function api<T = any>(base: string, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  const json = body !== undefined || !["GET", "HEAD"].includes(method.toUpperCase());
  const res = await fetch(`${base}${pathname}`, {
    method,
    headers: { ...(json ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (the HTML page): keep the text.
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Polls GET /api/runs/:id until the run has one of these statuses; returns the run JSON. */
export function waitForRun(base: string, runId: string, statuses: readonly string[], timeoutMs = 60_000, headers: Record<string, string> = {}): Promise<any> {
  return waitFor(
    `run ${runId} to be ${statuses.join(" or ")}`,
    async () => {
      const res = await api(base, "GET", `/api/runs/${runId}`, undefined, headers);
      return statuses.includes(res.body?.run?.status) ? res.body.run : undefined;
    },
    timeoutMs,
    100,
  );
}

/** One server-sent event. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: any;
}

/** A live connection to /api/events/stream that collects messages. */
export interface SseClient {
  messages: SseMessage[];
  status: number;
  contentType: string | null;
  /** Resolves with the first message (already received or to come) for which `match` is true. */
  waitFor(what: string, match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Opens the event stream (fetch, reading the body as it comes, as EventSource would). */
export async function openStream(base: string, query = "", headers: Record<string, string> = {}): Promise<SseClient> {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/events/stream${query}`, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  const messages: SseMessage[] = [];
  const client: SseClient = {
    messages,
    status: res.status,
    contentType: res.headers.get("content-type"),
    waitFor: (what, match, timeoutMs = 60_000) => waitFor(`SSE ${what}`, () => messages.find(match), timeoutMs, 25),
    close: () => controller.abort(),
  };
  if (!res.body || res.status !== 200) return client;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (name === "data") data.push(value);
            else fields[name] = value;
          }
          if (data.length === 0) continue;
          const text = data.join("\n");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Keep the text.
          }
          messages.push({ event: fields.event ?? "message", id: fields.id, data: parsed });
        }
      }
    } catch {
      // Closed by the test or the server.
    }
  })();
  return client;
}

/**
 * A project directory outside the repository that imports "sluice" and "zod" as a user's would
 * (node_modules links to this repository and its zod), with `"type": "module"`.
 */
export function tempProject(files: Record<string, string>): string {
  const dir = tempDir("sluice-project-");
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  symlinkSync(REPO_ROOT, path.join(dir, "node_modules", "sluice"));
  symlinkSync(path.join(REPO_ROOT, "node_modules", "zod"), path.join(dir, "node_modules", "zod"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "demo", private: true, type: "module" }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}
