/**
 * Fuzzed selections over the real HTTP API: random, mutated and pathological strings (1,000 nested
 * parentheses, 100,000 "(", 50,000 "not ") posted to a `sluice server` as a run's selection. Each
 * is queued (201) or refused with a 400 naming body.selection; never a 500. The seed is printed;
 * replay with FUZZ_SEED=<seed>.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzSeed, selectionSample } from "../../src/definitions/selection/testing/selection-fuzz.js";
import { assertBuilt, removeTempDirs } from "../cli/helpers.js";
import { api, SERVER_DEFS, ServerSandbox, type ServerProcess } from "./helpers.js";

const sandbox = new ServerSandbox();
let server: ServerProcess;

beforeAll(async () => {
  assertBuilt();
  // No daemon: a selection that is accepted stays a queued run.
  server = await sandbox.startServer("server", ["-f", SERVER_DEFS]);
});

afterAll(async () => {
  await sandbox.dispose();
  removeTempDirs();
});

describe("fuzzed selections over the API", () => {
  const seed = fuzzSeed();
  const sample = selectionSample(seed, 300);

  it(`answers 201 or 400 to each of ${sample.length} selections, never 500 (seed ${seed})`, { timeout: 180_000 }, async () => {
    console.log(`[fuzz] API selection seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const outcomes: Record<string, number> = {};
    for (const [i, selection] of sample.entries()) {
      const res = await api(server.url, "POST", "/api/runs", { selection });
      const where = `string #${i} of seed ${seed} (${selection.length} chars): ${JSON.stringify(selection.slice(0, 80))} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
      expect([201, 400], where).toContain(res.status);
      if (res.status === 400) {
        expect(res.body.error.path, where).toBe("body.selection");
        expect(["SELECTION_ERROR", "INVALID_INPUT"], where).toContain(res.body.error.code);
      }
      outcomes[res.status] = (outcomes[res.status] ?? 0) + 1;
    }
    console.log(`[fuzz] API outcomes: ${JSON.stringify(outcomes)}`);
    expect((await api(server.url, "GET", "/api/health")).status).toBe(200);
  });
});
