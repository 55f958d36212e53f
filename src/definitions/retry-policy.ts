/** How the delay between attempts grows. */
export const Backoff = {
  /** delay × attempt */
  Linear: "linear",
  /** delay × (2^attempt − 1) */
  Exponential: "exponential",
} as const;
/** One of the values of {@link Backoff}. */
export type Backoff = (typeof Backoff)[keyof typeof Backoff];

/** Randomness added to the delay, so retries of many steps do not line up. */
export const Jitter = {
  /** A random delay between 0 and the computed one. */
  Full: "full",
  /** The computed delay ± half of it. */
  PlusMinus: "plus_minus",
} as const;
/** One of the values of {@link Jitter}. */
export type Jitter = (typeof Jitter)[keyof typeof Jitter];

/**
 * How often and when a failed step is tried again (Dagster's RetryPolicy).
 * @example
 * asset({ key: "prices", retry: { maxRetries: 3, delayMs: 1000, backoff: "exponential", jitter: "full" }, run })
 */
export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** Base delay between attempts, in ms (default 0). */
  delayMs?: number;
  /** Without it, every retry waits `delayMs`. */
  backoff?: Backoff;
  jitter?: Jitter;
}

/**
 * The delay before retry number `attempt` (1 for the first retry), following Dagster's rules.
 * `random` is injectable so tests are deterministic.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = policy.delayMs ?? 0;
  let delay = base;
  if (policy.backoff === Backoff.Linear) delay = base * attempt;
  else if (policy.backoff === Backoff.Exponential) delay = base * (2 ** attempt - 1);
  if (policy.jitter === Jitter.Full) delay = random() * delay;
  else if (policy.jitter === Jitter.PlusMinus) delay = delay + (random() * delay - delay / 2);
  return Math.max(0, Math.round(delay));
}

/** Checks a retry policy, returning a description of what is wrong, or undefined. */
export function retryPolicyProblem(policy: RetryPolicy): string | undefined {
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    return `retry.maxRetries must be a whole number >= 0, got ${String(policy.maxRetries)}`;
  }
  if (policy.delayMs !== undefined && !(Number.isFinite(policy.delayMs) && policy.delayMs >= 0)) {
    return `retry.delayMs must be a number >= 0, got ${String(policy.delayMs)}`;
  }
  if (policy.backoff !== undefined && !Object.values(Backoff).includes(policy.backoff)) {
    return `retry.backoff must be "linear" or "exponential", got "${String(policy.backoff)}"`;
  }
  if (policy.jitter !== undefined && !Object.values(Jitter).includes(policy.jitter)) {
    return `retry.jitter must be "full" or "plus_minus", got "${String(policy.jitter)}"`;
  }
  return undefined;
}
