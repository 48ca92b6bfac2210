/**
 * One TCP connection of a BGP session and its RFC 4271 8 state machine from the moment the TCP
 * connection exists: OpenSent → OpenConfirm → Established, with the OpenSent hold timer, the
 * negotiated hold and keepalive timers, and a NOTIFICATION for every error before closing. What
 * the session means for routes (RIB, graceful restart, max-prefix, collisions) is the owner's job.
 */
import type { Socket } from "node:net";
import {
  negotiate,
  decodeHeader,
  decodeMessage,
  ERR_CEASE,
  ERR_FSM,
  ERR_HOLD_TIMER,
  HEADER_LEN,
  MESSAGE_NAMES,
  notificationNames,
  type BgpDecodeOptions,
  type BgpMessage,
  type Negotiated,
  type NotificationMessage,
  type OpenMessage,
  type UpdateMessage,
} from "../../../codec/bgp/index.js";
import { BgpError, CodecError } from "../../../codec/errors.js";
import { StreamFramer } from "../../../codec/framer.js";
import type { Clock, Timer } from "../../core/clock.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import { normalizeAddress } from "./allow-list.js";
import { keepaliveSeconds, type OurOpen } from "./open-policy.js";
import { BgpSender, type SentType } from "./sender.js";
import { closeSocket } from "./socket-close.js";

export type ConnectionState = "OpenSent" | "OpenConfirm" | "Established" | "Closed";

/** Why a connection ended. */
export interface CloseReason {
  text: string;
  /** The NOTIFICATION that ended it, sent by us or received. */
  notification?: { direction: "sent" | "received"; code: number; subcode: number };
  /**
   * RFC 4724 4.2: the session ended in a way graceful restart covers (TCP closed or reset, hold
   * timer expired) rather than by a NOTIFICATION or by us closing it on purpose.
   */
  graceful: boolean;
}

/** What the connection asks of, and tells, whoever owns the session. */
export interface ConnectionOwner {
  /** Checks the peer's OPEN; throws the BgpError to send as NOTIFICATION. */
  checkOpen(conn: Connection, open: OpenMessage): void;
  stateChanged(conn: Connection, from: ConnectionState, to: ConnectionState, reason: string): void;
  /** Every received message, before it is acted on (`bytes` is valid only during the call). */
  received(conn: Connection, bytes: Buffer, tsMicros: number, message: BgpMessage | undefined): void;
  sent(conn: Connection, type: SentType, bytes: Buffer): void;
  update(conn: Connection, update: UpdateMessage, tsMicros: number): void;
  closed(conn: Connection, reason: CloseReason): void;
}

export interface ConnectionSettings {
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  ourOpen: OurOpen;
  /** Seconds to wait for the peer's OPEN (RFC 4271 8.2.2 suggests 4 minutes). */
  openHoldTime: number;
}

/** Before OPEN negotiation only headers and the OPEN itself are read; 4096-byte limit. */
const PRE_OPEN_OPTIONS: BgpDecodeOptions = Object.freeze({ as4: false });

