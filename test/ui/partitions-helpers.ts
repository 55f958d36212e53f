/**
 * Set-up of the partitions browser tests: a real `sluice dev` (daemon included, so backfills run)
 * on a fresh copy of test/fixtures/ui/partitions (two runs at a time), and a headless Chromium; helpers to steer the
 * fixture's failing keys and delay, and to read the health bar's pixels.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { assertBuilt, REPO_ROOT } from "../cli/helpers.js";
import { waitFor } from "../daemon/helpers.js";
import { api, ServerSandbox, type ServerProcess } from "../server/helpers.js";
import { launchBrowser } from "./browser.js";

/** A running server on the partitions fixture, and a browser; `dispose()` ends both. */
export interface PartitionsWorld {
  browser: Browser;
  server: ServerProcess;
  /** Keys of daily/events that fail from now on. */
  failKeys(keys: string[]): void;
  /** Milliseconds daily/events sleeps before its work from now on. */
  delay(ms: number): void;
  dispose(): Promise<void>;
}

/** Copies the fixture into .scratch/ (so that it resolves `sluice`) and starts `sluice dev` on it. */
export async function startPartitionsWorld(): Promise<PartitionsWorld> {
  assertBuilt();
  const browser = await launchBrowser();
  const sandbox = new ServerSandbox();
  mkdirSync(path.join(REPO_ROOT, ".scratch"), { recursive: true });
  const project = mkdtempSync(path.join(REPO_ROOT, ".scratch", "ui-partitions-"));
  cpSync(path.join(REPO_ROOT, "test", "fixtures", "ui", "partitions"), project, { recursive: true });
  const cleanup = async () => {
    await browser.close();
    await sandbox.dispose();
    rmSync(project, { recursive: true, force: true });
  };
  // Two runs at a time, one queued per backfill: a backfill stays in progress long enough to be canceled half-way.
  writeFileSync(path.join(sandbox.home, "sluice.yaml"), "run_queue:\n  max_concurrent_runs: 2\nbackfills:\n  max_queued_runs: 1\n");
  try {
    const server = await sandbox.startServer("dev", ["-f", path.join(project, "defs.ts")], { cwd: REPO_ROOT });
    return {
      browser,
      server,
      failKeys: (keys) => writeFileSync(path.join(project, "fail-keys.txt"), keys.join("\n")),
      delay: (ms) => writeFileSync(path.join(project, "delay-ms.txt"), String(ms)),
      dispose: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Launches a backfill through the API; returns its id. */
export async function launchBackfill(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await api(url, "POST", "/api/backfills", body);
  if (res.status !== 201) throw new Error(`POST /api/backfills answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.backfill.backfillId;
}

/** Polls GET /api/backfills/:id until its status is one of these; returns the answer. */
export function waitForBackfill(url: string, id: string, statuses: readonly string[], timeoutMs = 90_000): Promise<any> {
  return waitFor(
    `backfill ${id} to be ${statuses.join(" or ")}`,
    async () => {
      const res = await api(url, "GET", `/api/backfills/${id}?limit=10000`);
      return statuses.includes(res.body?.backfill?.status) ? res.body : undefined;
    },
    timeoutMs,
    200,
  );
}

/**
 * The colour (#rrggbb) the health bar shows at the middle of key `index`'s cells, and the bar's
 * window, read from the canvas.
 */
export async function barColorAt(page: Page, index: number): Promise<string> {
  return page.getByTestId("health-bar").evaluate((el, i) => {
    // The DOM's types are not in the tests' compiler: the canvas as far as it is used here.
    const canvas = el as unknown as { dataset: Record<string, string>; width: number; height: number; getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
    const from = Number(canvas.dataset.from);
    const to = Number(canvas.dataset.to);
    if (i < from || i >= to) throw new Error(`key #${i} is outside the bar's window ${from}..${to}`);
    const x = Math.floor(((i - from + 0.5) / (to - from)) * canvas.width);
    const pixel = canvas.getContext("2d").getImageData(x, Math.floor(canvas.height / 2), 1, 1).data;
    return `#${[pixel[0]!, pixel[1]!, pixel[2]!].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
  }, index);
}

/** Moves the pointer to the middle of key `index` on the health bar. */
export async function hoverBarKey(page: Page, index: number): Promise<void> {
  const bar = page.getByTestId("health-bar");
  const box = (await bar.boundingBox())!;
  const from = Number(await bar.getAttribute("data-from"));
  const to = Number(await bar.getAttribute("data-to"));
  await page.mouse.move(box.x + ((index - from + 0.5) / (to - from)) * box.width, box.y + box.height / 2);
}
