import { CronSchedule } from "./cron/cron-schedule.js";
import { DefinitionError, errorMessage } from "./errors.js";

/**
 * What `asset({ freshness })` takes: how old an asset's data may be. `maximumLag` alone: at every
 * moment the asset must have been materialized within `maximumLag`. With `cron`: at each tick T of
 * the cron (in `cronTimezone`, default UTC) the asset must hold data materialized at or after
 * T − maximumLag (Dagster's cron freshness: the tick is the deadline).
 * Durations are milliseconds, or strings of whole units: `"90s"`, `"15m"`, `"1h"`, `"2d"`, `"1h30m"`.
 */
export interface FreshnessPolicyInput {
  maximumLag: string | number;
  cron?: string;
  cronTimezone?: string;
}

/** A validated freshness policy: plain data (it crosses into snapshots and the API). */
export interface FreshnessPolicy {
  /** The longest the data may be old, in ms. */
  readonly maximumLagMs: number;
  /** The deadline cron, or null: the lag applies at every moment. */
  readonly cron: string | null;
  /** Time zone of `cron` (UTC when none was given). */
  readonly cronTimezone: string;
}

/** The freshness of an asset; `UNKNOWN`: never materialized and no deadline has passed yet. */
export const FreshnessStatus = {
  Fresh: "FRESH",
  /**
   * With a cron: its data met the last deadline but is older than `maximumLag` now, so it will be
   * OVERDUE at the next tick unless it is materialized before.
   */
  Stale: "STALE",
  Overdue: "OVERDUE",
  Unknown: "UNKNOWN",
} as const;
/** One of {@link FreshnessStatus}. */
export type FreshnessStatus = (typeof FreshnessStatus)[keyof typeof FreshnessStatus];

/** What an asset's freshness is at a moment, and why. Times are epoch ms. */
export interface FreshnessState {
  readonly status: FreshnessStatus;
  /** When the data the policy judges was materialized, or null when there is none. */
  readonly lastMaterializationAt: number | null;
  /** How old that data is at `now` (ms), or null when there is none. */
  readonly lagMs: number | null;
  /**
   * When the asset must next hold fresh enough data: with a cron, the next tick after now; else
   * when the data it has turns overdue (in the past when it is overdue already).
   */
  readonly nextDeadline: number;
  /** The moment judged. */
  readonly evaluatedAt: number;
}

/** The longest lag a policy may have (a year): longer is surely a unit mistake. */
const MAX_LAG_MS = 366 * 24 * 3_600_000;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;

/**
 * Parses a duration: a number of milliseconds, or amounts of whole units added up (`"1h30m"`,
 * `"90s"`, `"2d"`, `"500ms"`). Returns undefined when it is not one (the caller names the owner).
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== "string" || value.length > 64) return undefined;
  const text = value.trim();
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return total > 0 ? total : undefined;
}

/** `5400000` → `"1h30m"`; `500` → `"500ms"`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join("");
}

/**
 * Validates an asset's `freshness` option. Throws DefinitionError naming the asset and the bad
 * value (an unknown key, a duration that does not parse, a cron or time zone that does not).
 */
export function freshnessPolicy(input: unknown, assetKey: string): FreshnessPolicy {
  const where = `Asset "${assetKey}": freshness`;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new DefinitionError(`${where} must be an object like { maximumLag: "1h" } or { cron: "0 9 * * *", maximumLag: "2h" }; got ${JSON.stringify(input) ?? String(input)}.`, assetKey);
  }
  const unknown = Object.keys(input).filter((k) => !["maximumLag", "cron", "cronTimezone"].includes(k));
  if (unknown.length > 0) {
    throw new DefinitionError(`${where} has unknown option(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}; it takes maximumLag, cron and cronTimezone.`, assetKey);
  }
  const { maximumLag, cron, cronTimezone } = input as Record<string, unknown>;
  const lag = parseDuration(maximumLag);
  if (lag === undefined) {
    throw new DefinitionError(
      `${where}.maximumLag is ${JSON.stringify(maximumLag) ?? "missing"}; give a positive duration such as "90s", "15m", "1h", "2d", "1h30m", or milliseconds.`,
      assetKey,
    );
  }
  if (lag > MAX_LAG_MS) throw new DefinitionError(`${where}.maximumLag is ${JSON.stringify(maximumLag)}, longer than a year; give a shorter duration.`, assetKey);
  if (cron === undefined) {
    if (cronTimezone !== undefined) throw new DefinitionError(`${where}.cronTimezone is set without a cron; add cron (e.g. "0 9 * * *") or remove cronTimezone.`, assetKey);
    return { maximumLagMs: lag, cron: null, cronTimezone: "UTC" };
  }
  if (typeof cron !== "string") throw new DefinitionError(`${where}.cron is ${JSON.stringify(cron)}; give a cron string such as "0 9 * * *".`, assetKey);
  if (cronTimezone !== undefined && typeof cronTimezone !== "string") {
    throw new DefinitionError(`${where}.cronTimezone is ${JSON.stringify(cronTimezone)}; give an IANA time zone name such as "Europe/Paris".`, assetKey);
  }
  try {
    CronSchedule.parse(cron, cronTimezone ?? "UTC");
  } catch (err) {
    throw new DefinitionError(`${where}: ${errorMessage(err)}`, assetKey);
  }
  return { maximumLagMs: lag, cron, cronTimezone: cronTimezone ?? "UTC" };
}

