import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Context } from "hono";
import { API_ENDPOINTS } from "./api-endpoints.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

/**
 * Serves the built UI from `uiDir` (files as they are; any other path gets index.html, for the
 * UI's own routes). Without a built UI, `/` is a small page saying so and listing the API.
 */
export async function serveUi(c: Context, uiDir: string): Promise<Response> {
  const index = path.join(uiDir, "index.html");
  if (!existsSync(index)) {
    if (c.req.path === "/" || c.req.path === "/index.html") return c.html(placeholderPage());
    return c.text("Not found. The web UI is not built; the JSON API is under /api.", 404);
  }
  let rel: string;
  try {
    rel = decodeURIComponent(c.req.path).replace(/^\/+/, "");
  } catch {
    return c.text("Bad path.", 400);
  }
  const file = path.resolve(uiDir, rel);
  if (rel !== "" && (file === uiDir || file.startsWith(uiDir + path.sep)) && isFile(file)) {
    const body = await readFile(file);
    const hashed = /(^|\/)assets\//.test(rel);
    return c.body(body, 200, {
      "Content-Type": CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "Cache-Control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
    });
  }
  return c.body(await readFile(index), 200, { "Content-Type": CONTENT_TYPES[".html"]!, "Cache-Control": "no-cache" });
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);
}

function placeholderPage(): string {
  const rows = API_ENDPOINTS.map((e) => `<tr><td><code>${e.method}</code></td><td><code>${escapeHtml(e.path)}</code></td><td>${escapeHtml(e.description)}</td></tr>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sluice</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}td{padding:.2rem .8rem .2rem 0;vertical-align:top}code{font-size:.95em}</style>
</head>
<body>
<h1>Sluice</h1>
<p>The web UI is not built in this installation (no <code>dist/ui/</code>). The server, the daemon and the JSON API are running.</p>
<h2>HTTP API</h2>
<table>
${rows}
</table>
<p>Errors are JSON: <code>{"error": {"code", "message", "path"?}}</code>. When <code>SLUICE_TOKEN</code> is set, send <code>Authorization: Bearer &lt;token&gt;</code> (or <code>?token=</code>).</p>
</body>
</html>
`;
}
