/**
 * Scrape → load raw → enrich → load enrichment. Reads SCRAPE_BASE_URL (the site; default the demo
 * site of `run-demo.ts --serve`) and SCRAPE_DATABASE_URL (Postgres, a secret: never logged), from
 * the environment or this folder's .env.
 *   npx sluice materialize -f definitions.ts     npx sluice job execute -f definitions.ts -j daily_scrape
 */
import { configured, defineDefinitions, EnvVar } from "sluice";
import { httpResource } from "sluice/http";
import { postgresResource } from "sluice/postgres";
import { assets } from "./assets.js";
import { dailyAt6, dailyScrape } from "./jobs.js";

export default defineDefinitions({
  assets,
  jobs: [dailyScrape],
  schedules: [dailyAt6],
  resources: {
    // The site's URL is no secret: `secret: false` keeps it readable in the URLs the steps log (a
    // secret EnvVar's value is masked in every log line).
    site: configured(httpResource, {
      baseUrl: EnvVar("SCRAPE_BASE_URL", { secret: false, default: "http://127.0.0.1:8931/" }),
      timeoutMs: 10_000,
      maxRetries: 3,
      initialDelayMs: 250,
    }),
    postgres: configured(postgresResource, { url: EnvVar("SCRAPE_DATABASE_URL") }),
  },
});
