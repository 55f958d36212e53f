/**
 * A small shop website to scrape: an index page linking item pages, each with a title, price,
 * description and a PNG image. Like a real site it rate-limits now and then (one 429 with
 * Retry-After on the first visit of item 2), and one item's image is missing (404).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { patternPng } from "./png.js";

/** The items of the demo shop. */
export const ITEMS = [
  { id: 1, title: "Blue kettle", price: 24.5, description: "A kettle &amp; its lid.", image: true },
  { id: 2, title: "Desk lamp", price: 39, description: "Bright, adjustable.", image: true },
  { id: 3, title: "Garden chair", price: 55.25, description: "Folds flat.", image: true },
  { id: 4, title: "Old poster", price: 8, description: "Its image went missing.", image: false },
] as const;

/** A running demo site. */
export interface DemoSite {
  url: string;
  /** Requests served, as `METHOD path status`. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts the site on `port` (0: any free port) of 127.0.0.1. */
export async function startDemoSite(port = 0): Promise<DemoSite> {
  const requests: string[] = [];
  let limited = false;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void => {
      requests.push(`${req.method} ${path} ${status}`);
      res.writeHead(status, { "content-type": type, ...headers }).end(body);
    };
    if (path === "/") {
      const links = ITEMS.map((i) => `<li><a href="/items/${i.id}.html">${i.title}</a></li>`).join("\n");
      return send(200, "text/html", `<!doctype html><title>Demo shop</title><ul>\n${links}\n</ul>`);
    }
    const page = /^\/items\/(\d+)\.html$/.exec(path);
    const item = page ? ITEMS.find((i) => i.id === Number(page[1])) : undefined;
    if (item) {
      if (item.id === 2 && !limited) {
        limited = true;
        return send(429, "text/plain", "Too many requests, slow down", { "retry-after": "1" });
      }
      return send(
        200,
        "text/html",
        `<!doctype html><h1>${item.title}</h1><img src="/images/${item.id}.png" alt="">` +
          `<span class="price">${item.price.toFixed(2)}</span><p class="description">${item.description}</p>`,
      );
    }
    const image = /^\/images\/(\d+)\.png$/.exec(path);
    const imageItem = image ? ITEMS.find((i) => i.id === Number(image[1]) && i.image) : undefined;
    if (imageItem) return send(200, "image/png", patternPng(16 + imageItem.id * 4, 12 + imageItem.id * 2, imageItem.id));
    return send(404, "text/plain", `Not found: ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
