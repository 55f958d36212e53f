import { CronSchedule } from "../../definitions/cron/cron-schedule.js";

/** Cron ticks relative to one evaluation's clock, each cron parsed once. */
export class CronTicks {
  readonly #now: Date;
  readonly #schedules = new Map<string, CronSchedule>();

  constructor(now: Date) {
    this.#now = now;
  }

  /** True when a tick of `cron` (in `timezone`) falls in (since, now]. */
  passedSince(cron: string, timezone: string, since: number): boolean {
    if (since >= this.#now.getTime()) return false;
    return this.#schedule(cron, timezone).nextAfter(new Date(since)).getTime() <= this.#now.getTime();
  }

  /** The latest tick at or before now (epoch ms). */
  latestAtOrBefore(cron: string, timezone: string): number {
    return this.#schedule(cron, timezone).previousBefore(new Date(this.#now.getTime() + 1)).getTime();
  }

  #schedule(cron: string, timezone: string): CronSchedule {
    const key = `${cron}\0${timezone}`;
    let schedule = this.#schedules.get(key);
    if (schedule === undefined) {
      schedule = CronSchedule.parse(cron, timezone);
      this.#schedules.set(key, schedule);
    }
    return schedule;
  }
}
