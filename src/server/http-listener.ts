import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Hono } from "hono";
import { UsageError } from "../definitions/errors.js";

/** A listening HTTP server. */
export interface HttpListener {
  /** The port it listens on (the actual one when 0 was asked for). */
  port: number;
  host: string;
  /** The URL to print and to open (a wildcard host shown as given). */
  url: string;
  /** Stops accepting connections and ends open ones (live streams included). */
  close(): Promise<void>;
}

/** The URL of a host and port (`[::1]` for IPv6). */
export function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Serves the app on host:port. Throws UsageError when the port is taken or the host cannot be bound. */
export async function listen(app: Hono, options: { host: string; port: number }): Promise<HttpListener> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE") {
        reject(new UsageError(`Port ${options.port} on ${options.host} is already in use. Stop what uses it, or pass --port with another port.`));
      } else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND" || err.code === "EACCES") {
        reject(new UsageError(`Cannot listen on ${options.host}:${options.port} (${err.code}). Check --host and --port.`));
      } else {
        reject(err);
      }
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options.port, options.host);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host: options.host,
    url: urlOf(options.host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Live event streams never end by themselves.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
