/**
 * A local stand-in for a device cloud's HTTP API, speaking the wire format the pipeline's client
 * expects, with deterministic data so tests can check every number:
 *
 *   GET /v1/accounts/:account/devices                      → { devices: [...] }
 *   GET /v1/accounts/:account/logs?from=&to=&limit=&cursor= → { logs: [...], next_cursor }
 *
 * Both need `Authorization: Bearer <apiKey>` (401 otherwise) and a known account (404). Four
 * registered devices report temperature and humidity every 10 minutes; a fifth (`dev-105`, not in
 * the registry) reports temperature every 30 minutes. A device's humidity sensor fails at :40 of
 * every third hour (value null). With `flaky`, the second page of each window answers 503 once.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A device as the registry endpoint returns it. */
export interface DeviceRecord {
  id: string;
  serial: string;
  name: string;
  site: string;
  model: string;
  installed_at: string;
}

/** One log record as the logs endpoint returns it. */
export interface LogRecord {
  device_id: string;
  recorded_at: string;
  metric: "temperature_c" | "humidity_pct";
  value: number | null;
  unit: "C" | "%";
  firmware: string;
}

export const DEMO_ACCOUNT = "acme-cold-chain";
export const DEMO_API_KEY = "demo-key-5f2c9a";

export const DEVICES: readonly DeviceRecord[] = [
  { id: "dev-101", serial: "TX-4471-A", name: "Freezer 1", site: "Rotterdam DC", model: "ThermoLog T2", installed_at: "2025-03-14" },
  { id: "dev-102", serial: "TX-4472-A", name: "Freezer 2", site: "Rotterdam DC", model: "ThermoLog T2", installed_at: "2025-03-14" },
  { id: "dev-103", serial: "HX-0090-C", name: "Chiller hall", site: "Antwerp hub", model: "HumiTemp H5", installed_at: "2025-06-02" },
  { id: "dev-104", serial: "HX-0091-C", name: "Loading bay", site: "Antwerp hub", model: "HumiTemp H5", installed_at: "2025-06-02" },
];

/** Reports logs but was never registered: the staging step must keep its rows and say so. */
export const UNREGISTERED_DEVICE = "dev-105";

export interface DeviceCloud {
  url: string;
  /** Every request, as `METHOD PATH STATUS` (path with its query). */
  requests: string[];
  close(): Promise<void>;
}

export interface DeviceCloudOptions {
  port?: number;
  apiKey?: string;
  account?: string;
  /** The second page of each time window answers 503 the first time it is asked for. */
  flaky?: boolean;
}

/** Every log record whose time is in [from, to), in the order the API pages them. */
export function logsBetween(from: Date, to: Date): LogRecord[] {
  const out: LogRecord[] = [];
  const step = 10 * 60_000;
  const first = Math.ceil(from.getTime() / step) * step;
  for (let t = first; t < to.getTime(); t += step) {
    const at = new Date(t);
    const iso = at.toISOString().replace(".000Z", "Z");
    for (const device of DEVICES) {
      out.push({ device_id: device.id, recorded_at: iso, metric: "temperature_c", value: reading(device.id, iso, -22, 60), unit: "C", firmware: "2.4.1" });
      const broken = at.getUTCHours() % 3 === 0 && at.getUTCMinutes() === 40;
      out.push({ device_id: device.id, recorded_at: iso, metric: "humidity_pct", value: broken ? null : reading(`${device.id}/h`, iso, 40, 400), unit: "%", firmware: "2.4.1" });
    }
    if (at.getUTCMinutes() % 30 === 0) {
      out.push({ device_id: UNREGISTERED_DEVICE, recorded_at: iso, metric: "temperature_c", value: reading(UNREGISTERED_DEVICE, iso, 2, 40), unit: "C", firmware: "1.9.0" });
    }
  }
  return out;
}

/** A value from base to base + spread/10, fixed by the device and the time. */
function reading(device: string, iso: string, base: number, spread: number): number {
  const n = createHash("sha256").update(`${device}@${iso}`).digest().readUInt32BE(0);
  return Math.round((base + (n % spread) / 10) * 10) / 10;
}

/** Starts the API on `port` (0: a free one) on 127.0.0.1. */
export async function startDeviceCloud(options: DeviceCloudOptions = {}): Promise<DeviceCloud> {
  const apiKey = options.apiKey ?? DEMO_API_KEY;
  const account = options.account ?? DEMO_ACCOUNT;
  const requests: string[] = [];
  const failedOnce = new Set<string>();

  const handle = (req: IncomingMessage, res: ServerResponse): number => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      return status;
    };
    if (req.method !== "GET") return send(405, { error: "method_not_allowed" });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { error: "unauthorized", message: "Invalid API key." });
    const match = /^\/v1\/accounts\/([^/]+)\/(devices|logs)$/.exec(url.pathname);
    if (!match) return send(404, { error: "not_found", message: `No route ${url.pathname}` });
    if (decodeURIComponent(match[1]!) !== account) return send(404, { error: "account_not_found", message: `No account ${match[1]}` });
    if (match[2] === "devices") return send(200, { devices: DEVICES });

    const from = new Date(url.searchParams.get("from") ?? "");
    const to = new Date(url.searchParams.get("to") ?? "");
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) {
      return send(400, { error: "bad_request", message: "from and to must be ISO instants with from < to" });
    }
    if (to.getTime() - from.getTime() > 24 * 3_600_000) return send(400, { error: "bad_request", message: "at most 24 hours per request" });
    // Like many device clouds, it pages by 25 at most, whatever the client asks for.
    const limit = Math.min(Number(url.searchParams.get("limit") ?? 25) || 25, 25);
    const cursor = url.searchParams.get("cursor");
    const offset = cursor ? Number(Buffer.from(cursor, "base64url").toString()) : 0;
    if (options.flaky && offset > 0) {
      const page = `${from.toISOString()}/${offset}`;
      if (!failedOnce.has(page)) {
        failedOnce.add(page);
        return send(503, { error: "unavailable", message: "Try again." });
      }
    }
    const all = logsBetween(from, to);
    const logs = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString("base64url") : null;
    return send(200, { logs, next_cursor: next });
  };

  const server = createServer((req, res) => {
    const status = handle(req, res);
    requests.push(`${req.method} ${req.url} ${status}`);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
