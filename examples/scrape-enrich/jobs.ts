/** The daily job and its schedule. */
import { assetJob, schedule } from "sluice";

/** Scrapes, loads, enriches and loads the enrichment: every asset. */
export const dailyScrape = assetJob({
  name: "daily_scrape",
  description: "Scrape the site, load raw pages, detect objects in images, load the labels.",
  selection: "*",
});

/** Every day at 06:00 UTC (turn it on with `sluice schedule start daily_scrape_at_6 -f definitions.ts`, or in the UI). */
export const dailyAt6 = schedule({
  name: "daily_scrape_at_6",
  cron: "0 6 * * *",
  timezone: "UTC",
  job: dailyScrape,
});
