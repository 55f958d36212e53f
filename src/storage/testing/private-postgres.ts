/**
 * A private Postgres cluster for tests that stop, crash or restart the database server: the shared
 * server at 127.0.0.1:5432 serves every other test file at the same time, so it must never be
 * touched. The cluster lives in a temp directory, listens on a free port of 127.0.0.1 with trust
 * auth, and is removed by {@link PrivatePostgres.remove}.
 *
 * Postgres refuses to run as root: when this process is root (CI), initdb and pg_ctl run as the
 * `postgres` OS user (`runuser`), and the cluster's directory is handed to that user.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where Debian's Postgres 15 binaries are; `SLUICE_TEST_PG_BIN` overrides it. */
export const POSTGRES_BIN_DIR: string = process.env.SLUICE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** How {@link PrivatePostgres.stop} stops the server (pg_ctl's `-m`). */
export type PostgresStopMode = "immediate" | "fast" | "smart";

/** Options of {@link PrivatePostgres.create}. */
export interface PrivatePostgresOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Extra server settings (`-c name=value`), e.g. `{ max_connections: "200" }`. */
  settings?: Record<string, string>;
}

/**
 * One Postgres cluster of a test's own: created and started by {@link create}, then stopped
 * (`pg_ctl stop -m immediate` to simulate a crash, `fast` for a clean shutdown), started again,
 * and removed.
 *
 * @example
 * const pg = await PrivatePostgres.create();
 * try {
 *   await pg.stop("immediate");   // every connection drops, as in a crash
 *   await pg.start();
 * } finally {
 *   await pg.remove();
 * }
 */
export class PrivatePostgres {
  /** The temp directory holding the data directory, the socket directory and the server log. */
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly port: number;
  readonly #settings: Record<string, string>;
  #running = false;

  private constructor(root: string, port: number, settings: Record<string, string>) {
    this.root = root;
    this.dataDir = path.join(root, "data");
    this.socketDir = path.join(root, "sock");
    this.logFile = path.join(root, "postgres.log");
    this.port = port;
    this.#settings = settings;
  }

  /**
   * Initializes a cluster in a new temp directory and starts it. Throws an Error naming the
   * command, its output and the server log when initdb or pg_ctl fails (binaries missing, port
   * taken, not allowed to switch to the `postgres` user).
   */
  static async create(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    if (!existsSync(path.join(POSTGRES_BIN_DIR, "initdb"))) {
      throw new Error(`No Postgres binaries in ${POSTGRES_BIN_DIR} (initdb is missing): install postgresql-15, or set SLUICE_TEST_PG_BIN.`);
    }
    const root = mkdtempSync(path.join(os.tmpdir(), "sluice-pg-"));
    const cluster = new PrivatePostgres(root, options.port ?? (await freePort()), options.settings ?? {});
    try {
      mkdirSync(cluster.socketDir);
      if (isRoot()) {
        const { uid, gid } = postgresUser();
        for (const dir of [root, cluster.socketDir]) chownSync(dir, uid, gid);
      }
      await cluster.#pg("initdb", ["-D", cluster.dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
      await cluster.start();
    } catch (err) {
      await cluster.remove().catch(() => undefined);
      throw err;
    }
    return cluster;
  }

  /** A URL of a database of the cluster (`postgres` by default). */
  url(database = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Whether the server was started and not stopped since (by this object). */
  get running(): boolean {
    return this.#running;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const settings = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: this.socketDir,
      // A test cluster: a crash here is a process crash, which loses nothing the OS has, so fsync
      // only costs the shared disk time.
      fsync: "off",
      ...this.#settings,
    };
    const serverOptions = [`-p ${this.port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" ");
    await this.#pg("pg_ctl", ["start", "-D", this.dataDir, "-w", "-t", "60", "-l", this.logFile, "-o", serverOptions]);
    this.#running = true;
  }

  /**
   * Stops the server: `immediate` kills it as a crash would (connections drop, no checkpoint;
   * recovery runs at the next start), `fast` disconnects clients and shuts down cleanly.
   */
  async stop(mode: PostgresStopMode = "fast"): Promise<void> {
    await this.#pg("pg_ctl", ["stop", "-D", this.dataDir, "-m", mode, "-w", "-t", "60"]);
    this.#running = false;
  }

  /** Stops the server (`mode`), waits `downMs`, and starts it again. */
  async restart(mode: PostgresStopMode = "fast", downMs = 0): Promise<void> {
    await this.stop(mode);
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
  }

  /** Stops the server if it runs (immediately: its data is thrown away) and deletes the cluster. */
  async remove(): Promise<void> {
    if (existsSync(path.join(this.dataDir, "postmaster.pid"))) {
      await this.#pg("pg_ctl", ["stop", "-D", this.dataDir, "-m", "immediate", "-w", "-t", "30"]).catch(() => undefined);
    }
    this.#running = false;
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The server log so far (for failure messages). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }

  /** Runs a Postgres binary, as the `postgres` user when this process is root. */
  async #pg(binary: string, args: string[]): Promise<void> {
    const file = path.join(POSTGRES_BIN_DIR, binary);
    const [command, commandArgs] = isRoot() ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
    try {
      await run(command, commandArgs, { cwd: this.root, timeout: 90_000 });
    } catch (err) {
      const { stdout, stderr, message } = err as { stdout?: string; stderr?: string; message: string };
      const tail = this.log().split("\n").slice(-20).join("\n");
      throw new Error(
        `${binary} ${args.join(" ")} failed for the private Postgres cluster in ${this.root} (port ${this.port}): ${message}\n` +
          `${stdout ?? ""}${stderr ?? ""}${tail ? `--- server log (last lines)\n${tail}` : ""}`,
      );
    }
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** uid and gid of the `postgres` OS user; throws when there is none. */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error("Running as root, but there is no `postgres` OS user to run the private Postgres cluster as (Postgres refuses to run as root).");
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
