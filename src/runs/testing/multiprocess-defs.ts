/**
 * Definitions for the multiprocess executor's tests: loaded by the test itself and again by each
 * step's child process (see execution/testing/fixture-step-processes.ts), as a code location is.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { asset } from "../../definitions/asset.js";
import { defineDefinitions } from "../../definitions/definitions.js";
import { EnvVar } from "../../definitions/env-var.js";
import type { IOManager } from "../../execution/io-manager.js";
import { job } from "../../definitions/job.js";
import { op } from "../../definitions/op.js";
import { staticPartitions } from "../../definitions/partitions/static-partitions.js";
import { resource } from "../../definitions/resource.js";

/** Keeps the CPU busy for `ms` without yielding to the event loop. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
}

const small = asset({ key: "small", run: () => ({ n: 2, pid: process.pid }) });
/** Over the default IO manager's inline limit (64 KiB of JSON): stored in a file. */
const large = asset({ key: "large", ins: { small }, run: ({ small: s }) => Array.from({ length: 30_000 }, (_, i) => i * s.n) });
const total = asset({
  key: "total",
  ins: { small, large },
  run: ({ small: s, large: l }, { log, addMetadata }) => {
    log.info(`adding ${l.length} numbers in process ${process.pid}`);
    addMetadata({ count: l.length, upstreamPid: s.pid });
    return l.reduce((sum, v) => sum + v, 0);
  },
});

const flaky = asset({
  key: "flaky",
  retry: { maxRetries: 2, delayMs: 0 },
  run: (_i, { attempt }) => {
    if (attempt === 1) throw new Error("first attempt fails");
    return attempt;
  },
});

const crash = asset({
  key: "crash",
  run: (): number => {
    process.exit(3);
  },
});
const afterCrash = asset({ key: "after_crash", ins: { crash }, run: ({ crash: c }) => c + 1 });
/** Throws from a timer, where no promise catches it. */
const strayThrow = asset({
  key: "stray_throw",
  run: () =>
    new Promise<number>(() => {
      setTimeout(() => {
        throw new Error("thrown from a timer");
      }, 1);
    }),
});
const bystander = asset({ key: "bystander", run: () => "fine" });

/** Never ends, and ignores its abort signal (SIGTERM aborts it): only SIGKILL stops it. */
const hang = asset({
  key: "hang",
  run: async (_i, { log }): Promise<never> => {
    log.info(`pid ${process.pid}`);
    for (;;) {
      spin(20);
      // Yields, so its log line leaves the process; the signal is never looked at.
      await new Promise((resolve) => setImmediate(resolve));
    }
  },
});

/** Two CPU-bound steps that record when their work ran, by this process's clock (epoch ms). */
const cpu = (key: string) =>
  asset({
    key,
    run: (_i, { addMetadata }) => {
      const startedAt = Date.now();
      spin(Number(process.env.SLUICE_TEST_SPIN_MS ?? 400));
      addMetadata({ startedAt, endedAt: Date.now() });
      return key;
    },
  });

const vault = resource({ config: z.object({ token: z.string() }), setup: ({ token }) => ({ token }) });
const secretive = asset({
  key: "secretive",
  resources: { vault },
  run: (_i, { resources, log }) => {
    log.info(`token is ${resources.vault.token}`);
    console.log(`printed token ${resources.vault.token}`);
    return "ok";
  },
});

/** Logs its setup and teardown with the pid of the process that ran them. */
const tracked = resource({
  setup: (_config, { log }) => {
    log.info(`setup in ${process.pid}`);
    return { pid: process.pid };
  },
  teardown: (_value, { log }) => log.info(`teardown in ${process.pid}`),
});
const usesTracked = asset({ key: "uses_tracked", resources: { tracked }, run: (_i, { resources }) => resources.tracked.pid });

/** An IO manager of the project's own: values as JSON files under SLUICE_TEST_IO_DIR. */
const jsonFiles = resource({
  setup: (): IOManager => {
    const dir = process.env.SLUICE_TEST_IO_DIR!;
    const file = (key: string) => path.join(dir, `${key.replaceAll("/", "__")}.json`);
    return {
      handleOutput: (context, value) => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file(context.assetKey ?? context.stepKey), JSON.stringify({ value, writtenBy: process.pid }));
        return { writtenBy: process.pid };
      },
      loadInput: (context) => (JSON.parse(readFileSync(file(context.assetKey ?? context.upstreamStepKey), "utf8")) as { value: unknown }).value,
    };
  },
});
const customUp = asset({ key: "custom_up", ioManager: "json_files", run: () => ({ words: ["a", "b"] }) });
const customDown = asset({ key: "custom_down", ins: { up: customUp }, run: ({ up }) => up.words.join("+") });

/** An op job: op outputs are values of the run, not assets. */
const first = op({ name: "first", run: () => 20 });
const second = op({ name: "second", ins: { x: first }, run: ({ x }: { x: number }) => x + 1 });

/** Partitioned assets: the downstream reads the same key of the upstream. */
const regions = staticPartitions(["eu", "us"]);
const regional = asset({ key: "regional", partitions: regions, run: (_i, { partitionKey }) => `data of ${partitionKey}` });
const regionalReport = asset({ key: "regional_report", partitions: regions, ins: { regional }, run: ({ regional: r }) => r.toUpperCase() });

export default defineDefinitions({
  assets: [small, large, total, flaky, crash, afterCrash, bystander, hang, cpu("cpu_a"), cpu("cpu_b"), secretive, customUp, customDown, usesTracked, strayThrow, regional, regionalReport],
  jobs: [job({ name: "two_ops", ops: [first, second] })],
  resources: { vault: { token: EnvVar("SLUICE_TEST_MP_TOKEN") }, json_files: jsonFiles },
  executor: { kind: "multiprocess", maxConcurrent: 4 },
});
