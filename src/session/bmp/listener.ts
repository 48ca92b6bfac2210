/** TCP listeners on the configured endpoints (bmp.listen); port 0 picks a free port. */
import { createServer, type Server, type Socket } from "node:net";
import type { Endpoint } from "../../core/config.js";

export class Listeners {
  private servers: Server[] = [];

  /** Listens on every endpoint; if one fails, the others are closed and the error is thrown. */
  async listen(endpoints: readonly Endpoint[], onSocket: (s: Socket) => void): Promise<void> {
    try {
      for (const e of endpoints) {
        const server = createServer({ noDelay: true }, onSocket);
        this.servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          // "[::]:P" alone takes IPv4 too (dual stack); next to "0.0.0.0:P" it must leave IPv4 alone.
          const ipv6Only =
            e.host.includes(":") && endpoints.some((o) => !o.host.includes(":") && o.port === e.port);
          server.listen({ host: e.host, port: e.port, ipv6Only }, () => {
            server.off("error", reject);
            resolve();
          });
        });
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** The bound endpoints (the actual port where 0 was asked). */
  endpoints(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const s of this.servers) {
      const a = s.address();
      if (a && typeof a === "object") out.push({ host: a.address, port: a.port });
    }
    return out;
  }

  /** Stops accepting; open connections are the caller's to close. */
  async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(
      servers.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    );
  }
}
