/**
 * The assets: the team's scripts (scripts/) wrapped, each step a table or file others build on.
 *
 *   scrape/pages ──► raw/pages ──► enrich/image_labels ──► enriched/page_labels
 *   (HTTP, JSON)     (Postgres)     (images → labels)       (Postgres)
 */
import { asset, output } from "sluice";
import { httpResource } from "sluice/http";
import { postgresResource } from "sluice/postgres";
import { detectObjects, type Detection } from "./scripts/detect-objects.js";
import { scrapeSite } from "./scripts/scrape-site.js";

/** The item pages of the site, scraped by the team's script (scripts/scrape-site.ts). */
export const scrapedPages = asset({
  key: "scrape/pages",
  group: "scrape",
  kinds: ["http"],
  description: "Every item page of the site at SCRAPE_BASE_URL, as JSON documents.",
  resources: { site: httpResource },
  run: async (_inputs, { resources, log }) => {
    const base = resources.site.url("");
    const docs = await scrapeSite(base, (url) => resources.site.getText(url));
    log.info(`scraped ${docs.length} item pages from ${base}`);
    return output(docs, { rowCount: docs.length });
  },
});

/** The scraped documents, loaded as they are into Postgres (raw.pages). */
export const rawPages = asset({
  key: "raw/pages",
  group: "load",
  kinds: ["postgres"],
  description: "The scraped documents in Postgres, raw.pages (one row per URL, the document as jsonb).",
  ins: { docs: scrapedPages },
  resources: { postgres: postgresResource },
  run: async ({ docs }, { resources, runId }) => {
    await resources.postgres.transaction(async (client) => {
      await client.query("CREATE SCHEMA IF NOT EXISTS raw");
      await client.query(
        "CREATE TABLE IF NOT EXISTS raw.pages (url text PRIMARY KEY, doc jsonb NOT NULL, scraped_at timestamptz NOT NULL, run_id text NOT NULL)",
      );
      for (const doc of docs) {
        await client.query(
          `INSERT INTO raw.pages (url, doc, scraped_at, run_id) VALUES ($1, $2, now(), $3)
           ON CONFLICT (url) DO UPDATE SET doc = excluded.doc, scraped_at = excluded.scraped_at, run_id = excluded.run_id`,
          [doc.url, JSON.stringify(doc), runId],
        );
      }
    });
    return output({ table: "raw.pages", rows: docs.length }, { rowCount: docs.length, metadata: { table: "raw.pages" } });
  },
});

/** The labels found in one page's image. */
export interface ImageLabels {
  url: string;
  imageUrl: string;
  sha256: string;
  width: number | null;
  height: number | null;
  detections: Detection[];
}

/** Each page's image run through the object detector (scripts/detect-objects.ts). */
export const imageLabels = asset({
  key: "enrich/image_labels",
  group: "enrich",
  description: "Objects detected in each page's image. An image that cannot be fetched or read is logged and skipped.",
  deps: [rawPages],
  resources: { postgres: postgresResource, site: httpResource },
  run: async (_inputs, { resources, log }) => {
    const pages = await resources.postgres.query<{ url: string; image_url: string }>(
      "SELECT url, doc->>'imageUrl' AS image_url FROM raw.pages WHERE doc->>'imageUrl' IS NOT NULL ORDER BY url",
    );
    const results: ImageLabels[] = [];
    const failed: string[] = [];
    for (const page of pages) {
      try {
        const found = detectObjects(await resources.site.getBytes(page.image_url));
        results.push({ url: page.url, imageUrl: page.image_url, sha256: found.sha256, width: found.width, height: found.height, detections: found.detections });
      } catch (err) {
        log.warn(`skipped the image of ${page.url}: ${(err as Error).message}`);
        failed.push(page.url);
      }
    }
    if (pages.length > 0 && results.length === 0) throw new Error(`no image of the ${pages.length} pages could be read (see the warnings above)`);
    log.info(`labelled ${results.length} of ${pages.length} images`);
    return output(results, { rowCount: results.length, metadata: { failed: failed.length } });
  },
});

/** The labels, loaded into Postgres (enriched.page_labels). */
export const pageLabels = asset({
  key: "enriched/page_labels",
  group: "load",
  kinds: ["postgres"],
  description: "The detected labels in Postgres, enriched.page_labels: one row per page and label.",
  ins: { results: imageLabels },
  resources: { postgres: postgresResource },
  run: async ({ results }, { resources }) => {
    const rows = results.flatMap((r) => r.detections.map((d) => ({ ...d, url: r.url, sha256: r.sha256, width: r.width, height: r.height })));
    await resources.postgres.transaction(async (client) => {
      await client.query("CREATE SCHEMA IF NOT EXISTS enriched");
      await client.query(
        `CREATE TABLE IF NOT EXISTS enriched.page_labels (
           url text NOT NULL, label text NOT NULL, confidence real NOT NULL,
           image_sha256 text NOT NULL, width int, height int, PRIMARY KEY (url, label))`,
      );
      // A page's labels are replaced whole: a new image may have lost some.
      await client.query("DELETE FROM enriched.page_labels WHERE url = ANY($1)", [results.map((r) => r.url)]);
      for (const row of rows) {
        await client.query(
          "INSERT INTO enriched.page_labels (url, label, confidence, image_sha256, width, height) VALUES ($1, $2, $3, $4, $5, $6)",
          [row.url, row.label, row.confidence, row.sha256, row.width, row.height],
        );
      }
    });
    return output({ table: "enriched.page_labels", rows: rows.length }, { rowCount: rows.length, metadata: { table: "enriched.page_labels" } });
  },
});

/** Every asset, in the order they run. */
export const assets = [scrapedPages, rawPages, imageLabels, pageLabels];
