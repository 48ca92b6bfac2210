/**
 * One BGP peer across its connections: which connection is the session (collision handling,
 * RFC 4271 6.8), what its UPDATEs do to the RIB (RFC 7606 errors, max-prefix RFC 4486, End-of-RIB
 * and sync), graceful restart when it drops (RFC 4724), connecting out, and the session state
 * shown to operators with a log line for every change.
 */
import type { Socket } from "node:net";
import {
  CEASE_ADMIN_SHUTDOWN,
  CEASE_COLLISION,
  CEASE_MAX_PREFIXES,
  ERR_CEASE,
  familyName,
  openAsn,
  type BgpDecodeOptions,
  type BgpMessage,
  type OpenMessage,
  type UpdateMessage,
} from "../../../codec/bgp/index.js";
import { BgpError } from "../../../codec/errors.js";
import type { Clock, Timer } from "../../core/clock.js";
import type { Config, PeerConfig } from "../../core/config.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import { peerId, type PeerRef } from "../../core/types.js";
import type { Rib } from "../../rib/rib.js";
import { collisionLoser } from "./collision.js";
import {
  Connection,
  type CloseReason,
  type ConnectionOwner,
  type ConnectionSettings,
  type ConnectionState,
} from "./connection.js";
import { Connector } from "./connector.js";
import { RouteSession } from "./route-session.js";
import type { SessionInfo, SessionState } from "./info.js";
import { MaxPrefixGuard, maxPrefixData } from "./max-prefix.js";
import { checkPeerOpen, keepaliveSeconds, type OurOpen } from "./open-policy.js";
import type { SentType } from "./sender.js";

/** A received BGP message, for the recorder (`bytes` is a view valid only during the call). */
export interface BgpMessageRecord {
  tsMicros: number;
  peer: string;
  local: string;
  peerAs: number;
  localAs: number;
  bytes: Buffer;
  options: BgpDecodeOptions;
}

export interface SpeakerHooks {
  onMessage?: (m: BgpMessageRecord) => void;
  onState?: (peer: string, from: SessionState, to: SessionState, tsMicros: number) => void;
}

export interface PeerEnv {
  config: Config;
  rib: Rib;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  ourOpen: OurOpen;
  hooks: SpeakerHooks;
  /** Local address to connect out from (a listen address of the same family), if any. */
  localAddressFor(address: string): string | undefined;
  /** The peer has nothing left worth listing (an allowPeers address that never got established). */
  forget(peer: Peer): void;
}

const ORDER: Record<ConnectionState, number> = { Closed: 0, OpenSent: 1, OpenConfirm: 2, Established: 3 };

export class Peer implements ConnectionOwner {
  readonly id: string;
  state: SessionState = "Idle";
  since: number;
  lastError: string | undefined;
  messagesIn = 0;
  messagesOut = 0;
  private readonly connections = new Set<Connection>();
  /** The connection in Established, if any. */
  private session: Connection | undefined;
  /** How the RIB knows this peer in the current session (from its OPEN). */
  private ref: PeerRef | undefined;
  /** The last connection that got the peer's OPEN (for details after it ends). */
  private lastOpened: Connection | undefined;
  private everEstablished = false;
  private stopping = false;
  private readonly routes: RouteSession;
  private readonly maxPrefix: MaxPrefixGuard;
  private readonly connector: Connector | undefined;
  private readonly log: Logger;
  private readonly settings: ConnectionSettings;
  private idleUntil = 0;
  private idleTimer: Timer | undefined;

  constructor(
    readonly address: string,
    readonly config: PeerConfig | undefined,
    private readonly env: PeerEnv,
  ) {
    this.id = peerId("bgp", address);
    this.since = env.clock.now();
    this.log = env.log.child({ peer: address });
    const bgp = env.config.bgp;
    this.settings = {
      clock: env.clock,
      log: this.log,
      metrics: env.metrics,
      ourOpen: env.ourOpen,
      openHoldTime: bgp.openHoldTime,
    };
    this.routes = new RouteSession(this.id, {
      rib: env.rib,
      clock: env.clock,
      log: this.log,
      metrics: env.metrics,
      syncQuiet: bgp.syncQuiet,
      stalePathTime: bgp.stalePathTime,
    });
    this.maxPrefix = new MaxPrefixGuard(config?.maxPrefixes ?? bgp.maxPrefixes, bgp.maxPrefixWarning);
    if (config?.connect) {
      const localAddress = env.localAddressFor(address);
      this.connector = new Connector({
        host: address,
        port: config.port,
        ...(localAddress ? { localAddress } : {}),
        retrySeconds: bgp.connectRetry,
        clock: env.clock,
        log: this.log,
        connected: (socket) => this.attach(socket, "out"),
        changed: (reason) => this.updateState(reason),
      });
    }
  }

