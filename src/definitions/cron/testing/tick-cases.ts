/**
 * Helpers shared by the cron tests: a case is a cron string, a time zone and consecutive ticks
 * written as ISO 8601 instants with their UTC offset, so every expected tick is exact.
 */
import { expect } from "vitest";
import { CronSchedule } from "../cron-schedule.js";

/** Consecutive ticks of one schedule, in order. */
export interface TickCase {
  readonly tz: string;
  readonly cron: string | readonly string[];
  readonly ticks: readonly string[];
}

/** The instant of an ISO 8601 string with an offset (`2023-10-29T02:00+01:00`). */
export function at(iso: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test instant ${iso}`);
  return d;
}

const SECOND = 1000;

/**
 * Dagster's check (test_dst_transition_advances): from each tick the following ticks come in
 * order, and from `spots` instants spread between two ticks the next tick is the later one.
 */
export function expectForward(c: TickCase, spots = 100): void {
  const s = CronSchedule.parse(c.cron, c.tz);
  const ticks = c.ticks.map(at);
  const iso = (ds: readonly Date[]): string[] => ds.map((d) => d.toISOString());
  expect(iso(s.ticksAfter(new Date(ticks[0]!.getTime() - SECOND), ticks.length)), `${c.cron} in ${c.tz}`).toEqual(iso(ticks));
  for (let i = 0; i < ticks.length - 1; i++) {
    const from = ticks[i]!.getTime();
    const to = ticks[i + 1]!.getTime();
    expect(iso(s.ticksAfter(ticks[i]!, ticks.length - i - 1))).toEqual(iso(ticks.slice(i + 1)));
    const step = (to - 75 * SECOND - from) / spots;
    for (let p = from + SECOND; p < to; p += Math.max(step, SECOND)) {
      const got = s.nextAfter(new Date(p)).toISOString();
      if (got !== ticks[i + 1]!.toISOString()) {
        expect(got, `${c.cron} in ${c.tz}, after ${new Date(p).toISOString()}`).toBe(ticks[i + 1]!.toISOString());
      }
    }
    expect(s.nextAfter(new Date(to - 1)).toISOString()).toBe(ticks[i + 1]!.toISOString());
  }
  const between = [...s.ticksBetween(new Date(ticks[0]!.getTime() - 1), ticks[ticks.length - 1]!)];
  expect(iso(between)).toEqual(iso(ticks));
}

/** Dagster's check (test_reversed_dst_transition_advances), walking back with previousBefore. */
export function expectBackward(c: TickCase, spots = 100): void {
  const s = CronSchedule.parse(c.cron, c.tz);
  const ticks = c.ticks.map(at).reverse();
  for (let i = 0; i < ticks.length - 1; i++) {
    const from = ticks[i]!.getTime();
    const to = ticks[i + 1]!.getTime();
    let cursor = ticks[i]!;
    for (let j = i + 1; j < ticks.length; j++) {
      cursor = s.previousBefore(cursor);
      expect(cursor.toISOString(), `${c.cron} in ${c.tz}, back from ${ticks[i]!.toISOString()}`).toBe(ticks[j]!.toISOString());
    }
    const step = (from - (to + 75 * SECOND)) / spots;
    for (let p = from - SECOND; p > to; p -= Math.max(step, SECOND)) {
      const got = s.previousBefore(new Date(p)).toISOString();
      if (got !== ticks[i + 1]!.toISOString()) {
        expect(got, `${c.cron} in ${c.tz}, before ${new Date(p).toISOString()}`).toBe(ticks[i + 1]!.toISOString());
      }
    }
  }
}
