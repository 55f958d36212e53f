import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { ConfigError, errorMessage } from "../definitions/errors.js";

/** A value written literally, or `{env: NAME}`: read from that environment variable when the instance opens. */
const stringOrEnvSchema = z.union([
  z.string().min(1),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name") }).strict(),
]);

/** `storage:` — SQLite (the default) or Postgres, exactly one of them. */
const storageSettingsSchema = z
  .object({
    sqlite: z
      .object({
        /** Database file, relative to the home directory. */
        path: z.string().min(1).default("sluice.db"),
      })
      .strict()
      .optional(),
    postgres: z
      .object({
        /** `postgres://USER:PASSWORD@HOST:PORT/DATABASE`, or `{env: DATABASE_URL}`. */
        url: stringOrEnvSchema.refine((url) => typeof url !== "string" || /^postgres(ql)?:\/\//i.test(url), {
          message: "must be a postgres:// or postgresql:// URL",
        }),
        /** Schema holding Sluice's tables (created when missing); default `public`. */
        schema: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a plain identifier: letters, digits and _, at most 63")
          .optional(),
        /** Connections each Sluice process keeps at most (default 5). */
        pool_size: z.number().int().min(1).max(100).optional(),
        /**
         * How long an operation that lost its connection (a Postgres restart or failover) is tried
         * again before it fails (default 60; 0: never).
         */
        reconnect_timeout_seconds: z.number().min(0).max(3600).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((storage) => !(storage.sqlite && storage.postgres), {
    message: "give either storage.sqlite or storage.postgres, not both",
  })
  .default({});

/** Schema of `SLUICE_HOME/sluice.yaml`. Unknown keys are errors, so a typo never passes silently. */
export const instanceSettingsSchema = z
  .object({
    storage: storageSettingsSchema,
    execution: z
      .object({
        max_concurrent: z.number().int().min(1).optional(),
      })
      .strict()
      .default({}),
    run_queue: z
      .object({
        /** Runs in progress at once, across the instance. */
        max_concurrent_runs: z.number().int().min(1).default(10),
        /**
         * Who claims queued runs: the daemon (its coordinator launches each in a child process on
         * its machine), or only `sluice worker` processes (on any machines).
         */
        executed_by: z.enum(["daemon", "workers"]).default("daemon"),
        tag_concurrency_limits: z
          .array(
            z
              .object({
                key: z.string().min(1),
                value: z.union([z.string(), z.object({ applyLimitPerUniqueValue: z.literal(true) }).strict()]).optional(),
                limit: z.number().int().min(0),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ max_concurrent_runs: 10, executed_by: "daemon", tag_concurrency_limits: [] }),
    backfills: z
      .object({
        /** Runs the daemon launches for backfills per iteration (4 a second), at most, across backfills. */
        launch_batch_size: z.number().int().min(1).max(10_000).default(100),
        /**
         * Runs of one backfill waiting in the queue (QUEUED), at most: the daemon launches more as
         * the run coordinator starts them, so a large backfill never floods the queue.
         */
        max_queued_runs: z.number().int().min(1).max(100_000).default(1000),
      })
      .strict()
      .default({ launch_batch_size: 100, max_queued_runs: 1000 }),
    freshness: z
      .object({
        /** How often the daemon evaluates the freshness policies of assets (and records changes). */
        evaluation_interval_seconds: z.number().positive().max(86_400).default(30),
      })
      .strict()
      .default({ evaluation_interval_seconds: 30 }),
    automation: z
      .object({
        /** How often the daemon evaluates the automation conditions of assets (and requests their runs). */
        evaluation_interval_seconds: z.number().positive().max(86_400).default(30),
      })
      .strict()
      .default({ evaluation_interval_seconds: 30 }),
    run_retries: z
      .object({
        /** Failed runs are re-executed from failure up to this many times (0: off). */
        max_retries: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ max_retries: 0 }),
    run_monitoring: z
      .object({
        /** A run whose worker has not heartbeat for this long is marked FAILURE. */
        heartbeat_timeout_seconds: z.number().positive().default(15),
        /** A canceled run's worker that has not stopped after this long is killed. */
        cancel_timeout_seconds: z.number().positive().default(10),
        /** How often monitoring looks. */
        poll_interval_seconds: z.number().positive().default(2),
      })
      .strict()
      .default({ heartbeat_timeout_seconds: 15, cancel_timeout_seconds: 10, poll_interval_seconds: 2 }),
    run_launcher: z
      .object({
        /**
         * How much lower than the daemon's the CPU priority of run workers is (a nice increment,
         * 0–19). Busy workers then cannot starve the daemon: schedule ticks, sensors and
         * monitoring stay on time while user code saturates the CPU. 0 runs them as the daemon.
         */
        worker_nice: z.number().int().min(0).max(19).default(5),
        /**
         * Run workers kept started ahead of time, with Node, Sluice, storage and the definitions
         * already loaded, so that a run starts without waiting for that (at most this many, and no
         * more than the runs a launcher executes at once). Each executes one run and exits, as a
         * worker started for its run would; definitions changed since it loaded them are not
         * used. 0 turns them off: every run's worker is started when the run is.
         */
        standby_workers: z.number().int().min(0).max(64).default(2),
      })
      .strict()
      .default({ worker_nice: 5, standby_workers: 2 }),
    schedules_and_sensors: z
      .object({
        /**
         * How long a schedule's or sensor's function may take (and its resources to set up, and to
         * tear down) before the tick fails. A function that keeps its evaluation thread busy past
         * this (a synchronous loop) has the thread stopped.
         */
        evaluation_timeout_seconds: z.number().positive().max(86_400).default(60),
        /**
         * Threads that evaluate schedule and sensor functions, at most: each evaluates one at a
         * time, so a function stuck in a loop holds up only its own thread (until the timeout).
         */
        evaluation_threads: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .default({ evaluation_timeout_seconds: 60, evaluation_threads: 4 }),
  })
  .strict();

/** Parsed `sluice.yaml` (all defaults applied). */
export type InstanceSettings = z.output<typeof instanceSettingsSchema>;

/** The run queue limits of the settings, in storage's terms. */
export function runQueueLimits(settings: InstanceSettings): import("../storage/records.js").RunQueueLimits {
  return {
    maxConcurrentRuns: settings.run_queue.max_concurrent_runs,
    tagLimits: settings.run_queue.tag_concurrency_limits.map((l) =>
      typeof l.value === "object"
        ? { key: l.key, perUniqueValue: true, limit: l.limit }
        : { key: l.key, ...(l.value !== undefined ? { value: l.value } : {}), limit: l.limit },
    ),
  };
}

/** Reads and validates a `sluice.yaml`; a missing file means defaults. Throws ConfigError naming file and path. */
export function readInstanceSettings(file: string): InstanceSettings {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return instanceSettingsSchema.parse({});
    throw err;
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${errorMessage(err)}`, file);
  }
  const result = instanceSettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  throw new ConfigError(`${file} is invalid:\n${lines.join("\n")}`, result.error.issues[0]?.path.map(String).join(".") ?? "");
}
