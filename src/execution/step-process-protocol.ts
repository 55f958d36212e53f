/**
 * The messages between a run's process and the child processes of the multiprocess executor. They
 * travel over the child's IPC channel with Node's "advanced" serialization (structured clone), so
 * Buffers, Dates and Maps arrive as they left.
 */
import type { EventRecord, NewEvent, SerializedError } from "../storage/records.js";
import type { PreparedRequest } from "./prepare-run.js";
import type { StepOutcome } from "./step-runner.js";

/** What a child needs to prepare the run as its parent did. */
export interface StepProcessInit {
  runId: string;
  request: PreparedRequest;
  /** The partition the run's steps see (the run record's, which may differ from the prepared one in a re-execution). */
  partitionKey: string | null;
  valuesDir: string;
  /** For op inputs from outside the run: the earlier run whose output to load, by op name. */
  inputSources: [string, string][];
}

/** Parent → child. */
export type ToStepProcess =
  | { type: "init"; init: StepProcessInit }
  | { type: "step"; stepKey: string }
  | { type: "stored"; id: number; record: EventRecord }
  | { type: "lost"; id: number; error: SerializedError }
  | { type: "returned"; id: number; value: unknown }
  | { type: "threw"; id: number; error: SerializedError }
  | { type: "close" };

/** Child → parent. */
export type FromStepProcess =
  /** Definitions loaded and the run prepared: steps may be sent. */
  | { type: "ready" }
  | { type: "init-failed"; error: SerializedError }
  /** An event of the step, to write with the run's writer; answered with "stored" or "lost". */
  | { type: "event"; id: number; event: NewEvent; unlessLost: boolean }
  /** A read of the run's storage (an input's value, the asset index); answered with "returned" or "threw". */
  | { type: "call"; id: number; method: string; args: unknown[] }
  /** The step ended (its resources torn down); the child takes another step or is closed. */
  | { type: "outcome"; stepKey: string; outcome: StepOutcome };
