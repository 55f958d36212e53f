/**
 * The team's existing scraper, as it was before Sluice: give it a way to fetch text and a base
 * URL, it returns one JSON document per item page. Sluice wraps it as the `scrape/pages` asset.
 */

/** One scraped item page, as loaded into Postgres (raw.pages.doc). */
export interface PageDoc {
  url: string;
  title: string;
  price: number | null;
  description: string;
  imageUrl: string | null;
}

/** Fetches a page's HTML. */
export type FetchText = (url: string) => Promise<string>;

/** Scrapes the index page at `baseUrl` and every item page it links to (`/items/...`). */
export async function scrapeSite(baseUrl: string, fetchText: FetchText): Promise<PageDoc[]> {
  const index = await fetchText(baseUrl);
  const links = [...new Set([...index.matchAll(/<a\s[^>]*href="([^"]*\/items\/[^"]+)"/g)].map((m) => new URL(m[1]!, baseUrl).href))];
  const docs: PageDoc[] = [];
  for (const url of links) {
    const html = await fetchText(url);
    const image = /<img\s[^>]*src="([^"]+)"/.exec(html)?.[1];
    const price = /<span class="price">\s*([\d.]+)\s*<\/span>/.exec(html)?.[1];
    docs.push({
      url,
      title: decode(/<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? "").trim(),
      price: price === undefined ? null : Number(price),
      description: decode(/<p class="description">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? "").trim(),
      imageUrl: image === undefined ? null : new URL(image, url).href,
    });
  }
  return docs;
}

function decode(html: string): string {
  return html.replace(/<[^>]+>/g, "").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}
