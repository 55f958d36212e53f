import type { Command } from "commander";
import { existsSync } from "node:fs";
import type { Definitions } from "../definitions/definitions.js";
import { UsageError } from "../definitions/errors.js";
import { evaluateSensorOnce } from "../daemon/sensor-daemon.js";
import { ThreadEvaluationHost } from "../daemon/thread-evaluation-host.js";
import { InstigatorStatus, InstigatorType, type InstigatorState } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";
import { loadFromOptions, printJson, withInstance, type LocationOptions } from "./cli-context.js";
import { iso, table } from "./format.js";
import { formatTick, registerSchedulePreview } from "./schedule-preview.js";
import { sensorPreview } from "./sensor-preview.js";

type Kind = "schedule" | "sensor";

function statusOf(state: InstigatorState | undefined, defaultStatus: string): string {
  return state?.status ?? defaultStatus;
}

/** `sluice schedule list|start|stop|preview` and `sluice sensor list|start|stop|preview`. */
export function registerInstigatorCommands(program: Command): void {
  const scheduleCmd = program.command("schedule").description("list, start, stop and preview schedules");
  const sensorCmd = program.command("sensor").description("list, start, stop and preview sensors");

  scheduleCmd
    .command("list")
    .description("schedules with their status and next tick")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--json", "print [{name, cron, timezone, job, selection, status, nextTick, description}]")
    .action(async (flags: LocationOptions & { json?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      await withInstance(flags, async (instance) => {
        const states = await statesByName(instance.storage, InstigatorType.Schedule);
        const now = new Date();
        const rows = [...defs.schedules.values()].map(({ definition: s, cron }) => ({
          name: s.name,
          cron: cron.expressions.length === 1 ? cron.expressions[0]! : [...cron.expressions],
          timezone: cron.timezone,
          job: s.jobName ?? null,
          selection: s.selection ?? null,
          status: statusOf(states.get(s.name), s.defaultStatus),
          nextTick: formatTick(cron.nextAfter(now)),
          description: s.description ?? null,
        }));
        if (flags.json) return printJson(rows);
        if (rows.length === 0) return void process.stderr.write("No schedules defined.\n");
        process.stdout.write(
          `${table([["SCHEDULE", "STATUS", "CRON", "TIMEZONE", "TARGET", "NEXT TICK"], ...rows.map((r) => [r.name, r.status, String(r.cron), r.timezone, r.job ?? r.selection ?? "", r.nextTick])])}\n`,
        );
      });
    });

  sensorCmd
    .command("list")
    .description("sensors with their status and cursor")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--json", "print [{name, type, job, selection, status, minimumIntervalSeconds, cursor, description}]")
    .action(async (flags: LocationOptions & { json?: boolean }) => {
      const { defs } = await loadFromOptions(flags);
      await withInstance(flags, async (instance) => {
        const states = await statesByName(instance.storage, InstigatorType.Sensor);
        const rows = [...defs.sensors.values()].map((s) => ({
          name: s.name,
          type: s.sensor.type,
          job: s.jobName ?? null,
          selection: s.selection ?? null,
          status: statusOf(states.get(s.name), s.defaultStatus),
          minimumIntervalSeconds: s.minimumIntervalSeconds,
          cursor: states.get(s.name)?.cursor ?? null,
          description: s.description ?? null,
        }));
        if (flags.json) return printJson(rows);
        if (rows.length === 0) return void process.stderr.write("No sensors defined.\n");
        process.stdout.write(
          `${table([["SENSOR", "STATUS", "TYPE", "TARGET", "INTERVAL", "CURSOR"], ...rows.map((r) => [r.name, r.status, r.type, r.job ?? r.selection ?? "", `${r.minimumIntervalSeconds}s`, r.cursor ?? ""])])}\n`,
        );
      });
    });

  for (const [cmd, kind] of [
    [scheduleCmd, "schedule"],
    [sensorCmd, "sensor"],
  ] as const) {
    for (const action of ["start", "stop"] as const) {
      cmd
        .command(action)
        .description(`${action} a ${kind}`)
        .argument("<name>", `${kind} name`)
        .option("-f, --file <file>", "definitions file (where the name is checked to exist)")
        .option("-m, --module <module>", "definitions module")
        .option("--home <dir>", "instance directory")
        .action(async (name: string, flags: LocationOptions) => {
          // As `dagster schedule start`: a name that no definitions were read for could be a typo,
          // which would record the state of something that does not exist.
          if (!flags.file && !flags.module && !existsSync("workspace.yaml")) {
            throw new UsageError(
              `Cannot ${action} ${kind} "${name}" without definitions: its name cannot be checked. ` +
                `Pass -f FILE or -m MODULE, or run it in the directory of your workspace.yaml.`,
            );
          }
          const { defs } = await loadFromOptions(flags);
          checkExists(defs, kind, name);
          await withInstance(flags, async (instance) => {
            const state = await instance.storage.setInstigatorStatus(
              name,
              kind === "schedule" ? InstigatorType.Schedule : InstigatorType.Sensor,
              action === "start" ? InstigatorStatus.Running : InstigatorStatus.Stopped,
            );
            process.stderr.write(`${kind === "schedule" ? "Schedule" : "Sensor"} "${name}" is ${state.status} (since ${iso(state.updatedAt)}).\n`);
          });
        });
    }
  }

  registerSchedulePreview(scheduleCmd, async (name, flags) => {
    const { defs } = await loadFromOptions(flags);
    const found = defs.schedules.get(name);
    if (!found) throw new UsageError(`Schedule "${name}" is not defined. Known schedules: ${[...defs.schedules.keys()].join(", ") || "(none)"}.`);
    return { cron: [...found.cron.expressions], timezone: found.cron.timezone };
  });

  sensorCmd
    .command("preview")
    .description(
      "evaluate a sensor once (its resources set up and torn down), without launching anything or storing its cursor; " +
        "prints {status, requests: [{runKey, job, selection, assets, partition, config, tags}], dynamicPartitionsRequests: [{partitionsName, add, remove}], cursor, skipReason, error}",
    )
    .argument("<name>", "sensor name")
    .option("-f, --file <file>", "definitions file")
    .option("-m, --module <module>", "definitions module")
    .option("--home <dir>", "instance directory")
    .option("--cursor <cursor>", "cursor to evaluate from (default: the stored one)")
    .action(async (name: string, flags: LocationOptions & { cursor?: string }) => {
      const { defs } = await loadFromOptions(flags);
      checkExists(defs, "sensor", name);
      await withInstance(flags, async (instance) => {
        const cursor = flags.cursor ?? (await instance.storage.getInstigatorState(name))?.cursor ?? null;
        // In an evaluation thread, as the daemon does: a function stuck in a loop is stopped at the
        // timeout. Its log lines (secrets masked) go to stderr, so stdout stays one JSON document.
        const host = new ThreadEvaluationHost({
          location: { file: flags.file, module: flags.module },
          timeoutMs: instance.settings.schedules_and_sensors.evaluation_timeout_seconds * 1000,
          maxThreads: 1,
          keepsRunning: "the preview",
          log: (line) => void process.stderr.write(`${line}\n`),
        });
        try {
          printJson(sensorPreview(await evaluateSensorOnce(instance.storage, defs, defs.sensors.get(name)!, cursor, { host })));
        } finally {
          await host.close();
        }
      });
    });
}

function checkExists(defs: Definitions, kind: Kind, name: string): void {
  const known = kind === "schedule" ? [...defs.schedules.keys()] : [...defs.sensors.keys()];
  if (!known.includes(name)) {
    throw new UsageError(`${kind === "schedule" ? "Schedule" : "Sensor"} "${name}" is not defined. Known: ${known.join(", ") || "(none)"}.`);
  }
}

async function statesByName(storage: Storage, type: InstigatorType): Promise<Map<string, InstigatorState>> {
  return new Map((await storage.listInstigatorStates(type)).map((s) => [s.name, s]));
}
