import { Hono } from "hono";
import { z } from "zod";
import { CronSchedule } from "../../definitions/cron/cron-schedule.js";
import { InstigatorStatus, InstigatorType, type InstigatorState } from "../../storage/records.js";
import type { Storage } from "../../storage/storage.js";
import { instigatorStateJson, iso, tickJson } from "../api-json.js";
import type { ScheduleAnswerJson, ScheduleJson, SchedulesJson, SensorAnswerJson, SensorJson, SensorsJson } from "../api-types.js";
import { HttpError, HttpErrorCode } from "../http-errors.js";
import { requireLoaded, type ServerContext } from "../server-context.js";
import type { ScheduleSnapshot, SensorSnapshot } from "../../instance/snapshot.js";
import { parseInput, queryOf } from "../validate.js";

const detailQuery = z.object({
  ticks: z.coerce.number().int().min(0).max(500).default(25),
  nextTicks: z.coerce.number().int().min(0).max(100).default(5),
});

/** Schedules and sensors: list, detail (next ticks, tick history with run ids, cursor), start and stop. */
export function instigatorRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  const storage = ctx.storage;

  app.get("/schedules", async (c) => {
    const { snapshot } = requireLoaded(ctx);
    const states = await statesOf(storage, InstigatorType.Schedule);
    const body: SchedulesJson = {
      schedules: await Promise.all(snapshot.schedules.map((s) => scheduleJson(storage, s, states.get(s.name), { ticks: 1, nextTicks: 1 }))),
    };
    return c.json(body);
  });

  app.get("/schedules/:name", async (c) => {
    const q = parseInput(detailQuery, queryOf(c), "query");
    const schedule = findSchedule(ctx, c.req.param("name"));
    const body: ScheduleAnswerJson = { schedule: await scheduleJson(storage, schedule, await storage.getInstigatorState(schedule.name), q) };
    return c.json(body);
  });

  app.post("/schedules/:name/:action{start|stop}", async (c) => {
    const schedule = findSchedule(ctx, c.req.param("name"));
    const state = await storage.setInstigatorStatus(schedule.name, InstigatorType.Schedule, statusOfAction(c.req.param("action")));
    const body: ScheduleAnswerJson = { schedule: await scheduleJson(storage, schedule, state, { ticks: 1, nextTicks: 1 }) };
    return c.json(body);
  });

  app.get("/sensors", async (c) => {
    const { snapshot } = requireLoaded(ctx);
    const states = await statesOf(storage, InstigatorType.Sensor);
    const body: SensorsJson = { sensors: await Promise.all(snapshot.sensors.map((s) => sensorJson(storage, s, states.get(s.name), 1))) };
    return c.json(body);
  });

  app.get("/sensors/:name", async (c) => {
    const q = parseInput(detailQuery, queryOf(c), "query");
    const sensor = findSensor(ctx, c.req.param("name"));
    const body: SensorAnswerJson = { sensor: await sensorJson(storage, sensor, await storage.getInstigatorState(sensor.name), q.ticks) };
    return c.json(body);
  });

  app.post("/sensors/:name/:action{start|stop}", async (c) => {
    const sensor = findSensor(ctx, c.req.param("name"));
    const state = await storage.setInstigatorStatus(sensor.name, InstigatorType.Sensor, statusOfAction(c.req.param("action")));
    const body: SensorAnswerJson = { sensor: await sensorJson(storage, sensor, state, 1) };
    return c.json(body);
  });

  return app;
}

function statusOfAction(action: string): InstigatorStatus {
  return action === "start" ? InstigatorStatus.Running : InstigatorStatus.Stopped;
}

async function statesOf(storage: Storage, type: InstigatorType): Promise<Map<string, InstigatorState>> {
  return new Map((await storage.listInstigatorStates(type)).map((s) => [s.name, s]));
}

function findSchedule(ctx: ServerContext, name: string): ScheduleSnapshot {
  const { snapshot } = requireLoaded(ctx);
  const found = snapshot.schedules.find((s) => s.name === name);
  if (!found) {
    throw new HttpError(404, HttpErrorCode.NotFound, `Schedule "${name}" is not defined. Known schedules: ${snapshot.schedules.map((s) => s.name).join(", ") || "(none)"}.`, "params.name");
  }
  return found;
}

function findSensor(ctx: ServerContext, name: string): SensorSnapshot {
  const { snapshot } = requireLoaded(ctx);
  const found = snapshot.sensors.find((s) => s.name === name);
  if (!found) {
    throw new HttpError(404, HttpErrorCode.NotFound, `Sensor "${name}" is not defined. Known sensors: ${snapshot.sensors.map((s) => s.name).join(", ") || "(none)"}.`, "params.name");
  }
  return found;
}

async function scheduleJson(
  storage: Storage,
  schedule: ScheduleSnapshot,
  state: InstigatorState | undefined,
  options: { ticks: number; nextTicks: number },
): Promise<ScheduleJson> {
  let nextTicks: string[] = [];
  try {
    nextTicks = CronSchedule.parse(schedule.cron, schedule.timezone)
      .ticksAfter(new Date(), options.nextTicks)
      .map((d) => d.toISOString());
  } catch {
    // The definitions validated the cron at load; nothing to add if it cannot be read here.
  }
  const ticks = options.ticks > 0 ? await storage.listTicks(schedule.name, { limit: options.ticks }) : [];
  return {
    ...schedule,
    status: state?.status ?? schedule.defaultStatus,
    state: instigatorStateJson(state),
    nextTick: nextTicks[0] ?? null,
    nextTicks,
    lastTick: ticks[0] ? tickJson(ticks[0]) : null,
    ticks: ticks.map(tickJson),
  };
}

async function sensorJson(storage: Storage, sensor: SensorSnapshot, state: InstigatorState | undefined, tickCount: number): Promise<SensorJson> {
  const ticks = tickCount > 0 ? await storage.listTicks(sensor.name, { limit: tickCount }) : [];
  return {
    ...sensor,
    status: state?.status ?? sensor.defaultStatus,
    state: instigatorStateJson(state),
    cursor: state?.cursor ?? null,
    lastTick: ticks[0] ? tickJson(ticks[0]) : null,
    lastTickAt: ticks[0] ? iso(ticks[0].tickTime) : null,
    ticks: ticks.map(tickJson),
  };
}
