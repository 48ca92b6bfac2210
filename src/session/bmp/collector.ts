/**
 * The BMP collector (RFC 7854): listens on bmp.listen, accepts many routers at once (those in
 * bmp.allowRouters when set), and keeps each router's monitored peers and their views in the Rib.
 * A router is keyed by its address on the TCP connection: a new connection from the same address
 * replaces the old one (a restarted router, or a half-open leftover), whose state is cleared first,
 * so the new stream rebuilds it without duplicates.
 */
import type { Socket } from "node:net";
import { BmpSessionTracker } from "../../../codec/bmp/index.js";
import type { Clock } from "../../core/clock.js";
import type { Config, Endpoint } from "../../core/config.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { Rib } from "../../rib/rib.js";
import { RouterAllowList, socketAddress } from "./address.js";
import { RouterConnection } from "./connection.js";
import { Listeners } from "./listener.js";
import { registerBmpGauges } from "./metrics.js";
import { BmpRouter, type RouterView } from "./router.js";
import type { BmpMessageHook, BmpRouterHook, RouterInfo } from "./types.js";

export interface BmpCollectorOptions {
  config: Config;
  rib: Rib;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  onMessage?: BmpMessageHook;
  onRouter?: BmpRouterHook;
}

export class BmpCollector {
  /** Every BMP message received (for the recorder). */
  onMessage: BmpMessageHook | undefined;
  /** A router connected ("up") or its connection ended ("down"). */
  onRouter: BmpRouterHook | undefined;
  /** A monitored peer that was up went down (PEER-DOWN). */
  onPeerDown: ((router: string, peer: string, distinguisher: string) => void) | undefined;
  private readonly listeners = new Listeners();
  private readonly connections = new Map<string, RouterConnection>();
  private readonly tracker = new BmpSessionTracker();
  private readonly allow: RouterAllowList;
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly opts: BmpCollectorOptions) {
    this.onMessage = opts.onMessage;
    this.onRouter = opts.onRouter;
    this.allow = new RouterAllowList(opts.config.bmp.allowRouters);
    this.log = opts.log.child({ component: "bmp" });
    registerBmpGauges(opts.metrics, () => this.activeRouters());
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.listeners.listen(this.opts.config.bmp.listen, (s) => this.accept(s));
    this.log.info({ listen: this.listening() }, "BMP collector listening");
  }

  /** Closes the listeners and every router connection (their routes are withdrawn, timers cancelled). */
  async stop(): Promise<void> {
    this.stopped = true;
    const closing = this.listeners.close();
    for (const conn of [...this.connections.values()]) conn.close("collector stopping");
    await closing;
  }

  listening(): Endpoint[] {
    return this.listeners.endpoints();
  }

  routers(): RouterInfo[] {
    return [...this.activeRouters()].map((r) => r.info());
  }

  /** The views each connected router reports (for a recording's snapshot). */
  routerViews(): Map<string, RouterView[]> {
    return new Map([...this.activeRouters()].map((r) => [r.address, r.views()]));
  }

  private *activeRouters(): Iterable<BmpRouter> {
    for (const c of this.connections.values()) yield c.router;
  }

  private accept(socket: Socket): void {
    if (!socket.remoteAddress) {
      socket.destroy(); // closed again before we saw it
      return;
    }
    const address = socketAddress(socket.remoteAddress);
    const port = socket.remotePort ?? 0;
    const { metrics, clock, rib } = this.opts;
    if (this.stopped || !this.allow.allows(address)) {
      const reason = this.stopped ? "stopping" : "not-allowed";
      metrics.rejectedConnections.inc({ transport: "bmp", reason });
      this.log.warn(
        { router: address, port },
        this.stopped ? "BMP connection refused: stopping" : "BMP connection refused: not in bmp.allowRouters",
      );
      socket.destroy();
      return;
    }
    const previous = this.connections.get(address);
    if (previous) {
      this.log.info({ router: address }, "BMP router reconnected: dropping its previous connection");
      previous.close("replaced by a new connection from the same router");
    }
    const router = new BmpRouter(
      address,
      port,
      { address: socketAddress(socket.localAddress), port: socket.localPort ?? 0 },
      {
        rib,
        tracker: this.tracker,
        clock,
        log: this.log,
        metrics,
        quietMs: this.opts.config.bmp.initialDumpQuiet * 1000,
        onPeerDown: (router, peer) => this.onPeerDown?.(router, peer.address, peer.distinguisher),
      },
    );
    const conn = new RouterConnection(socket, router, {
      clock,
      log: this.log.child({ router: address }),
      metrics,
      onMessage: () => this.onMessage,
      onClosed: (c, reason) => this.closed(c, reason),
    });
    this.connections.set(address, conn);
    this.log.info({ router: address, port }, "BMP router connected");
    this.onRouter?.(address, "up", router.connectedSince);
  }

  private closed(conn: RouterConnection, reason: string): void {
    const { address } = conn.router;
    if (this.connections.get(address) === conn) this.connections.delete(address);
    const withdrawn = conn.router.clear();
    this.log.info({ router: address, reason, withdrawn }, "BMP router disconnected");
    this.onRouter?.(address, "down", this.opts.clock.now());
  }
}
