import { createRequire } from "node:module";
import type pg from "pg";

/**
 * The `pg` driver, loaded without loading Node's fetch implementation. When it is first loaded, pg
 * asks whether it runs in a Cloudflare Worker by constructing a `Response`: on Node that global is
 * a lazy getter, and touching it compiles undici, about 50 ms of CPU that every process opening a
 * Postgres storage (each run's worker among them) would pay for nothing. The global is hidden for
 * the synchronous `require` only and then put back as it was, still lazy, so no other code can
 * observe its absence; a process that already loaded pg gets it from the module cache.
 */
export function loadPg(): typeof pg {
  const response = Object.getOwnPropertyDescriptor(globalThis, "Response");
  const hide = response?.configurable === true;
  if (hide) delete (globalThis as { Response?: unknown }).Response;
  try {
    return createRequire(import.meta.url)("pg") as typeof pg;
  } finally {
    if (hide) Object.defineProperty(globalThis, "Response", response);
  }
}
