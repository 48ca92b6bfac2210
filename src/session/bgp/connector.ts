/**
 * Connecting out to a `connect: true` peer: one attempt at a time, the ConnectRetry time between
 * failed attempts (RFC 4271 8.2.2 Connect/Active), doubling after each failure up to a bound.
 */
import { connect, type Socket } from "node:net";
import type { Clock, Timer } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";

/** The longest wait between attempts: 8 times the ConnectRetry time. */
const MAX_BACKOFF_FACTOR = 8;

export interface ConnectorSettings {
  host: string;
  port: number;
  localAddress?: string;
  /** ConnectRetry time in seconds (also the time an attempt may take). */
  retrySeconds: number;
  clock: Clock;
  log: Logger;
  /** A connection is up: the session takes over the socket. */
  connected(socket: Socket): void;
  /** An attempt started or failed (the session shows Connect meanwhile). */
  changed(reason: string): void;
}

export class Connector {
  connecting = false;
  private failures = 0;
  private timer: Timer | undefined;
  private socket: Socket | undefined;
  private stopped = false;

  constructor(private readonly s: ConnectorSettings) {}

  /** Tries now (unless an attempt or a retry is pending). */
  start(): void {
    if (this.stopped || this.connecting || this.timer) return;
    this.attempt();
  }

  /** Tries again after the (backed-off) ConnectRetry time. */
  retryLater(): void {
    if (this.stopped || this.connecting) return;
    this.timer?.cancel();
    const base = Math.max(1, this.s.retrySeconds);
    const exponent = Math.min(Math.max(0, this.failures - 1), 10);
    const delay = Math.min(base * 2 ** exponent, base * MAX_BACKOFF_FACTOR);
    this.timer = this.s.clock.after(delay * 1000, () => {
      this.timer = undefined;
      this.attempt();
    });
  }

  /** Stops trying (and abandons an attempt in progress). */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.connecting = false;
  }

  /** Retries were paused by stop(); allow them again. */
  resume(): void {
    this.stopped = false;
  }

  /** Pending retry, if any, is dropped (a session came up the other way). */
  cancelRetry(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private attempt(): void {
    if (this.stopped) return;
    this.connecting = true;
    this.s.changed(`connecting to ${this.s.host}:${this.s.port}`);
    const socket = connect({
      host: this.s.host,
      port: this.s.port,
      ...(this.s.localAddress ? { localAddress: this.s.localAddress } : {}),
    });
    this.socket = socket;
    const timeout = this.s.clock.after(Math.max(1, this.s.retrySeconds) * 1000, () =>
      socket.destroy(new Error("connect timed out")),
    );
    const failed = (e: Error): void => {
      timeout.cancel();
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connecting = false;
      this.failures++;
      this.s.log.debug(`connect to ${this.s.host}:${this.s.port} failed: ${e.message}`);
      this.s.changed(`connect failed: ${e.message}`);
      this.retryLater();
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      timeout.cancel();
      socket.off("error", failed);
      this.socket = undefined;
      this.connecting = false;
      this.failures = 0;
      this.s.connected(socket);
    });
  }
}
