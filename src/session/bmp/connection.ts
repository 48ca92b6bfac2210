/**
 * One router's TCP connection: bytes to whole BMP messages (bmpFramer) to the router's state. A bad
 * common header (version, length) means the stream cannot be followed: the connection is closed and
 * the router's state cleared, other routers are not affected.
 */
import type { Socket } from "node:net";
import { bmpFramer } from "../../../codec/framer.js";
import { CodecError } from "../../../codec/errors.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { BmpRouter } from "./router.js";
import type { BmpMessageHook } from "./types.js";

export interface ConnectionDeps {
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Read at each message, so a hook set after start() is used. */
  onMessage: () => BmpMessageHook | undefined;
  /** The connection ended (closed by either side); called once. */
  onClosed: (conn: RouterConnection, reason: string) => void;
}

export class RouterConnection {
  private readonly framer = bmpFramer();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly router: BmpRouter,
    private readonly deps: ConnectionDeps,
  ) {
    // A router that vanishes without a FIN (power loss, cable) is found by TCP keepalive.
    socket.setKeepAlive(true, 30_000);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("end", () => this.close("closed by the router"));
    socket.on("close", () => this.close("connection closed"));
    socket.on("error", (e) => this.close(`socket error: ${e.message}`));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.framer.push(chunk, (bytes) => this.message(bytes));
    } catch (e) {
      if (!(e instanceof CodecError)) {
        this.deps.log.error({ err: e }, "BMP message handling failed");
        this.close(`internal error: ${(e as Error).message}`);
        return;
      }
      this.deps.metrics.decodeErrors.inc({ transport: "bmp", kind: e.kind });
      this.deps.log.warn({ kind: e.kind }, `BMP stream cannot be followed, closing: ${e.message}`);
      this.close(`framing error (${e.kind}): ${e.message}`);
    }
  }

  private message(bytes: Buffer): void {
    if (this.closed) return; // after TERMINATION, the rest of the chunk is not read
    const hook = this.deps.onMessage();
    if (hook) {
      hook({
        tsMicros: this.deps.clock.now(),
        router: this.router.address,
        routerPort: this.router.port,
        collector: this.router.collector.address,
        collectorPort: this.router.collector.port,
        bytes,
      });
    }
    if (this.router.handle(bytes) === "terminated") this.close("TERMINATION received");
  }

  /** Closes the socket (if still open) and reports the end once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.deps.onClosed(this, reason);
  }
}
