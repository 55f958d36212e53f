/**
 * Chat messages with photos of receipts → Postgres → an LLM reads each photo → typed receipts →
 * Postgres.
 *
 *   inbox/messages ──► receipts/extracted ──► receipts/stored
 *   (files → Postgres)  (LLM, per image)       (Postgres)
 *
 * Asset checks watch the data at each stage: `has_messages` (blocking: with no message there is
 * nothing to send to the LLM), `all_images_read` (a warning naming the images the LLM could not
 * read) and `receipts_valid` (every receipt in Postgres, whoever wrote it, passes the schema and its
 * items add up to its total).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { asset, assetCheck, meta, output } from "sluice";
import { HttpRequestError, httpResource } from "sluice/http";
import { postgresResource } from "sluice/postgres";
import { answerText, imageQuestion, type MessagesResponse } from "./anthropic-messages.js";
import { ensureSchema } from "./db-schema.js";
import { EXTRACTION_PROMPT, parseReceipt, receiptProblem, type Receipt } from "./receipt.js";

const here = import.meta.dirname;

/** A chat message as the chat export writes it, one JSON file each. */
const messageFile = z.object({
  id: z.string().min(1),
  from: z.string(),
  sentAt: z.string().datetime({ offset: true }),
  text: z.string().default(""),
  attachments: z.array(z.string()).default([]),
});

const MEDIA_TYPES: Record<string, string> = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp" };

/** The inbox folder's messages and image attachments, loaded into Postgres. */
export const inboxMessages = asset({
  key: "inbox/messages",
  group: "ingest",
  kinds: ["postgres"],
  description: "The chat messages of the inbox folder and their image attachments, in receipts.messages and receipts.attachments.",
  config: z.object({ dir: z.string().default(path.join(here, "inbox")) }),
  resources: { postgres: postgresResource },
  run: async (_inputs, { config, resources, log }) => {
    const files = (await readdir(config.dir)).filter((f) => f.endsWith(".json")).sort();
    let loaded = 0;
    let images = 0;
    await resources.postgres.transaction(async (client) => {
      await ensureSchema(client);
      for (const file of files) {
        const where = path.join(config.dir, file);
        const parsed = messageFile.safeParse(JSON.parse(await readFile(where, "utf8")));
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          log.warn(`skipped ${where}: field "${issue.path.join(".")}": ${issue.message}`);
          continue;
        }
        const m = parsed.data;
        await client.query(
          `INSERT INTO receipts.messages (id, sender, sent_at, text, source_file) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET sender = excluded.sender, sent_at = excluded.sent_at, text = excluded.text, source_file = excluded.source_file`,
          [m.id, m.from, m.sentAt, m.text, file],
        );
        loaded += 1;
        for (const name of m.attachments) {
          const mediaType = MEDIA_TYPES[path.extname(name).toLowerCase()];
          if (!mediaType) {
            log.warn(`message ${m.id}: attachment ${name} is not an image; left out`);
            continue;
          }
          const content = await readFile(path.join(config.dir, "attachments", name));
          await client.query(
            `INSERT INTO receipts.attachments (message_id, file_name, media_type, content) VALUES ($1, $2, $3, $4)
             ON CONFLICT (message_id, file_name) DO UPDATE SET media_type = excluded.media_type, content = excluded.content`,
            [m.id, name, mediaType, content],
          );
          images += 1;
        }
      }
    });
    log.info(`loaded ${loaded} messages with ${images} images from ${config.dir}`);
    return output({ messages: loaded, images }, { rowCount: loaded, metadata: { images } });
  },
});

/** One image's extraction: a receipt, or why there is none. */
export type Extraction =
  | { messageId: string; fileName: string; receipt: Receipt }
  | { messageId: string; fileName: string; reason: string };

/** Receipts read from the images by the LLM; failures kept with their reasons. */
export const extractedReceipts = asset({
  key: "receipts/extracted",
  group: "extract",
  description:
    "Each image not yet turned into a receipt, read by the LLM. An image whose extraction fails is logged with its reason and the others go on.",
  deps: [inboxMessages],
  config: z.object({ model: z.string().default("claude-sonnet-4-5"), maxTokens: z.number().int().positive().default(1024) }),
  resources: { postgres: postgresResource, llm: httpResource },
  run: async (_inputs, { config, resources, log }) => {
    const pending = await resources.postgres.query<{ message_id: string; file_name: string; media_type: string; content: Buffer }>(
      `SELECT a.message_id, a.file_name, a.media_type, a.content FROM receipts.attachments a
       LEFT JOIN receipts.receipts r USING (message_id, file_name) WHERE r.message_id IS NULL ORDER BY a.message_id, a.file_name`,
    );
    const results: Extraction[] = [];
    for (const image of pending) {
      const which = `message ${image.message_id} (${image.file_name})`;
      let reason: string;
      try {
        const response = await resources.llm.postJson<MessagesResponse>(
          "v1/messages",
          imageQuestion(config.model, config.maxTokens, image.content, image.media_type, EXTRACTION_PROMPT),
        );
        const parsed = parseReceipt(answerText(response));
        if ("receipt" in parsed) {
          results.push({ messageId: image.message_id, fileName: image.file_name, receipt: parsed.receipt });
          log.info(`${which}: ${parsed.receipt.merchant}, ${parsed.receipt.total.toFixed(2)} ${parsed.receipt.currency}`);
          continue;
        }
        reason = parsed.reason;
      } catch (err) {
        // A wrong key or URL fails every image alike: stop the step and say how to fix it.
        if (err instanceof HttpRequestError && (err.status === 401 || err.status === 403 || err.status === 404)) {
          throw new Error(`the LLM API refused the request (${err.message}). Check RECEIPTS_LLM_BASE_URL and RECEIPTS_LLM_API_KEY in .env.`, { cause: err });
        }
        reason = (err as Error).message;
      }
      log.warn(`${which}: extraction failed: ${reason}`);
      results.push({ messageId: image.message_id, fileName: image.file_name, reason });
    }
    const failed = results.filter((r) => "reason" in r).length;
    return output(results, { rowCount: results.length - failed, metadata: { images: pending.length, failed } });
  },
});