  get configured(): boolean {
    return this.config !== undefined;
  }

  /** Refusing connections after a max-prefix Cease. */
  get idleHeld(): boolean {
    return this.idleUntil > this.env.clock.now();
  }

  /** Connections waiting for the peer's OPEN. */
  get pending(): number {
    let n = 0;
    for (const c of this.connections) if (c.state === "OpenSent") n++;
    return n;
  }

  start(): void {
    this.updateState("started");
    this.connector?.start();
  }

  /** A TCP connection to this peer is up (accepted, or made by the connector). */
  attach(socket: Socket, direction: "in" | "out"): Connection {
    const conn = new Connection(socket, direction, this.settings, this);
    this.connections.add(conn);
    if (this.stopping) {
      conn.start();
      conn.shutdown(CEASE_ADMIN_SHUTDOWN, "routewatch is shutting down");
      return conn;
    }
    conn.start();
    this.log.debug(
      { port: conn.port, direction },
      `connection ${direction === "in" ? "from" : "to"} ${conn.address}:${conn.port}`,
    );
    this.updateState(direction === "in" ? "connection accepted, OPEN sent" : "connected out, OPEN sent");
    return conn;
  }

  // ---------------------------------------------------------------------------------------------
  // ConnectionOwner

  checkOpen(_conn: Connection, open: OpenMessage): void {
    checkPeerOpen(open, this.config?.asn, this.env.config.routerId);
  }

  stateChanged(conn: Connection, from: ConnectionState, to: ConnectionState, reason: string): void {
    this.log.debug(
      { port: conn.port, connection: `${from} → ${to}` },
      `connection ${conn.port}: ${from} → ${to} (${reason})`,
    );
    if (to === "OpenConfirm") {
      this.lastOpened = conn;
      this.resolveCollisions(conn);
    }
    if (to === "Established" && conn.state === "Established") this.established(conn);
    this.updateState(reason);
  }

  received(conn: Connection, bytes: Buffer, tsMicros: number, message: BgpMessage | undefined): void {
    this.messagesIn++;
    const onMessage = this.env.hooks.onMessage;
    if (!onMessage) return;
    const open = conn.theirOpen ?? (message?.type === "OPEN" ? message : undefined);
    this.callHook("onMessage", () =>
      onMessage({
        tsMicros,
        peer: conn.address,
        local: conn.localAddress,
        peerAs: open ? openAsn(open) : (this.config?.asn ?? 0),
        localAs: this.env.config.asn,
        bytes,
        options: conn.rxOptions,
      }),
    );
  }

  /** A hook that throws (a recorder bug, a full disk) must not take the session down. */
  private callHook(name: string, call: () => void): void {
    try {
      call();
    } catch (e) {
      this.log.error({ err: e }, `BGP ${name} hook failed: ${(e as Error).message}`);
    }
  }

  sent(_conn: Connection, _type: SentType, _bytes: Buffer): void {
    this.messagesOut++;
  }

  closed(conn: Connection, reason: CloseReason): void {
    this.connections.delete(conn);
    // A connection that never got an OPEN does not overwrite what happened to the session.
    if (conn.theirOpen || !this.session) this.lastError = reason.text;
    if (conn === this.session) this.sessionLost(reason);
    else this.log.debug({ port: conn.port }, `connection ${conn.port} closed: ${reason.text}`);
    this.updateState(reason.text);
    if (this.connector && !this.stopping && !this.session && !this.idleHeld && !this.connector.connecting)
      this.connector.retryLater();
    if (!this.configured && !this.everEstablished && this.connections.size === 0) this.env.forget(this);
  }

