/**
 * The scrape-enrich example end to end, as its README runs it: the demo site served locally, the
 * pipeline run by the CLI into a fresh database on the local Postgres, then run again as the
 * daily job.
 */
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../src/storage/testing/postgres-test-schemas.js";
import {
  assertBuilt,
  cliJson,
  describeResult,
  lastLine,
  removeTempDirs,
  REPO_ROOT,
  runCli,
  runEvents,
  showRun,
  tempDir,
} from "../../test/cli/helpers.js";
import { detectObjects } from "./scripts/detect-objects.js";
import { startDemoSite, type DemoSite } from "./site/demo-site.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "scrape-enrich");
const APP_DATABASE = testDatabase("scrape");
const DATABASE_URL = APP_DATABASE.url;

let site: DemoSite;
let db: pg.Client;
const home = tempDir();
const env = () => ({ SCRAPE_BASE_URL: site.url, SCRAPE_DATABASE_URL: DATABASE_URL });

beforeAll(async () => {
  assertBuilt();
  await APP_DATABASE.create();
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  site = await startDemoSite(0);
});

afterAll(async () => {
  await db?.end();
  await site?.close();
  await APP_DATABASE.drop();
  removeTempDirs();
});

describe("scrape-enrich: sluice materialize", () => {
  let runId: string;

  beforeAll(async () => {
    const result = await runCli(["materialize", "-f", "definitions.ts"], { home, cwd: EXAMPLE, env: env() });
    expect(result.code, describeResult(result)).toBe(0);
    runId = lastLine(result.stdout);
  });

  it("runs the four assets", async () => {
    const run = await showRun(home, runId);
    expect(run.status).toBe("SUCCESS");
    expect(run.steps!.map((s) => s.key)).toEqual(["scrape/pages", "raw/pages", "enrich/image_labels", "enriched/page_labels"]);
  });

  it("loads every item page as raw JSON into raw.pages", async () => {
    const { rows } = await db.query("SELECT url, doc, run_id FROM raw.pages ORDER BY url");
    expect(rows.map((r) => r.doc)).toEqual([
      { url: `${site.url}items/1.html`, title: "Blue kettle", price: 24.5, description: "A kettle & its lid.", imageUrl: `${site.url}images/1.png` },
      { url: `${site.url}items/2.html`, title: "Desk lamp", price: 39, description: "Bright, adjustable.", imageUrl: `${site.url}images/2.png` },
      { url: `${site.url}items/3.html`, title: "Garden chair", price: 55.25, description: "Folds flat.", imageUrl: `${site.url}images/3.png` },
      { url: `${site.url}items/4.html`, title: "Old poster", price: 8, description: "Its image went missing.", imageUrl: `${site.url}images/4.png` },
    ]);
    expect(new Set(rows.map((r) => r.run_id))).toEqual(new Set([runId]));
  });

  it("waited out the site's 429 and fetched the page again", () => {
    const item2 = site.requests.filter((r) => r.startsWith("GET /items/2.html"));
    expect(item2.slice(0, 2)).toEqual(["GET /items/2.html 429", "GET /items/2.html 200"]);
  });

  it("loads the labels detected in each image into enriched.page_labels", async () => {
    const { rows } = await db.query(
      "SELECT url, label, confidence, width, height, image_sha256 FROM enriched.page_labels ORDER BY url, confidence DESC, label",
    );
    // The same labels come from the image bytes fetched here, independently of the run...
    const expected = [];
    for (const id of [1, 2, 3]) {
      const bytes = new Uint8Array(await (await fetch(`${site.url}images/${id}.png`)).arrayBuffer());
      const found = detectObjects(bytes);
      for (const d of found.detections) {
        expected.push({ url: `${site.url}items/${id}.html`, label: d.label, confidence: d.confidence, width: found.width, height: found.height, image_sha256: found.sha256 });
      }
    }
    expect(rows).toEqual(expected);
    // ...and they are the same on every machine: labels depend on the bytes alone.
    expect(rows.map((r) => `${path.basename(r.url)} ${r.label} ${r.confidence} ${r.width}x${r.height}`)).toEqual([
      "1.html cup 0.82 20x14",
      "1.html laptop 0.58 20x14",
      "2.html bottle 0.81 24x16",
      "2.html lamp 0.68 24x16",
      "3.html book 0.96 28x18",
      "3.html chair 0.91 28x18",
    ]);
  });

  it("logs the image that could not be fetched, with its reason, and goes on with the others", async () => {
    const events = await runEvents(home, runId);
    const warnings = events.filter((e) => e.level === "WARN").map((e) => `${e.stepKey}: ${e.message}`);
    expect(warnings).toEqual([
      `resource:site: GET ${site.url}items/2.html: 429 Too Many Requests; retrying in 1.0 s (attempt 2 of 4)`,
      `enrich/image_labels: skipped the image of ${site.url}items/4.html: GET ${site.url}images/4.png failed: 404 Not Found: Not found: /images/4.png`,
    ]);
    const counts = Object.fromEntries(
      events.filter((e) => e.type === "ASSET_MATERIALIZATION").map((e) => [e.stepKey, e.metadata?.["sluice/row_count"]?.value]),
    );
    expect(counts).toEqual({ "scrape/pages": 4, "raw/pages": 4, "enrich/image_labels": 3, "enriched/page_labels": 6 });
  });
});

describe("scrape-enrich: the daily job", () => {
  it("is scheduled every day at 06:00 UTC", async () => {
    const schedules = await cliJson<{ name: string; cron: string; timezone: string; job: string }[]>(
      ["schedule", "list", "-f", "definitions.ts", "--json"],
      { home, cwd: EXAMPLE, env: env() },
    );
    expect(schedules).toEqual([expect.objectContaining({ name: "daily_scrape_at_6", cron: "0 6 * * *", timezone: "UTC", job: "daily_scrape", status: "STOPPED" })]);
  });

  it("runs again with sluice job execute, replacing rather than duplicating rows", async () => {
    const result = await runCli(["job", "execute", "-f", "definitions.ts", "-j", "daily_scrape"], { home, cwd: EXAMPLE, env: env() });
    expect(result.code, describeResult(result)).toBe(0);
    const runId = lastLine(result.stdout);
    expect((await showRun(home, runId)).jobName).toBe("daily_scrape");
    const pages = await db.query("SELECT count(*)::int AS n, min(run_id) AS run FROM raw.pages");
    expect(pages.rows).toEqual([{ n: 4, run: runId }]);
    const labels = await db.query("SELECT count(*)::int AS n FROM enriched.page_labels");
    expect(labels.rows).toEqual([{ n: 6 }]);
  });

  it("fails before running, naming the variable, when SCRAPE_DATABASE_URL is not set", async () => {
    const result = await runCli(["materialize", "-f", "definitions.ts"], { home, cwd: EXAMPLE, env: { SCRAPE_BASE_URL: site.url, SCRAPE_DATABASE_URL: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Environment variable "SCRAPE_DATABASE_URL" is not set, but resources.postgres.config.url reads it.');
  });
});