/** The receipts (and the failures) stored in Postgres. */
export const storedReceipts = asset({
  key: "receipts/stored",
  group: "load",
  kinds: ["postgres"],
  description: "The extracted receipts in receipts.receipts; the failures, with their reasons, in receipts.extraction_failures.",
  ins: { extractions: extractedReceipts },
  resources: { postgres: postgresResource },
  run: async ({ extractions }, { resources, runId }) => {
    let stored = 0;
    await resources.postgres.transaction(async (client) => {
      for (const e of extractions) {
        if ("reason" in e) {
          await client.query("INSERT INTO receipts.extraction_failures (message_id, file_name, reason, run_id) VALUES ($1, $2, $3, $4)", [
            e.messageId,
            e.fileName,
            e.reason,
            runId,
          ]);
          continue;
        }
        const r = e.receipt;
        await client.query(
          `INSERT INTO receipts.receipts (message_id, file_name, merchant, receipt_date, currency, total, items, run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (message_id, file_name) DO UPDATE SET merchant = excluded.merchant, receipt_date = excluded.receipt_date,
             currency = excluded.currency, total = excluded.total, items = excluded.items, run_id = excluded.run_id`,
          [e.messageId, e.fileName, r.merchant, r.date, r.currency, r.total, JSON.stringify(r.items), runId],
        );
        stored += 1;
      }
    });
    return output({ stored, failed: extractions.length - stored }, { rowCount: stored, metadata: { failed: extractions.length - stored } });
  },
});

/** Without a message there is nothing to extract: the LLM is not called, nothing is stored. */
const hasMessages = assetCheck({
  asset: inboxMessages,
  name: "has_messages",
  description: "The inbox held at least one readable message; otherwise extraction and storage do not run.",
  blocking: true,
  run: (loaded) => ({ passed: loaded.messages > 0, description: `${loaded.messages} messages, ${loaded.images} images`, metadata: { messages: loaded.messages } }),
});

/** Images the LLM could not read: a warning (they are recorded and retried next run), with each reason. */
const allImagesRead = assetCheck({
  asset: extractedReceipts,
  name: "all_images_read",
  description: "Every new image became a receipt; the failures are listed with their reasons.",
  run: (extractions) => {
    const failures = extractions.flatMap((e) => ("reason" in e ? [{ message: e.messageId, file: e.fileName, reason: e.reason }] : []));
    return {
      passed: failures.length === 0,
      severity: "WARN",
      description:
        failures.length === 0
          ? `${extractions.length} images read`
          : `${failures.length} of ${extractions.length} images could not be read: ${failures.slice(0, 20).map((f) => f.message).join(", ")}${failures.length > 20 ? ", …" : ""}`,
      // The first 20 with their reasons; every one is in receipts.extraction_failures.
      metadata: { images: extractions.length, failed: failures.length, failures: meta.table(failures.slice(0, 20)) },
    };
  },
});

/** Every stored receipt, from this run or any before it, passes the same rules as a new one. */
const receiptsValid = assetCheck({
  asset: storedReceipts,
  name: "receipts_valid",
  description: "Every row of receipts.receipts has a merchant, a date, an ISO currency, a total of zero or more, and items that add up to it.",
  resources: { postgres: postgresResource },
  run: async (_stored, { resources }) => {
    const rows = await resources.postgres.query<{ message_id: string; file_name: string; merchant: string; date: string; currency: string; total: string; items: unknown }>(
      `SELECT message_id, file_name, merchant, to_char(receipt_date, 'YYYY-MM-DD') AS date, currency, total::text, items FROM receipts.receipts ORDER BY message_id, file_name`,
    );
    const invalid = rows.flatMap((r) => {
      const problem = receiptProblem({ merchant: r.merchant, date: r.date, currency: r.currency, total: Number(r.total), items: r.items });
      return problem === null ? [] : [{ message: r.message_id, file: r.file_name, problem }];
    });
    return {
      passed: invalid.length === 0,
      description:
        invalid.length === 0
          ? `${rows.length} receipts, all valid`
          : `${invalid.length} of ${rows.length} receipts are invalid: ${invalid
              .slice(0, 20)
              .map((i) => `${i.message}: ${i.problem}`)
              .join("; ")}${invalid.length > 20 ? "; …" : ""}`,
      metadata: { receipts: rows.length, invalid: invalid.length },
    };
  },
});

/** Every asset, in the order they run. */
export const assets = [inboxMessages, extractedReceipts, storedReceipts];

/** The checks of each stage's data, run with their assets. */
export const checks = [hasMessages, allImagesRead, receiptsValid];