  update(conn: Connection, u: UpdateMessage, tsMicros: number): void {
    if (conn !== this.session) return;
    let result;
    try {
      result = this.routes.update(u, tsMicros);
    } catch (e) {
      if (!(e instanceof BgpError)) throw e;
      // RFC 7606 allows AFI/SAFI disable; we do not keep a session with a family turned off.
      const how = e.action === "afi-safi-disable" ? "afi-safi-disable handled as session reset" : e.action;
      this.log.warn({ kind: e.kind, action: e.action }, `malformed UPDATE (${how}): ${e.message}`);
      conn.sendNotificationAndClose(e.code, e.subcode, e.data, `malformed UPDATE (${how}): ${e.message}`);
      return;
    }
    if (result && result.announced > 0) this.checkMaxPrefix(conn, u);
  }

  // ---------------------------------------------------------------------------------------------
  // Session life

  /**
   * RFC 4271 6.8 at OpenConfirm. Against an Established session the newcomer gives way, except
   * that a GR-capable peer opening a new connection has restarted (RFC 4724 4.2): the old session
   * is then dropped as if its TCP connection had failed.
   */
  private resolveCollisions(conn: Connection): void {
    for (const other of [...this.connections]) {
      if (other === conn || conn.state !== "OpenConfirm") continue;
      if (other.state === "Established") {
        const restarted =
          conn.direction === "in" &&
          other.negotiated?.gracefulRestart !== undefined &&
          conn.theirOpen!.capabilities.some((c) => c.name === "graceful-restart");
        if (restarted) {
          other.close({ text: "peer restarted (new OPEN while established)", graceful: true });
        } else {
          conn.sendNotificationAndClose(
            ERR_CEASE,
            CEASE_COLLISION,
            Buffer.alloc(0),
            "collision with the established session",
          );
        }
      } else if (other.state === "OpenConfirm") {
        const loser = collisionLoser(this.env.config.routerId, conn.theirOpen!.bgpId, conn, other);
        loser.sendNotificationAndClose(
          ERR_CEASE,
          CEASE_COLLISION,
          Buffer.alloc(0),
          `connection collision: keeping the ${loser === conn ? "other" : "new"} connection`,
        );
      }
    }
  }

  private established(conn: Connection): void {
    this.session = conn;
    const theirs = conn.theirOpen!;
    this.ref = {
      id: this.id,
      source: "bgp",
      address: this.address,
      asn: openAsn(theirs),
      bgpId: theirs.bgpId,
    };
    this.everEstablished = true;
    this.connector?.cancelRetry();
    // Our own connection attempts still waiting for an OPEN are not needed any more.
    for (const other of this.connections)
      if (other !== conn && other.direction === "out" && other.state === "OpenSent")
        other.sendNotificationAndClose(
          ERR_CEASE,
          CEASE_COLLISION,
          Buffer.alloc(0),
          "session established on another connection",
        );
    const n = conn.negotiated!;
    this.maxPrefix.reset();
    this.routes.established(this.ref, n);
    // RFC 4724 2: End-of-RIB after the initial table, ours being empty; a restarting peer waits for it.
    for (const f of n.families) conn.senderForOwner.endOfRib(f.afi, f.safi);
    const open = conn.theirOpen!;
    this.log.info(
      {
        asn: openAsn(open),
        bgpId: open.bgpId,
        holdTime: n.holdTime,
        families: n.families.map((f) => familyName(f.afi, f.safi)),
        addPath: [...n.addPathReceive].map((k) => familyName(k >> 8, k & 0xff)),
        gracefulRestart: n.gracefulRestart
          ? { restartTime: n.gracefulRestart.restartTime, restarting: n.gracefulRestart.restarting }
          : false,
      },
      `BGP session with ${this.address} (AS ${openAsn(open)}) established`,
    );
  }

  private sessionLost(reason: CloseReason): void {
    this.session = undefined;
    this.routes.lost(reason.graceful && !this.stopping);
  }

  private checkMaxPrefix(conn: Connection, u: UpdateMessage): void {
    const c = this.env.rib.counts(this.id);
    const count = c.ipv4 + c.ipv6;
    const verdict = this.maxPrefix.check(count);
    if (verdict === "ok") return;
    const limit = this.maxPrefix.limit;
    if (verdict === "warning") {
      this.env.metrics.maxPrefixEvents.inc({ peer: this.address, event: "warning" });
      this.log.warn({ count, limit }, `${this.address} has ${count} prefixes, near its limit of ${limit}`);
      return;
    }
    this.env.metrics.maxPrefixEvents.inc({ peer: this.address, event: "exceeded" });
    // The family that crossed the limit: this UPDATE's (IPv4 NLRI field, else MP_REACH_NLRI's).
    const reach = u.mpFamilies().reach;
    const family = u.bodyNlriCount() === 0 && reach ? reach : { afi: 1, safi: 1 };
    const hold = this.env.config.bgp.maxPrefixIdleHold;
    this.log.warn(
      { count, limit, idleHold: hold },
      `${this.address} sent ${count} prefixes, more than its limit of ${limit}: closing, refusing it for ${hold} s`,
    );
    this.idleHold(hold);
    conn.sendNotificationAndClose(
      ERR_CEASE,
      CEASE_MAX_PREFIXES,
      maxPrefixData(family.afi, family.safi, limit),
      `more than ${limit} prefixes`,
    );
  }

