/**
 * The passive BGP speaker: listens for (and optionally connects to) allowed peers, holds their
 * sessions and feeds what they announce into the RIB. It never announces a route: everything it
 * sends goes through BgpSender, which cannot carry one.
 */
import type { Server, Socket } from "node:net";
import { CEASE_CONNECTION_REJECTED, ERR_CEASE } from "../../../codec/bgp/index.js";
import type { Clock } from "../../core/clock.js";
import type { Config, Endpoint } from "../../core/config.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { Rib } from "../../rib/rib.js";
import { AllowList, normalizeAddress } from "./allow-list.js";
import { SESSION_STATES, type SessionInfo } from "./info.js";
import { boundEndpoints, closeAll, listenAll } from "./listener.js";
import { buildOurOpen, type OurOpen } from "./open-policy.js";
import { Peer, type PeerEnv, type SpeakerHooks } from "./peer.js";
import { BgpSender } from "./sender.js";
import { closeSocket } from "./socket-close.js";

/** Connections waiting for an OPEN, all peers together; more are refused. */
const MAX_PENDING_TOTAL = 1024;

export interface BgpSpeakerDeps extends SpeakerHooks {
  config: Config;
  rib: Rib;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
}

export class BgpSpeaker implements SpeakerHooks {
  onMessage: SpeakerHooks["onMessage"];
  onState: SpeakerHooks["onState"];
  private readonly peers = new Map<string, Peer>();
  private readonly allow: AllowList;
  private readonly ourOpen: OurOpen;
  private readonly log: Logger;
  private readonly env: PeerEnv;
  private servers: Server[] = [];
  private stopping: Promise<void> | undefined;
  /** Sockets refused but not yet closed (closed at stop). */
  private readonly refused = new Set<Socket>();

  constructor(private readonly deps: BgpSpeakerDeps) {
    this.onMessage = deps.onMessage;
    this.onState = deps.onState;
    this.log = deps.log.child({ component: "bgp" });
    this.allow = new AllowList(deps.config.bgp);
    this.ourOpen = buildOurOpen(deps.config);
    this.env = {
      config: deps.config,
      rib: deps.rib,
      clock: deps.clock,
      log: this.log,
      metrics: deps.metrics,
      ourOpen: this.ourOpen,
      hooks: this,
      localAddressFor: (address) => this.localAddressFor(address),
      forget: (peer) => {
        if (this.peers.get(peer.address) === peer) this.peers.delete(peer.address);
      },
    };
    for (const [address, config] of this.allow.configured())
      this.peers.set(address, new Peer(address, config, this.env));
    deps.metrics.gauge("routewatch_bgp_sessions", "BGP sessions by state", ["state"], (set) => {
      const counts = new Map(SESSION_STATES.map((s) => [s, 0]));
      for (const p of this.peers.values()) counts.set(p.state, counts.get(p.state)! + 1);
      for (const [state, n] of counts) set({ state }, n);
    });
  }

  /** Resolves once every listener is up; configured peers start waiting (or connecting). */
  async start(): Promise<void> {
    this.servers = await listenAll(
      this.deps.config.bgp.listen,
      (socket) => this.accept(socket),
      (e) => this.log.error({ err: e }, `BGP listener error: ${e.message}`),
    );
    this.log.info(
      { listen: this.listening(), peers: this.peers.size, allowPeers: this.deps.config.bgp.allowPeers },
      "BGP speaker listening",
    );
    for (const p of this.peers.values()) p.start();
  }

  /** Where the listeners are bound (actual ports when 0 was configured). */
  listening(): Endpoint[] {
    return boundEndpoints(this.servers);
  }

  sessions(): SessionInfo[] {
    return [...this.peers.values()].map((p) => p.info());
  }

  /**
   * Sends Cease / Administrative Shutdown with `message` (RFC 9003) to every session, closes the
   * listeners and sockets and cancels timers. Resolves when all is closed.
   */
  stop(message = "routewatch is shutting down"): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info(`BGP speaker stopping: ${message}`);
      const closingServers = closeAll(this.servers);
      await Promise.all([...this.peers.values()].map((p) => p.stop(message)));
      for (const s of this.refused) s.destroy();
      await closingServers;
      this.log.info("BGP speaker stopped");
    })();
    return this.stopping;
  }

  private accept(socket: Socket): void {
    const address = normalizeAddress(socket.remoteAddress ?? "");
    if (this.stopping) return this.refuse(socket, address, "shutting-down");
    const decision = this.allow.check(address);
    if (!decision.allowed) return this.refuse(socket, address, "not-allowed");
    let peer = this.peers.get(address);
    if (!peer) {
      peer = new Peer(address, decision.peer, this.env);
      this.peers.set(address, peer);
    }
    if (peer.idleHeld) return this.refuse(socket, address, "idle-hold");
    if (
      peer.pending >= this.deps.config.bgp.maxPendingConnections ||
      this.pendingTotal() >= MAX_PENDING_TOTAL
    ) {
      return this.refuse(socket, address, "pending-limit");
    }
    peer.attach(socket, "in");
  }

  private pendingTotal(): number {
    let n = 0;
    for (const p of this.peers.values()) n += p.pending;
    return n;
  }

  /** An OPEN-less NOTIFICATION Cease / Connection Rejected (RFC 4486 4), then close. */
  private refuse(socket: Socket, address: string, reason: string): void {
    this.deps.metrics.rejectedConnections.inc({ transport: "bgp", reason });
    this.log.info(
      { peer: address, port: socket.remotePort, reason },
      `BGP connection from ${address} refused (${reason})`,
    );
    socket.on("error", () => socket.destroy());
    new BgpSender(socket, (type) =>
      this.deps.metrics.messages.inc({ transport: "bgp", direction: "out", type }),
    ).notification(ERR_CEASE, CEASE_CONNECTION_REJECTED);
    this.refused.add(socket);
    void closeSocket(socket).then(() => this.refused.delete(socket));
  }

  /** Connecting out from a listen address of the peer's family, so the peer sees the address it expects. */
  private localAddressFor(address: string): string | undefined {
    const v6 = address.includes(":");
    const e = this.deps.config.bgp.listen.find(
      (l) => l.host.includes(":") === v6 && l.host !== "0.0.0.0" && l.host !== "::",
    );
    return e?.host;
  }
}
