import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/**
 * Write transactions a connection commits before its checkpoints move to a thread: a short command
 * (a CLI read, a one-step run) never starts the thread; a run of many steps does after a few.
 */
const COMMITS_BEFORE_THREAD = 64;
/** Commits between two passive checkpoints of the thread. */
const COMMITS_PER_CHECKPOINT = 64;
/**
 * The connection's own automatic checkpoint once the thread runs, in pages (SQLite's default is
 * 1,000): a backstop that only acts if the thread falls far behind, so the WAL stays bounded.
 */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The thread's code: its own connection to the file, a PASSIVE checkpoint (it never waits for a lock
 * and never blocks a writer) each time the request counter moves, closed when the stop flag is set.
 * The writer signals through shared memory: a message would cost it far more than the counter does.
 * Kept as a string so that it runs the same from the sources and from the bundle.
 */
const THREAD_CODE = `
const { workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const signals = new Int32Array(workerData.signals);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
let seen = 0;
for (;;) {
  Atomics.wait(signals, 0, seen);
  if (Atomics.load(signals, 1) !== 0) break;
  seen = Atomics.load(signals, 0);
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy (another process checkpoints now) or briefly unreadable: the next request tries again,
    // and the writer's own backstop checkpoint bounds the WAL meanwhile.
  }
}
db.close();
`;

/** Slots of the shared signals: the request counter, and the stop flag. */
const REQUESTS = 0;
const STOP = 1;

/**
 * Moves a busy writer's WAL checkpoints off its thread. In WAL mode with synchronous=NORMAL a commit
 * only appends to the WAL; every 1,000 pages the committing connection copies the WAL back into the
 * database and fsyncs both, inside that commit: on a chain of small transactions, these few commits
 * cost more than all the others together, and on the event loop of the run. Once a connection has
 * committed {@link COMMITS_BEFORE_THREAD} write transactions, a worker thread with a connection of
 * its own runs a passive checkpoint every {@link COMMITS_PER_CHECKPOINT} commits, and the writer's
 * automatic checkpoint is raised to a backstop. What is checkpointed, and when data is safe, is
 * unchanged: the same checkpoints run, on another thread.
 */
export class BackgroundCheckpointer {
  readonly #raw: BetterSqlite3.Database;
  readonly #file: string;
  #commits = 0;
  #worker: Worker | undefined;
  readonly #signals = new Int32Array(new SharedArrayBuffer(8));
  #stopped = false;

  constructor(raw: BetterSqlite3.Database, file: string) {
    this.#raw = raw;
    this.#file = file;
  }

  /** Resolves once the thread has ended (at once when none was started). */
  exited(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined || worker.threadId === -1) return Promise.resolve();
    return new Promise((resolve) => worker.once("exit", () => resolve()));
  }

  /** Whether the thread runs (for tests). */
  get running(): boolean {
    return this.#worker !== undefined && !this.#stopped;
  }

  /** Called after each committed write transaction of the connection. */
  committed(): void {
    if (this.#stopped) return;
    this.#commits += 1;
    if (this.#worker === undefined) {
      if (this.#commits >= COMMITS_BEFORE_THREAD) this.#start();
    } else if (this.#commits % COMMITS_PER_CHECKPOINT === 0) {
      Atomics.add(this.#signals, REQUESTS, 1);
      Atomics.notify(this.#signals, REQUESTS);
    }
  }

  /** Stops the thread (it closes its connection); the writer's checkpoints go back to normal. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    Atomics.store(this.#signals, STOP, 1);
    Atomics.add(this.#signals, REQUESTS, 1);
    Atomics.notify(this.#signals, REQUESTS);
  }

  #start(): void {
    let worker: Worker;
    try {
      worker = new Worker(THREAD_CODE, {
        eval: true,
        workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), file: this.#file, signals: this.#signals.buffer },
        // A small heap: the thread holds one connection and waits.
        resourceLimits: { maxOldGenerationSizeMb: 32 },
      });
    } catch {
      // No thread (resource limits): checkpoints stay where they were, on the writer.
      this.#stopped = true;
      return;
    }
    // Never keeps the process alive, and an error in it only returns checkpoints to the writer.
    worker.unref();
    worker.on("error", () => this.#fallBack());
    worker.on("exit", () => this.#fallBack());
    this.#worker = worker;
    this.#raw.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  }

  #fallBack(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      if (this.#raw.open) this.#raw.pragma("wal_autocheckpoint = 1000");
    } catch {
      // The connection is closing.
    }
  }
}
