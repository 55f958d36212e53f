/**
 * The receipts example end to end: the CLI with a .env naming a fresh database on the local
 * Postgres and a local server speaking the Anthropic Messages API wire format; then the plain
 * script (materialize() from code) picking up what failed.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../src/storage/testing/postgres-test-schemas.js";
import { assertBuilt, describeResult, lastLine, removeTempDirs, REPO_ROOT, runCli, runEvents, showRun, tempDir } from "../../test/cli/helpers.js";
import { startLlmStandin, type LlmStandin } from "./llm-standin.js";

const EXAMPLE = path.join(REPO_ROOT, "examples", "receipts");
const APP_DATABASE = testDatabase("receipts");
const DATABASE_URL = APP_DATABASE.url;
const API_KEY = `sk-test-${randomBytes(6).toString("hex")}`;

let llm: LlmStandin;
let db: pg.Client;
const home = tempDir();
/** The user's working directory: where `.env` is and sluice runs. */
const project = tempDir("sluice-receipts-cwd-");

beforeAll(async () => {
  assertBuilt();
  await APP_DATABASE.create();
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  llm = await startLlmStandin({ apiKey: API_KEY, overloadedFirst: 1 });
  writeFileSync(
    path.join(project, ".env"),
    `RECEIPTS_DATABASE_URL=${DATABASE_URL}\nRECEIPTS_LLM_BASE_URL=${llm.url}\nRECEIPTS_LLM_API_KEY=${API_KEY}\n`,
  );
});

afterAll(async () => {
  await db?.end();
  await llm?.close();
  await APP_DATABASE.drop();
  removeTempDirs();
});

describe("receipts: sluice materialize with settings from .env", () => {
  let runId: string;

  beforeAll(async () => {
    const result = await runCli(["materialize", "-f", path.join(EXAMPLE, "definitions.ts")], { home, cwd: project });
    expect(result.code, describeResult(result)).toBe(0);
    runId = lastLine(result.stdout);
  });

  it("stores the five messages and the four image attachments", async () => {
    expect((await showRun(home, runId)).status).toBe("SUCCESS");
    const messages = await db.query("SELECT id, sender, text FROM receipts.messages ORDER BY id");
    expect(messages.rows.map((r) => `${r.id} ${r.sender}: ${r.text}`)).toEqual([
      "m-001 Anna: Lunch with the client",
      "m-002 Ben: Taxi to the airport",
      "m-003 Chloe: Blurry one, sorry",
      "m-004 Anna: See you tomorrow!",
      "m-005 Ben: Hotel, one night",
    ]);
    const attachments = await db.query("SELECT message_id, media_type, content FROM receipts.attachments ORDER BY message_id");
    expect(attachments.rows.map((r) => r.message_id)).toEqual(["m-001", "m-002", "m-003", "m-005"]);
    expect(attachments.rows[0].content.equals(readFileSync(path.join(EXAMPLE, "inbox", "attachments", "m-001.png")))).toBe(true);
  });

  it("sends each image to the Messages API in its wire format, and retries its 529", () => {
    expect(llm.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      "/v1/messages 529",
      "/v1/messages 200",
      "/v1/messages 200",
      "/v1/messages 200",
      "/v1/messages 200",
    ]);
    const first = llm.requests[1]!;
    expect(first.headers["x-api-key"]).toBe(API_KEY);
    expect(first.headers["anthropic-version"]).toBe("2023-06-01");
    expect(first.headers["content-type"]).toBe("application/json");
    const body = first.body as { model: string; max_tokens: number; messages: { role: string; content: { type: string; source?: { type: string; media_type: string; data: string }; text?: string }[] }[] };
    expect(body.model).toBe("claude-sonnet-4-5");
    expect(body.max_tokens).toBe(1024);
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]!.role).toBe("user");
    const [image, question] = body.messages[0]!.content;
    expect(image!.type).toBe("image");
    expect(image!.source!.media_type).toBe("image/png");
    expect(Buffer.from(image!.source!.data, "base64").equals(readFileSync(path.join(EXAMPLE, "inbox", "attachments", "m-001.png")))).toBe(true);
    expect(question!.type).toBe("text");
    expect(question!.text).toContain('"merchant": string');
  });

  it("stores the two readable receipts, typed", async () => {
    const receipts = await db.query(
      "SELECT message_id, merchant, to_char(receipt_date, 'YYYY-MM-DD') AS date, currency, total::text, items FROM receipts.receipts ORDER BY message_id",
    );
    expect(receipts.rows).toEqual([
      {
        message_id: "m-001",
        merchant: "TRATTORIA ROMA",
        date: "2026-03-02",
        currency: "EUR",
        total: "48.50",
        items: [{ description: "Pasta", amount: 18 }, { description: "Pizza", amount: 16.5 }, { description: "Wine", amount: 14 }],
      },
      { message_id: "m-002", merchant: "CITY TAXI", date: "2026-03-03", currency: "EUR", total: "32.00", items: [{ description: "Fare", amount: 29 }, { description: "Tip", amount: 3 }] },
    ]);
  });

  it("logs each failed extraction with its reason, records it, and goes on with the others", async () => {
    const events = await runEvents(home, runId);
    const warnings = events.filter((e) => e.level === "WARN").map((e) => e.message);
    // The API's 529 (overloaded), retried after a backoff of 0.5 to 1 s.
    expect(warnings[0]).toMatch(new RegExp(`^POST ${llm.url}v1/messages: 529; retrying in (0\\.[5-9]|1\\.0) s \\(attempt 2 of 5\\)$`));
    expect(warnings.slice(1)).toEqual([
      'message m-003 (m-003.png): extraction failed: the answer is not JSON: "I could not find a readable receipt in this image; it looks blurred."',
      'message m-005 (m-005.png): extraction failed: field "currency": must be a three-letter ISO currency code such as EUR (got "euros")',
      // The all_images_read check says it again, as one warning for the run.
      'Check "receipts/extracted:all_images_read" failed (WARN): 2 of 4 images could not be read: m-003, m-005',
    ]);
    const failures = await db.query("SELECT message_id, run_id FROM receipts.extraction_failures ORDER BY message_id");
    expect(failures.rows).toEqual([{ message_id: "m-003", run_id: runId }, { message_id: "m-005", run_id: runId }]);
  });

  it("checks each stage: messages present, a warning naming the two unread images, the stored receipts valid", async () => {
    const evaluations = (await runEvents(home, runId)).filter((e) => e.type === "ASSET_CHECK_EVALUATION");
    const byKey = Object.fromEntries(evaluations.map((e) => [e.stepKey, e]));
    expect(Object.keys(byKey).sort()).toEqual(["inbox/messages:has_messages", "receipts/extracted:all_images_read", "receipts/stored:receipts_valid"]);
    expect(byKey["inbox/messages:has_messages"]).toMatchObject({ status: "PASSED", description: "5 messages, 4 images" });
    expect(byKey["receipts/extracted:all_images_read"]).toMatchObject({
      status: "FAILED",
      severity: "WARN",
      description: "2 of 4 images could not be read: m-003, m-005",
    });
    expect(byKey["receipts/extracted:all_images_read"]!.metadata?.["failed"]).toEqual({ type: "int", value: 2 });
    expect(byKey["receipts/stored:receipts_valid"]).toMatchObject({ status: "PASSED", description: "2 receipts, all valid" });
  });

  it("never writes the API key or the database URL into the instance", async () => {
    const events = JSON.stringify(await runEvents(home, runId));
    expect(events).not.toContain(API_KEY);
    expect(events).not.toContain(DATABASE_URL);
  });
});