export class Connection {
  state: ConnectionState = "OpenSent";
  readonly openedAt: number;
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The peer's OPEN and what it agreed with ours (from OpenConfirm on). */
  theirOpen: OpenMessage | undefined;
  negotiated: Negotiated | undefined;
  /** Options for decoding what the peer sends: replaced (not changed) after OPEN. */
  rxOptions: BgpDecodeOptions = PRE_OPEN_OPTIONS;
  private readonly sender: BgpSender;
  private readonly framer: StreamFramer;
  private holdTimer: Timer | undefined;
  /** When the last message arrived (µs): the hold timer re-arms from it instead of per message. */
  private lastReceived = 0;
  private keepaliveTimer: Timer | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly socket: Socket,
    readonly direction: "in" | "out",
    private readonly settings: ConnectionSettings,
    private readonly owner: ConnectionOwner,
  ) {
    this.openedAt = settings.clock.now();
    this.address = normalizeAddress(socket.remoteAddress ?? "");
    this.port = socket.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket.localAddress ?? "");
    this.localPort = socket.localPort ?? 0;
    this.sender = new BgpSender(socket, (type, bytes) => {
      settings.metrics.messages.inc({ transport: "bgp", direction: "out", type });
      owner.sent(this, type, bytes);
    });
    this.framer = new StreamFramer((buf, off) =>
      buf.length - off < HEADER_LEN ? -1 : decodeHeader(buf, off, this.rxOptions).length,
    );
  }

  /** RFC 4271 8.2.2: the TCP connection is up, send our OPEN and wait for theirs. */
  start(): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("end", () => this.peerClosed());
    s.on("close", () => this.peerClosed());
    s.on("error", (e: NodeJS.ErrnoException) =>
      this.close({ text: `socket error ${e.code ?? e.message}`, graceful: true }),
    );
    this.sender.open(this.settings.ourOpen.fields);
    this.armHold(this.settings.openHoldTime);
  }

  get senderForOwner(): Pick<BgpSender, "endOfRib" | "routeRefresh"> {
    return this.sender;
  }

  private get log(): Logger {
    return this.settings.log;
  }

  private onData(chunk: Buffer): void {
    if (this.state === "Closed") return;
    try {
      this.framer.push(chunk, (frame) => this.onFrame(frame));
    } catch (e) {
      this.failed(e, "framing");
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.state === "Closed") return;
    const ts = this.settings.clock.now();
    this.settings.metrics.messages.inc({
      transport: "bgp",
      direction: "in",
      type: MESSAGE_NAMES[frame[18]!] ?? "unknown",
    });
    this.lastReceived = ts;
    let message: BgpMessage | undefined;
    let error: unknown;
    try {
      message = decodeMessage(frame, 0, this.rxOptions);
    } catch (e) {
      error = e;
    }
    this.owner.received(this, frame, ts, message);
    if (error !== undefined) return this.failed(error, "decode");
    try {
      this.handle(message!, ts);
    } catch (e) {
      this.failed(e, message!.type);
    }
  }

  private handle(m: BgpMessage, ts: number): void {
    if (m.type === "NOTIFICATION") return this.notificationReceived(m);
    switch (this.state) {
      case "OpenSent":
        if (m.type === "OPEN") return this.openReceived(m);
        return this.fsmError(1, m.type);
      case "OpenConfirm":
        if (m.type === "KEEPALIVE") return this.setState("Established", "KEEPALIVE received");
        return this.fsmError(2, m.type);
      case "Established":
        if (m.type === "UPDATE") return this.owner.update(this, m, ts);
        if (m.type === "KEEPALIVE") return;
        // We advertise nothing, so a route refresh request has nothing to answer.
        if (m.type === "ROUTE-REFRESH") return;
        return this.fsmError(3, m.type);
    }
  }

  private openReceived(open: OpenMessage): void {
    this.owner.checkOpen(this, open);
    this.theirOpen = open;
    const n = negotiate(this.settings.ourOpen.message, open);
    this.negotiated = n;
    this.rxOptions = Object.freeze({
      as4: n.as4,
      addPath: n.addPathReceive,
      extendedMessage: n.extendedMessage,
    });
    this.sender.keepalive();
    this.holdTimer?.cancel();
    this.holdTimer = undefined;
    if (n.holdTime > 0) {
      this.armHold(n.holdTime);
      this.armKeepalive(keepaliveSeconds(n.holdTime));
    }
    this.setState("OpenConfirm", "OPEN received");
  }

  private notificationReceived(m: NotificationMessage): void {
    const { codeName, subcodeName } = notificationNames(m.code, m.subcode);
    const text =
      `NOTIFICATION received: ${m.code}/${m.subcode} ${codeName} / ${subcodeName}` +
      (m.shutdownMessage !== undefined ? ` "${m.shutdownMessage}"` : "");
    this.close({
      text,
      notification: { direction: "received", code: m.code, subcode: m.subcode },
      graceful: false,
    });
  }

  /** RFC 6608: Finite State Machine Error with the state's subcode. */
  private fsmError(subcode: number, type: string): void {
    this.sendNotificationAndClose(ERR_FSM, subcode, Buffer.alloc(0), `unexpected ${type} in ${this.state}`);
  }

  /**
   * Starts the hold timer. In OpenSent it waits for the OPEN; after that every message restarts it
   * (RFC 4271 8.2.2), which is done lazily: on expiry it re-arms for the time left since the last
   * message instead of a timer being replaced per message.
   */
  private armHold(seconds: number, from = this.settings.clock.now()): void {
    this.holdTimer?.cancel();
    const waitMs = Math.max(0, (from + seconds * 1e6 - this.settings.clock.now()) / 1000);
    this.holdTimer = this.settings.clock.after(waitMs, () => {
      this.holdTimer = undefined;
      if (this.state === "Closed") return;
      if (this.state !== "OpenSent" && this.lastReceived + seconds * 1e6 > this.settings.clock.now()) {
        return this.armHold(seconds, this.lastReceived);
      }
      const what = this.state === "OpenSent" ? "no OPEN" : "no message";
      if (this.state === "OpenSent")
        this.settings.metrics.rejectedConnections.inc({ transport: "bgp", reason: "open-timeout" });
      // Hold timer expiry is covered by graceful restart (RFC 4724 4.2), although we send 4/0.
      this.sendNotificationAndClose(
        ERR_HOLD_TIMER,
        0,
        Buffer.alloc(0),
        `hold timer expired (${what} in ${seconds} s)`,
        true,
      );
    });
  }

  private armKeepalive(seconds: number): void {
    this.keepaliveTimer = this.settings.clock.after(seconds * 1000, () => {
      if (this.state === "Closed") return;
      this.sender.keepalive();
      this.armKeepalive(seconds);
    });
  }

  setState(to: ConnectionState, reason: string): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.owner.stateChanged(this, from, to, reason);
  }

  /** A decode or framing error: the NOTIFICATION the codec chose, then close. */
  private failed(e: unknown, where: string): void {
    if (e instanceof BgpError) {
      this.settings.metrics.decodeErrors.inc({ transport: "bgp", kind: e.kind });
      this.sendNotificationAndClose(e.code, e.subcode, e.data, `${where}: ${e.message}`);
    } else if (e instanceof CodecError) {
      this.settings.metrics.decodeErrors.inc({ transport: "bgp", kind: e.kind });
      this.sendNotificationAndClose(ERR_CEASE, 0, Buffer.alloc(0), `${where}: ${e.message}`);
    } else {
      // A bug of ours: keep the daemon up, drop only this session.
      this.log.error({ err: e }, `internal error while handling a message from ${this.address}`);
      this.sendNotificationAndClose(ERR_CEASE, 0, Buffer.alloc(0), `internal error: ${(e as Error).message}`);
    }
  }

  /** Sends a NOTIFICATION and closes; `graceful` marks a hold timer expiry (RFC 4724). */
  sendNotificationAndClose(
    code: number,
    subcode: number,
    data: Buffer,
    text: string,
    graceful = false,
  ): void {
    if (this.state === "Closed") return;
    this.sender.notification(code, subcode, data);
    const { codeName, subcodeName } = notificationNames(code, subcode);
    this.close({
      text: `${text}; sent NOTIFICATION ${code}/${subcode} ${codeName} / ${subcodeName}`,
      notification: { direction: "sent", code, subcode },
      graceful,
    });
  }

  /** Cease with an RFC 9003 shutdown communication, then close. */
  shutdown(subcode: number, message: string): void {
    if (this.state === "Closed") return;
    this.sender.shutdown(subcode, message);
    const { subcodeName } = notificationNames(ERR_CEASE, subcode);
    this.close({
      text: `${subcodeName}: "${message}"`,
      notification: { direction: "sent", code: ERR_CEASE, subcode },
      graceful: false,
    });
  }

  private peerClosed(): void {
    if (this.state === "Closed") return;
    const partial = this.framer.buffered;
    if (partial > 0) this.settings.metrics.decodeErrors.inc({ transport: "bgp", kind: "bgp.truncated" });
    this.close({
      text:
        partial > 0
          ? `connection closed by the peer in the middle of a message (${partial} bytes)`
          : "connection closed by the peer",
      graceful: true,
    });
  }

  /** Ends the connection (after any NOTIFICATION already written); resolves once the socket is gone. */
  close(reason: CloseReason): Promise<void> {
    if (this.closing) return this.closing;
    this.holdTimer?.cancel();
    this.keepaliveTimer?.cancel();
    this.closing = closeSocket(this.socket);
    this.state = "Closed";
    this.owner.closed(this, reason);
    return this.closing;
  }
}
