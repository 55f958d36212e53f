/**
 * The device cloud's API as a resource. Its config is typed (zod) and, in definitions.ts, read
 * from environment variables: the key is a secret, masked in every log line; the URL and the
 * account are not.
 */
import { resource } from "sluice";
import { HttpClient } from "sluice/http";
import { z } from "zod";

const deviceSchema = z.object({
  id: z.string(),
  serial: z.string(),
  name: z.string(),
  site: z.string(),
  model: z.string(),
  installed_at: z.string(),
});
export type Device = z.infer<typeof deviceSchema>;

const logSchema = z.object({
  device_id: z.string(),
  recorded_at: z.string(),
  metric: z.string(),
  value: z.number().nullable(),
  unit: z.string(),
  firmware: z.string(),
});
export type DeviceLog = z.infer<typeof logSchema>;

const devicesPage = z.object({ devices: z.array(deviceSchema) });
const logsPage = z.object({ logs: z.array(logSchema), next_cursor: z.string().nullable() });

/** The client a step gets: the account's devices, and its logs for a time window, every page. */
export class DeviceApi {
  constructor(
    private readonly http: HttpClient,
    readonly account: string,
    private readonly pageSize: number,
  ) {}

  async devices(): Promise<Device[]> {
    return parse(devicesPage, await this.http.getJson(`v1/accounts/${encodeURIComponent(this.account)}/devices`), "devices").devices;
  }

  /** Every log in [from, to), following `next_cursor`; `onPage` hears of each page. */
  async logs(from: Date, to: Date, onPage?: (page: number, records: number) => void): Promise<DeviceLog[]> {
    const out: DeviceLog[] = [];
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      const body = await this.http.getJson(`v1/accounts/${encodeURIComponent(this.account)}/logs`, {
        query: { from: from.toISOString(), to: to.toISOString(), limit: this.pageSize, cursor },
      });
      const { logs, next_cursor } = parse(logsPage, body, `logs page ${page}`);
      out.push(...logs);
      onPage?.(page, logs.length);
      if (!next_cursor) return out;
      cursor = next_cursor;
    }
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(`The device API answered ${what} in an unexpected shape: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

export const deviceApi = resource({
  description: "The device cloud's HTTP API (account, API key, paging, retries)",
  config: z.object({
    baseUrl: z.string().url(),
    account: z.string().min(1),
    /** A secret: give it with EnvVar. */
    apiKey: z.string().min(1),
    pageSize: z.number().int().min(1).max(1000).default(200),
    timeoutMs: z.number().int().positive().default(15_000),
    maxRetries: z.number().int().min(0).default(4),
  }),
  setup: (config, { signal, log }) =>
    new DeviceApi(
      new HttpClient({
        baseUrl: config.baseUrl,
        token: config.apiKey,
        timeoutMs: config.timeoutMs,
        maxRetries: config.maxRetries,
        initialDelayMs: 200,
        signal,
        onRetry: (r) => log.warn(`${r.method} ${r.url}: ${r.reason}; retrying in ${(r.delayMs / 1000).toFixed(1)} s (attempt ${r.attempt + 1} of ${r.maxAttempts})`),
      }),
      config.account,
      config.pageSize,
    ),
});