/**
 * `at most 1h old`; with a daily cron `by 09:00 Europe/Paris, at most 2h old`; with another cron
 * `by each "0 9 * * 1-5" (Europe/Paris), at most 2h old`.
 */
export function describeFreshnessPolicy(policy: FreshnessPolicy): string {
  const lag = `at most ${formatDuration(policy.maximumLagMs)} old`;
  if (policy.cron === null) return lag;
  const daily = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(policy.cron.trim());
  if (daily) return `by ${daily[2]!.padStart(2, "0")}:${daily[1]!.padStart(2, "0")} ${policy.cronTimezone}, ${lag}`;
  return `by each "${policy.cron}" (${policy.cronTimezone}), ${lag}`;
}

const schedules = new Map<string, CronSchedule>();
function scheduleOf(policy: FreshnessPolicy): CronSchedule {
  const id = `${policy.cron}\u0000${policy.cronTimezone}`;
  let schedule = schedules.get(id);
  if (!schedule) {
    schedule = CronSchedule.parse(policy.cron!, policy.cronTimezone);
    schedules.set(id, schedule);
  }
  return schedule;
}

/** What {@link evaluateFreshness} judges. Times are epoch ms. */
export interface FreshnessInput {
  /** When the judged data was materialized (null: never). */
  lastMaterializationAt: number | null;
  now: number;
  /**
   * Since when the policy has been watched (the daemon's first evaluation of it). Data that never
   * came is UNKNOWN until a deadline after this has passed, then OVERDUE.
   */
  since: number;
}

/**
 * The freshness of an asset at `input.now` under `policy`: a pure function (no clock, no storage).
 * - Lag only: FRESH while `now − lastMaterialization ≤ maximumLag`, then OVERDUE; never materialized:
 *   UNKNOWN until `since + maximumLag`, then OVERDUE.
 * - Cron: after the last tick T ≤ now, FRESH when `lastMaterialization ≥ T − maximumLag`, else
 *   OVERDUE; never materialized: UNKNOWN until a tick after `since` has passed, then OVERDUE.
 */
export function evaluateFreshness(policy: FreshnessPolicy, input: FreshnessInput): FreshnessState {
  const { lastMaterializationAt: last, now, since } = input;
  const lagMs = last === null ? null : Math.max(0, now - last);
  if (policy.cron === null) {
    if (last === null) {
      const deadline = since + policy.maximumLagMs;
      return { status: now >= deadline ? FreshnessStatus.Overdue : FreshnessStatus.Unknown, lastMaterializationAt: null, lagMs, nextDeadline: deadline, evaluatedAt: now };
    }
    const deadline = last + policy.maximumLagMs;
    return { status: now <= deadline ? FreshnessStatus.Fresh : FreshnessStatus.Overdue, lastMaterializationAt: last, lagMs, nextDeadline: deadline, evaluatedAt: now };
  }
  const schedule = scheduleOf(policy);
  // previousBefore is strict: a tick at exactly `now` has passed.
  const lastTick = schedule.previousBefore(new Date(now + 1)).getTime();
  const nextDeadline = schedule.nextAfter(new Date(now)).getTime();
  let status: FreshnessStatus;
  if (last === null) status = lastTick >= since ? FreshnessStatus.Overdue : FreshnessStatus.Unknown;
  else if (last < lastTick - policy.maximumLagMs) status = FreshnessStatus.Overdue;
  // The last deadline was met; data older than the lag now would miss the next one.
  else status = now - last > policy.maximumLagMs ? FreshnessStatus.Stale : FreshnessStatus.Fresh;
  return { status, lastMaterializationAt: last, lagMs, nextDeadline, evaluatedAt: now };
}
