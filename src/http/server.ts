/**
 * The HTTP side of the daemon: health, readiness, Prometheus metrics and the JSON API. Handlers are
 * registered by the parts of the daemon that own the data (the server owns nothing).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Endpoint } from "../core/config.js";
import type { Logger } from "../core/log.js";

export interface HttpRequest {
  path: string;
  query: URLSearchParams;
}

export interface HttpResponse {
  status?: number;
  /** Serialized as JSON unless `text` is given. */
  json?: unknown;
  text?: string;
  contentType?: string;
}

export type Handler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** A client error with the HTTP status to answer (400 for a bad query parameter). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class HttpServer {
  private readonly routes = new Map<string, Handler>();
  private server: Server | undefined;

  constructor(private readonly log: Logger) {}

  /** Registers a GET handler for an exact path. */
  get(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  async listen(at: Endpoint): Promise<Endpoint> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at.port, at.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://routewatch");
    const handler = this.routes.get(url.pathname);
    let out: HttpResponse;
    if (req.method !== "GET" && req.method !== "HEAD")
      out = { status: 405, json: { error: "only GET is supported" } };
    else if (!handler)
      out = {
        status: 404,
        json: { error: `no such path: ${url.pathname}`, paths: [...this.routes.keys()].sort() },
      };
    else {
      try {
        out = await handler({ path: url.pathname, query: url.searchParams });
      } catch (e) {
        if (e instanceof HttpError) out = { status: e.status, json: { error: e.message } };
        else {
          this.log.error({ err: e, path: url.pathname }, "HTTP handler failed");
          out = { status: 500, json: { error: "internal error" } };
        }
      }
    }
    const body = out.text ?? `${JSON.stringify(out.json ?? null, null, 2)}\n`;
    res.writeHead(out.status ?? 200, {
      "content-type":
        out.contentType ?? (out.text !== undefined ? "text/plain; charset=utf-8" : "application/json"),
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
