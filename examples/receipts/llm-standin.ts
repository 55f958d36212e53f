/**
 * A local stand-in for the Anthropic Messages API, for the demo and the tests: it checks requests
 * as the real API does (POST /v1/messages, x-api-key, anthropic-version, the body's shape) and
 * "reads" a receipt from the image: the demo's PNGs carry their receipt as a text chunk, which it
 * turns into the JSON answer a model would give. An image without one gets a sentence instead.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Options of {@link startLlmStandin}. */
export interface StandinOptions {
  port?: number;
  /** The key requests must send in x-api-key. */
  apiKey: string;
  /** Answer the first N requests with 529 overloaded_error, as the API does under load. */
  overloadedFirst?: number;
}

/** A running stand-in. */
export interface LlmStandin {
  /** Base URL, e.g. http://127.0.0.1:PORT/ */
  url: string;
  /** Every request received: path, headers, parsed body, status answered. */
  requests: { path: string; headers: Record<string, string | string[] | undefined>; body: unknown; status: number }[];
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startLlmStandin(options: StandinOptions): Promise<LlmStandin> {
  const requests: LlmStandin["requests"] = [];
  let overloaded = options.overloadedFirst ?? 0;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      let body: unknown = null;
      const answer = (status: number, json: unknown): void => {
        requests.push({ path: req.url ?? "", headers: req.headers, body, status });
        res.writeHead(status, { "content-type": "application/json", "request-id": `req_${requests.length}` }).end(JSON.stringify(json));
      };
      const error = (status: number, type: string, message: string): void => answer(status, { type: "error", error: { type, message } });
      if (req.method !== "POST" || req.url !== "/v1/messages") return error(404, "not_found_error", `${req.method} ${req.url} is not an endpoint`);
      if (req.headers["x-api-key"] !== options.apiKey) return error(401, "authentication_error", "invalid x-api-key");
      if (!req.headers["anthropic-version"]) return error(400, "invalid_request_error", "anthropic-version: header is required");
      try {
        body = JSON.parse(raw);
      } catch {
        return error(400, "invalid_request_error", "the body is not JSON");
      }
      const problem = checkRequest(body);
      if (problem) return error(400, "invalid_request_error", problem);
      if (overloaded > 0) {
        overloaded -= 1;
        return error(529, "overloaded_error", "Overloaded");
      }
      const request = body as { model: string; messages: { content: { type: string; source?: { data: string } }[] }[] };
      const image = request.messages[0]!.content.find((b) => b.type === "image")!;
      const text = readReceipt(Buffer.from(image.source!.data, "base64"));
      answer(200, {
        id: `msg_${requests.length + 1}`,
        type: "message",
        role: "assistant",
        model: request.model,
        content: [{ type: "text", text }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 1200, output_tokens: Math.ceil(text.length / 4) },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** What the real API would refuse with a 400, in its words; undefined when the body is fine. */
function checkRequest(body: unknown): string | undefined {
  const b = body as Record<string, unknown>;
  if (typeof b?.model !== "string") return "model: Field required";
  if (!Number.isInteger(b.max_tokens) || (b.max_tokens as number) < 1) return "max_tokens: Field required";
  if (!Array.isArray(b.messages) || b.messages.length === 0) return "messages: at least one message is required";
  for (const [i, m] of (b.messages as Record<string, unknown>[]).entries()) {
    if (m.role !== "user" && m.role !== "assistant") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (!Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`;
    for (const [j, block] of (m.content as Record<string, unknown>[]).entries()) {
      if (block.type === "text" && typeof block.text !== "string") return `messages.${i}.content.${j}.text: Field required`;
      if (block.type === "image") {
        const source = block.source as Record<string, unknown> | undefined;
        if (source?.type !== "base64" || typeof source.data !== "string") return `messages.${i}.content.${j}.image.source: base64 data required`;
        if (!["image/png", "image/jpeg", "image/gif", "image/webp"].includes(source.media_type as string)) {
          return `messages.${i}.content.${j}.image.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
        }
      }
    }
  }
  if (!(b.messages as { content: { type: string }[] }[])[0]!.content.some((c) => c.type === "image")) return "this stand-in only answers questions about an image";
  return undefined;
}

/** The receipt text chunk of a demo PNG turned into the JSON a model would answer, or a sentence. */
function readReceipt(png: Buffer): string {
  let text: string | undefined;
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    if (type === "tEXt") {
      const [keyword, value] = png.toString("latin1", at + 8, at + 8 + length).split("\0");
      if (keyword === "receipt") text = value;
    }
    at += 12 + length;
  }
  if (text === undefined) return "I could not find a readable receipt in this image; it looks blurred.";
  // "MERCHANT | 2026-03-02 | Pasta 18.00 | ... | TOTAL EUR 48.50"
  const [merchant, date, ...rest] = text.split("|").map((s) => s.trim());
  const totalPart = rest.pop()!;
  const [, currency, total] = /^TOTAL\s+(\S+)\s+([\d.]+)$/.exec(totalPart) ?? [];
  const items = rest.map((p) => {
    const [, description, amount] = /^(.*\S)\s+([\d.]+)$/.exec(p)!;
    return { description: description!, amount: Number(amount) };
  });
  return "```json\n" + JSON.stringify({ merchant, date, currency, total: Number(total), items }, null, 2) + "\n```";
}