  private idleHold(seconds: number): void {
    if (seconds <= 0) return;
    this.idleUntil = this.env.clock.now() + seconds * 1e6;
    this.idleTimer?.cancel();
    this.idleTimer = this.env.clock.after(seconds * 1000, () => {
      this.idleTimer = undefined;
      this.idleUntil = 0;
      this.updateState("idle hold over");
      this.connector?.start();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // State shown to operators

  private computeState(): SessionState {
    if (this.session) return "Established";
    let best = 0;
    for (const c of this.connections) best = Math.max(best, ORDER[c.state]);
    if (best === ORDER.OpenConfirm) return "OpenConfirm";
    if (best === ORDER.OpenSent) return "OpenSent";
    if (this.connector?.connecting) return "Connect";
    if (this.stopping || this.idleHeld) return "Idle";
    return this.configured || this.everEstablished ? "Active" : "Idle";
  }

  private updateState(reason: string): void {
    const to = this.computeState();
    const from = this.state;
    if (to === from) return;
    const now = this.env.clock.now();
    this.state = to;
    this.since = now;
    this.log.info({ from, to, reason }, `BGP ${this.address}: ${from} → ${to} (${reason})`);
    this.env.metrics.sessionTransitions.inc({ peer: this.address, state: to });
    const onState = this.env.hooks.onState;
    if (onState) this.callHook("onState", () => onState(this.address, from, to, now));
  }

  /** Sends Cease / Administrative Shutdown to every connection and stops timers; resolves once closed. */
  async stop(message: string): Promise<void> {
    this.stopping = true;
    this.connector?.stop();
    this.idleTimer?.cancel();
    const closing = [...this.connections].map((c) => {
      c.shutdown(CEASE_ADMIN_SHUTDOWN, message);
      return c.close({ text: "stopped", graceful: false });
    });
    this.routes.stop();
    this.updateState("routewatch stopping");
    await Promise.all(closing);
  }

  info(): SessionInfo {
    const conn = this.session ?? this.lastOpened;
    const open = conn?.theirOpen;
    const n = conn?.negotiated;
    const gr = n?.gracefulRestart;
    const counts = this.env.rib.counts(this.id);
    const info: SessionInfo = {
      address: this.address,
      port: this.session?.port ?? this.config?.port ?? 179,
      configured: this.configured,
      state: this.state,
      since: this.since,
      families: n ? n.families.map((f) => familyName(f.afi, f.safi)) : [],
      addPathFamilies: n ? [...n.addPathReceive].map((k) => familyName(k >> 8, k & 0xff)) : [],
      gracefulRestart: {
        peerCapable: gr !== undefined,
        ...(gr ? { restartTime: gr.restartTime } : {}),
        families: (gr?.families ?? []).map((f) => familyName(f.afi, f.safi)),
        state: this.routes.gracefulRestartState,
      },
      messages: { in: this.messagesIn, out: this.messagesOut },
      prefixes: counts,
      synced: this.env.rib.isSynced(this.id),
    };
    if (this.session) {
      info.localAddress = this.session.localAddress;
      info.localPort = this.session.localPort;
    }
    if (this.config?.name) info.name = this.config.name;
    const asn = open ? openAsn(open) : this.config?.asn;
    if (asn !== undefined) info.asn = asn;
    if (open) info.bgpId = open.bgpId;
    if (n) {
      info.holdTime = n.holdTime;
      info.keepalive = keepaliveSeconds(n.holdTime);
    }
    if (this.lastError !== undefined) info.lastError = this.lastError;
    if (this.maxPrefix.limit > 0) info.maxPrefixes = this.maxPrefix.limit;
    return info;
  }
}
