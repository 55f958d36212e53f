/**
 * A TCP proxy in front of a Postgres server that can cut a connection exactly around a COMMIT: the
 * moment a client's `commit` query passes, it either drops the connection before the server gets
 * it, or after (once the server had time to commit) without letting the answer through. That is
 * what a network failure or a server crash at the worst moment looks like from the client, made
 * deterministic for tests. It can also refuse new connections for a while.
 */
import net from "node:net";

/** What to do to the next `commit` a client sends. */
export type CommitCut = "before-server" | "after-server";

/** A running proxy; `url(base)` rewrites a Postgres URL to go through it. */
export class PostgresProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut: CommitCut | undefined;
  #refusing = false;
  /** How many commits were cut so far. */
  cuts = 0;

  private constructor(server: net.Server, readonly port: number) {
    this.#server = server;
  }

  /** Starts a proxy on a free port of 127.0.0.1 that forwards to `target`. */
  static async start(target: { host: string; port: number }): Promise<PostgresProxy> {
    let proxy: PostgresProxy | undefined;
    const server = net.createServer((client) => proxy!.connect(client, target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new PostgresProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** The next `commit` that passes is cut this way (once). */
  cutNextCommit(how: CommitCut): void {
    this.#cut = how;
  }

  /** While true, new connections are closed at once (the server looks down). */
  refuseConnections(refusing: boolean): void {
    this.#refusing = refusing;
  }

  /** Closes the proxy and every connection through it. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private connect(client: net.Socket, target: { host: string; port: number }): void {
    if (this.#refusing) {
      client.destroy();
      return;
    }
    const server = net.connect(target.port, target.host);
    this.#sockets.add(client).add(server);
    const drop = (): void => {
      client.destroy();
      server.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(server);
    };
    client.on("error", drop).on("close", drop);
    server.on("error", drop).on("close", drop);
    let cutting = false;
    server.on("data", (chunk: Buffer) => {
      if (!cutting) client.write(chunk);
    });
    // Frontend messages: the startup message (no type byte), then type byte + int32 length.
    let buffer = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const headerLength = started ? 5 : 4;
        if (buffer.length < headerLength) return;
        const length = buffer.readInt32BE(started ? 1 : 0) + (started ? 1 : 0);
        if (buffer.length < length) return;
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        const isCommit = started && message[0] === 0x51 && message.subarray(5).toString("utf8").replace(/\0$/, "").trim().toLowerCase() === "commit";
        started = true;
        if (!isCommit || this.#cut === undefined || cutting) {
          if (!cutting) server.write(message);
          continue;
        }
        const how = this.#cut;
        this.#cut = undefined;
        this.cuts += 1;
        cutting = true;
        if (how === "before-server") {
          drop();
          return;
        }
        server.write(message);
        // Time for the server to commit; its answer is swallowed, then the connection drops.
        setTimeout(drop, 300);
        return;
      }
    });
  }
}
