import { errorMessage } from "../../definitions/errors.js";
import { expect, vi } from "vitest";
import type { NewEvent, NewRun } from "../records.js";
import type { Storage } from "../storage.js";

/**
 * The storage of the running test: freshly opened and migrated on an empty database, closed after
 * the test.
 */
export interface StorageFixture {
  (): Storage;
  /**
   * Opens one more storage on the test's database, as a second worker process would (closed after
   * the test). Concurrency tests race the two.
   */
  openAnother(): Promise<Storage>;
}

/** A queued run with tags, created at `createdAt` (epoch ms) when given. */
export async function queueRun(
  storage: Storage,
  runId: string,
  tags: Record<string, string> = {},
  createdAt?: number,
): Promise<void> {
  if (createdAt !== undefined) freezeTime(createdAt);
  await storage.createRun({ ...queuedRecord(runId), tags });
}

/** A minimal run to create. */
export function queuedRecord(runId: string): NewRun {
  return { runId, jobName: "job", selection: [] };
}

/** A minimal event of a run. */
export function newEvent(runId: string, type: NewEvent["type"], extra: Partial<NewEvent> = {}): NewEvent {
  return { runId, type, ...extra };
}

/** Freezes `Date.now()` (only Date: timers and I/O keep running) at `epochMs`. */
export function freezeTime(epochMs: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(epochMs);
}

/** The rejection of `promise`; fails the test when it resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw, but it resolved");
}

/** Asserts a Sluice error by its stable code and its message (not by class identity). */
export function expectSluiceError(err: unknown, code: string, message: RegExp): void {
  expect(err).toBeInstanceOf(Error);
  expect((err as { code?: unknown }).code).toBe(code);
  expect(errorMessage(err)).toMatch(message);
}
