/**
 * Definitions that the tests of the evaluation threads load as a code location (in the test's own
 * thread too, for the daemon's side). Every schedule and sensor is STOPPED until a test starts it;
 * what they record goes to files in FIXTURE_DIR (set before the host starts its threads).
 *
 * - `spin` (sensor) and `spin_schedule`: loop forever, synchronously. `spin` first writes
 *   FIXTURE_DIR/spin-started, so a test knows the loop has begun.
 * - `steady` (sensor, every second): skips with "steady".
 * - `whoami` (sensor): skips with the id of the thread it ran in.
 * - `hangs` (sensor): awaits a promise that never settles, its `tracked` resource set up.
 * - `exits` (sensor): ends its thread with process.exit(3).
 * - `stray` (sensor): throws from a timer after it returned, and leaves a rejected promise behind.
 * - `env_config` (sensor) and `env_schedule`: ask for a run whose config reads EnvVar FIXTURE_TOKEN.
 * - `leaky` (sensor): logs its resource's secret (EnvVar FIXTURE_TOKEN) and throws with it.
 * - `on_a` (asset sensor on asset `a`): a run per materialization, tagged with its time.
 *
 * The resource `tracked` appends `setup <threadId>` / `teardown <threadId>` to FIXTURE_DIR/resources.log.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { threadId } from "node:worker_threads";
import { z } from "zod";
import { asset } from "../../definitions/asset.js";
import { defineDefinitions } from "../../definitions/definitions.js";
import { EnvVar } from "../../definitions/env-var.js";
import { job } from "../../definitions/job.js";
import { op } from "../../definitions/op.js";
import { resource } from "../../definitions/resource.js";
import { skip } from "../../definitions/run-request.js";
import { schedule } from "../../definitions/schedule.js";
import { assetSensor, sensor } from "../../definitions/sensor.js";

const dir = process.env.FIXTURE_DIR ?? "/tmp";

/** Never returns, and never yields to the event loop. */
function loopForever(): never {
  for (;;) {
    // Busy, as a synchronous endless loop is.
  }
}

const work = job({ name: "work", ops: [op({ name: "work", config: z.object({ token: z.string() }).partial(), run: () => 1 })] });
const a = asset({ key: "a", run: () => 1 });
const tokenConfig = { ops: { work: { config: { token: EnvVar("FIXTURE_TOKEN") } } } };

const tracked = resource({
  config: z.object({ token: z.string() }),
  setup: ({ token }) => {
    appendFileSync(path.join(dir, "resources.log"), `setup ${threadId}\n`);
    return { token };
  },
  teardown: () => appendFileSync(path.join(dir, "resources.log"), `teardown ${threadId}\n`),
});

export default defineDefinitions({
  assets: [a],
  jobs: [work],
  sensors: [
    sensor({
      name: "spin",
      job: work,
      minimumIntervalSeconds: 5,
      evaluate: () => {
        writeFileSync(path.join(dir, "spin-started"), "");
        return loopForever();
      },
    }),
    sensor({ name: "steady", job: work, minimumIntervalSeconds: 1, evaluate: () => skip("steady") }),
    sensor({ name: "whoami", job: work, evaluate: () => skip(String(threadId)) }),
    sensor({ name: "hangs", job: work, resources: { tracked }, evaluate: () => new Promise<never>(() => undefined) }),
    sensor({ name: "exits", job: work, evaluate: () => process.exit(3) }),
    sensor({
      name: "stray",
      job: work,
      evaluate: () => {
        setTimeout(() => {
          throw new Error("stray error from a timer");
        }, 0);
        void Promise.reject(new Error("stray rejection"));
        return skip("returned before its errors");
      },
    }),
    sensor({ name: "env_config", job: work, evaluate: () => [{ runKey: "with-token", runConfig: tokenConfig }] }),
    sensor({
      name: "leaky",
      job: work,
      resources: { tracked },
      evaluate: ({ resources, log }) => {
        log.info(`connecting with token ${resources.tracked.token}`);
        throw new Error(`token ${resources.tracked.token} was refused`);
      },
    }),
    assetSensor({
      name: "on_a",
      asset: a,
      job: work,
      minimumIntervalSeconds: 1,
      evaluate: (_context, event) => ({ runKey: `m${event.eventId}`, tags: { at: event.timestamp.toISOString() } }),
    }),
  ],
  schedules: [
    schedule({ name: "spin_schedule", cron: "* * * * *", job: work, execute: () => loopForever() }),
    schedule({ name: "env_schedule", cron: "* * * * *", job: work, execute: () => tokenConfig }),
  ],
  resources: { tracked: { token: EnvVar("FIXTURE_TOKEN") } },
});
