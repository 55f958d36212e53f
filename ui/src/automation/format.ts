/** How automation pages write times and cron strings. */

/** A time in a given IANA time zone: "Mon, Nov 23, 02:00 UTC" (the ISO string if the zone is unknown). */
export function inZone(iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

/** One cron string or several (a schedule may have a list). */
export function cronText(cron: string | string[]): string {
  return Array.isArray(cron) ? cron.join(" · ") : cron;
}
