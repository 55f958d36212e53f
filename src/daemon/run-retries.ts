import { ErrorCode } from "../definitions/errors.js";
import { reexecutionOf, REEXECUTION_TAG, RETRY_NUMBER_TAG } from "../runs/reexecution.js";
import { serializeError } from "../execution/serialize-error.js";
import { RunStatus, type NewRun, type RunRecord } from "../storage/records.js";
import type { Storage } from "../storage/storage.js";

/** Tag that overrides the instance's `run_retries.max_retries` for one run (and its retries). */
export const MAX_RETRIES_TAG = "sluice/max_retries";

/** Failed runs looked at per iteration (the newest). */
const RECENT_FAILURES = 100;

/** What RunRetries needs. */
export interface RunRetriesOptions {
  storage: Storage;
  /** Retries per run unless its `sluice/max_retries` tag says otherwise (sluice.yaml `run_retries.max_retries`, default 0). */
  maxRetries: number;
  log?: (line: string) => void;
}

/**
 * Retries failed runs automatically: each `tick()` re-executes recent FAILURE runs from failure
 * (only their failed and skipped steps) as QUEUED child runs tagged with the attempt number
 * (`sluice/retry_number`: 2 for the first retry), until a run's allowed retries are used up. A run
 * that already has a re-execution is left alone; canceled runs are never retried.
 *
 * @example
 * const retries = new RunRetries({ storage, maxRetries: settings.runRetries.maxRetries });
 * setInterval(() => void retries.tick(), 1000);
 */
export class RunRetries {
  readonly #storage: Storage;
  readonly #maxRetries: number;
  readonly #log: (line: string) => void;
  /** Failed runs already decided (retried, or not to be): their tags and children do not change back. */
  readonly #decided = new Set<string>();

  constructor(opts: RunRetriesOptions) {
    this.#storage = opts.storage;
    this.#maxRetries = opts.maxRetries;
    this.#log = opts.log ?? (() => undefined);
  }

  /** One iteration. Throws only when the failed runs cannot be listed; a run that cannot be retried is logged. */
  async tick(): Promise<void> {
    const failed = await this.#storage.listRuns({ statuses: [RunStatus.Failure], limit: RECENT_FAILURES });
    for (const run of failed) {
      if (this.#decided.has(run.runId)) continue;
      try {
        await this.#consider(run);
      } catch (err) {
        this.#log(`Run retries: could not retry run ${run.runId}: ${serializeError(err).message}; trying again on the next iteration.`);
      }
    }
  }

  async #consider(run: RunRecord): Promise<void> {
    const allowed = tagNumber(run, MAX_RETRIES_TAG) ?? this.#maxRetries;
    const attempt = tagNumber(run, RETRY_NUMBER_TAG) ?? 1;
    if (run.status !== RunStatus.Failure || attempt > allowed) {
      this.#decided.add(run.runId);
      return;
    }
    const children = await this.#storage.listRuns({ parentRunIds: [run.runId] });
    if (children.some((child) => child.tags[REEXECUTION_TAG] !== undefined)) {
      this.#decided.add(run.runId);
      return;
    }
    let child: NewRun;
    try {
      child = await reexecutionOf(this.#storage, run.runId, { fromFailure: true, tags: { [RETRY_NUMBER_TAG]: String(attempt + 1) } });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== ErrorCode.Usage && code !== ErrorCode.RunNotFound) throw err;
      // Nothing to re-execute (no failed step), or the run vanished: retrying would not help.
      this.#decided.add(run.runId);
      this.#log(`Run retries: run ${run.runId} is not retried: ${serializeError(err).message}`);
      return;
    }
    const created = await this.#storage.createRun({ ...child, status: RunStatus.Queued });
    this.#decided.add(run.runId);
    this.#log(`Run retries: run ${run.runId} failed; queued retry ${attempt} of ${allowed} as run ${created.runId}`);
  }
}

/** A whole-number tag of a run, or undefined when absent or not a number. */
function tagNumber(run: RunRecord, key: string): number | undefined {
  const raw = run.tags[key];
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}
