/**
 * The only way routewatch writes to a BGP socket. Passive by construction: the methods below are
 * every message a monitor ever sends (OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, End-of-RIB);
 * there is no method that could carry a route, and no module of the speaker imports an UPDATE or
 * attribute encoder.
 */
import type { Socket } from "node:net";
import {
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeShutdownNotification,
} from "../../../codec/bgp/message.js";
import type { OpenFields } from "../../../codec/bgp/open.js";

export type SentType = "OPEN" | "KEEPALIVE" | "NOTIFICATION" | "ROUTE-REFRESH" | "UPDATE";

/** Called for each message written (metrics, per-peer counters). */
export type SentListener = (type: SentType, bytes: Buffer) => void;

const KEEPALIVE = encodeKeepalive();

export class BgpSender {
  constructor(
    private readonly socket: Socket,
    private readonly onSent: SentListener,
  ) {}

  open(fields: OpenFields): void {
    this.send("OPEN", encodeOpen(fields));
  }

  keepalive(): void {
    this.send("KEEPALIVE", KEEPALIVE);
  }

  notification(code: number, subcode: number, data?: Buffer): void {
    this.send("NOTIFICATION", encodeNotification(code, subcode, data));
  }

  /** Cease with an RFC 9003 shutdown communication (Administrative Shutdown / Reset). */
  shutdown(subcode: number, message: string): void {
    this.send("NOTIFICATION", encodeShutdownNotification(subcode, message));
  }

  routeRefresh(afi: number, safi: number): void {
    this.send("ROUTE-REFRESH", encodeRouteRefresh(afi, safi));
  }

  /** RFC 4724 2: the empty UPDATE that says "my initial table is complete" (ours is always empty). */
  endOfRib(afi: number, safi: number): void {
    this.send("UPDATE", encodeEndOfRib(afi, safi));
  }

  private send(type: SentType, bytes: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
    this.onSent(type, bytes);
  }
}
