/** Named moments of the daemon's work at which a test may act (the crash-point harness kills the process there). */
export type DaemonPoint =
  | "tick_created"
  | "run_created"
  | "tick_finished"
  | "run_launched"
  | "backfill_run_created"
  | "backfill_partitions_updated"
  | "backfill_finished"
  | "automation_evaluated"
  | "automation_recorded";

/**
 * Hooks a test passes to the daemon (through `runDaemon`'s options); production code passes none.
 * `at` is called, synchronously, at each {@link DaemonPoint} as the daemon passes it: a schedule's
 * tick claimed, its run created, the tick finished, a queued run launched; a backfill partition's
 * run created, a backfill's partitions updated from their runs, a backfill finished; the automation loop's evaluation made (its runs not yet recorded), then
 * recorded.
 */
export interface DaemonHooks {
  at?(point: DaemonPoint): void;
}