describe("receipts: the plain script (materialize() from code)", () => {
  it("sends only the images still without a receipt, and records the run in the same instance", async () => {
    const before = llm.requests.length;
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "run.ts"],
        {
          cwd: EXAMPLE,
          env: { ...process.env, SLUICE_HOME: home, RECEIPTS_DATABASE_URL: DATABASE_URL, RECEIPTS_LLM_BASE_URL: llm.url, RECEIPTS_LLM_API_KEY: API_KEY },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
      );
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^run [\w-]+: 0 receipts stored, 2 images could not be read/);
    expect(llm.requests.length - before).toBe(2);
    expect((await db.query("SELECT count(*)::int AS n FROM receipts.receipts")).rows).toEqual([{ n: 2 }]);
    expect((await db.query("SELECT count(*)::int AS n FROM receipts.extraction_failures")).rows).toEqual([{ n: 4 }]);
    const runs = await runCli(["run", "list", "--json"], { home });
    expect((JSON.parse(runs.stdout) as { status: string }[]).map((r) => r.status)).toEqual(["SUCCESS", "SUCCESS"]);
  });

  it("fails the extraction step, naming the settings to check, when the API refuses the key", async () => {
    const result = await runCli(["materialize", "-f", path.join(EXAMPLE, "definitions.ts")], {
      home,
      cwd: project,
      env: { RECEIPTS_LLM_API_KEY: "sk-wrong-key" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the LLM API refused the request (POST ${llm.url}v1/messages failed: 401 Unauthorized`);
    expect(result.stderr).toContain("Check RECEIPTS_LLM_BASE_URL and RECEIPTS_LLM_API_KEY in .env.");
    expect(result.stderr).not.toContain("sk-wrong-key");
  });
});
