/**
 * Storage records as the HTTP API returns them: timestamps as ISO strings, the same field names as
 * the CLI's `--json` output (CLI.md), plus what a client needs for paging and tailing (event ids).
 */
import { RUNLESS_RUN_ID, type AssetIndexRecord, type DaemonHeartbeat, type EventRecord, type InstigatorState, type RunRecord, type StepStats, type TickRecord } from "../storage/records.js";
import type { EventJson, HeartbeatJson, InstigatorStateJson, MaterializationJson, RunJson, StepJson, TickJson } from "./api-types.js";

/** Epoch ms → ISO string (null stays null). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A run (with its steps when given), as `sluice run show --json` prints it, plus config and bookkeeping fields. */
export function runJson(run: RunRecord, steps?: StepStats[]): RunJson {
  return {
    runId: run.runId,
    status: run.status,
    jobName: run.jobName,
    selection: run.selection,
    selectionExpression: run.selectionExpression,
    partition: run.partition,
    config: run.config,
    tags: run.tags,
    parentRunId: run.parentRunId,
    rootRunId: run.rootRunId,
    createdAt: iso(run.createdAt),
    updatedAt: iso(run.updatedAt),
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    workerId: run.workerId,
    heartbeatAt: iso(run.heartbeatAt),
    ...(steps ? { steps: steps.map(stepJson) } : {}),
  };
}

/** One step of a run. */
export function stepJson(step: StepStats): StepJson {
  return { key: step.key, status: step.status, attempts: step.attempts, startedAt: iso(step.startedAt), endedAt: iso(step.endedAt) };
}

/**
 * An event, as the API returns it and `sluice run logs --json` prints it: its id, run, time, type,
 * step, asset, partition, level and message first, then what its data holds (error, metadata,
 * attempt...), which never overrides those.
 */
export function eventJson(event: EventRecord): EventJson {
  const core = {
    id: event.id,
    runId: event.runId,
    timestamp: iso(event.timestamp),
    type: event.type,
    stepKey: event.stepKey,
    assetKey: event.assetKey,
    partition: event.partition,
    level: event.level,
    message: event.message,
  };
  return { ...core, ...event.data, ...core };
}

/** A materialization (an ASSET_MATERIALIZATION event, or an asset index row). */
export function materializationJson(record: EventRecord | AssetIndexRecord): MaterializationJson {
  if ("eventId" in record) {
    return { eventId: record.eventId, runId: record.runId, partition: record.partition, timestamp: iso(record.timestamp), metadata: record.metadata, dataVersion: record.dataVersion, codeVersion: record.codeVersion, ...(record.runId === RUNLESS_RUN_ID ? { reported: true } : {}) };
  }
  return {
    eventId: record.id,
    runId: record.runId,
    partition: record.partition,
    timestamp: iso(record.timestamp),
    metadata: record.data.metadata ?? {},
    stepKey: record.stepKey,
    ...(record.data.reported === true ? { reported: true } : {}),
    dataVersion: typeof record.data.dataVersion === "string" ? record.data.dataVersion : null,
    codeVersion: typeof record.data.codeVersion === "string" ? record.data.codeVersion : null,
  };
}

/** A schedule or sensor tick. */
export function tickJson(tick: TickRecord): TickJson {
  return {
    id: tick.id,
    tickTime: iso(tick.tickTime),
    status: tick.status,
    runIds: tick.runIds,
    skippedRunKeys: tick.skippedRunKeys,
    skipReason: tick.skipReason,
    error: tick.error,
    cursor: tick.cursor,
    createdAt: iso(tick.createdAt),
    updatedAt: iso(tick.updatedAt),
  };
}

/** Stored state of a schedule or sensor. */
export function instigatorStateJson(state: InstigatorState | undefined): InstigatorStateJson | null {
  return state ? { status: state.status, cursor: state.cursor, updatedAt: iso(state.updatedAt) } : null;
}

/** Seconds without a heartbeat after which a daemon loop counts as not running. */
export const DAEMON_STALE_AFTER_MS = 30_000;

/** A daemon heartbeat with its health: HEALTHY, UNHEALTHY (its last iteration failed) or STALE (silent for 30 s). */
export function heartbeatJson(beat: DaemonHeartbeat, now: number = Date.now()): HeartbeatJson {
  const stale = now - beat.timestamp > DAEMON_STALE_AFTER_MS;
  return {
    daemonType: beat.daemonType,
    daemonId: beat.daemonId,
    timestamp: iso(beat.timestamp),
    ageSeconds: Math.max(0, Math.round((now - beat.timestamp) / 1000)),
    health: stale ? "STALE" : beat.errors.length > 0 ? "UNHEALTHY" : "HEALTHY",
    errors: beat.errors,
  };
}
