/**
 * BGP sessions seen from outside (a capture or a recording), replayed into the RIB. Each direction
 * of a session is the routes its sender announces: one RouteSession (the same code the live
 * speaker uses) per sender and receiver. A session starts at the sender's first KEEPALIVE or
 * UPDATE after its OPEN (or at its first UPDATE when the input starts mid-session) and ends at a
 * NOTIFICATION (not graceful), an MRT state change out of Established, the end of its TCP
 * connection, or a new OPEN (both graceful, as a dropped connection is).
 *
 * A capture of routewatch's own sessions also holds routewatch's side: its direction (its OPEN
 * carries the configured router id as BGP identifier) is no peer, and routewatch leaving (Cease / Administrative Shutdown,
 * or closing the connection) is the end of the observation, not of the peer's routes: they stay as
 * last seen, which is what the live daemon judged until it stopped. Only a direction that announced
 * something counts a lost session for PeerFlapping (a silent side is an observer, not a speaker).
 */
import {
  CEASE_ADMIN_SHUTDOWN,
  decodeHeader,
  ERR_CEASE,
  decodeMessage,
  HEADER_LEN,
  MSG_KEEPALIVE,
  MSG_NOTIFICATION,
  MSG_OPEN,
  MSG_UPDATE,
  negotiate,
  openAsn,
  SAFI_UNICAST,
  type OpenMessage,
  type UpdateMessage,
} from "../../codec/bgp/index.js";
import { BgpError, CodecError } from "../../codec/errors.js";
import type { PeerRef } from "../core/types.js";
import { RouteSession, type NegotiatedRoutes, type RouteSessionEnv } from "../session/bgp/route-session.js";
import type { BgpItem, ClosedItem, RibItem, StateItem } from "../input/items.js";

interface Direction {
  key: string;
  src: string;
  dst: string;
  route: RouteSession;
  /** The sender's OPEN of the current session, if seen. */
  open?: OpenMessage;
  /** An OPEN was seen and the session is not established yet. */
  opening: boolean;
  asn?: number;
  /** The sender's BGP identifier when no OPEN says it (a snapshot's peer entry). */
  bgpId?: string;
  /** The sender is routewatch itself (its OPEN carries our BGP identifier). */
  ours: boolean;
  /** The sender announced a route at some point (a peer, not a silent observer). */
  announced: boolean;
  /** Routewatch left this session: the sender's routes stay as last seen. */
  observerLeft: boolean;
}

export class ReplayBgp {
  private readonly directions = new Map<string, Direction>();
  /** Sessions known only from a recording's snapshot so far, by peer address. */
  private readonly seeded = new Map<string, Direction>();

  constructor(
    private readonly env: RouteSessionEnv,
    /** The OPEN routewatch sends, standing in for a receiver whose OPEN the input lacks. */
    private readonly ourOpen: OpenMessage,
    /** A session ended (PeerFlapping). */
    private readonly sessionDown: (peerKey: string, address: string) => void,
    private readonly warn: (message: string) => void,
  ) {}

  private direction(src: string, dst: string): Direction {
    const key = `${src}>${dst}`;
    let d = this.directions.get(key);
    if (!d && (d = this.seeded.get(src))) {
      // The session a recording's snapshot stood for goes on.
      this.seeded.delete(src);
      d.dst = dst;
      this.directions.set(key, d);
    }
    if (!d) {
      d = this.newDirection(key, src, dst);
      this.directions.set(key, d);
    }
    return d;
  }

  private newDirection(key: string, src: string, dst: string): Direction {
    return {
      key,
      src,
      dst,
      route: new RouteSession(`bgp|${key}`, this.env),
      opening: false,
      // Until an OPEN says otherwise: routewatch's router id is usually its own address.
      ours: src === this.ourOpen.bgpId,
      announced: false,
      observerLeft: false,
    };
  }

  /**
   * An entry of the table snapshot that starts a rotated recording (rib-snapshot.ts). A peer whose
   * messages were replayed already is its own truth; otherwise the snapshot stands for the session until its
   * messages follow (a snapshot does not say routewatch's address, so the first message from the
   * peer tells which session it was).
   */
  snapshot(item: RibItem, u: UpdateMessage): void {
    for (const d of this.directions.values()) if (d.src === item.peer) return;
    let d = this.seeded.get(item.peer);
    if (!d) {
      const key = `${item.peer}>snapshot`;
      d = this.newDirection(key, item.peer, "");
      d.announced = true;
      d.asn = item.peerAs;
      if (item.peerBgpId !== undefined) d.bgpId = item.peerBgpId;
      this.seeded.set(item.peer, d);
      this.establish(d);
      this.env.rib.setSynced(`bgp|${key}`); // a snapshot is a whole table
    }
    d.route.update(u, item.tsMicros);
  }

  /**
   * A session that was up when the input began (its first message in the input is no OPEN): it
   * exists from the start, with a table nobody saw, which must hold back "no route covers it"
   * verdicts from the first moment, not only from its first message (BIRD sends a KEEPALIVE a minute).
   */
  preexisting(src: string, dst: string, asn: number | undefined): void {
    const d = this.direction(src, dst);
    if (d.ours || d.route.active) return;
    if (asn !== undefined) d.asn = asn;
    this.establish(d);
  }

  message(item: BgpItem): void {
    const { bytes, offset } = item;
    if (bytes.length - offset < HEADER_LEN) return;
    const type = bytes[offset + 18];
    const d = this.direction(item.src, item.dst);
    if (item.srcAs !== undefined) d.asn = item.srcAs;
    try {
      if (type === MSG_OPEN) {
        const open = decodeMessage(bytes, offset, item.options) as OpenMessage;
        // After routewatch left, a new session is routewatch coming back, not the peer restarting.
        if (d.route.active) this.lost(d, true, "new OPEN (the peer restarted)", d.observerLeft);
        d.open = open;
        d.opening = true;
        d.ours = open.bgpId === this.ourOpen.bgpId;
        d.observerLeft = false;
      } else if (type === MSG_KEEPALIVE) {
        if (d.opening) this.establish(d);
      } else if (type === MSG_NOTIFICATION) {
        const back = this.direction(item.dst, item.src);
        const shutdown = bytes[offset + 19] === ERR_CEASE && bytes[offset + 20] === CEASE_ADMIN_SHUTDOWN;
        if (d.ours && shutdown) {
          this.observerLeaves(back, "routewatch shut the session down");
        } else {
          if (shutdown && !d.announced && back.announced) this.hintObserver(d);
          // The session is over for both sides, and not gracefully (RFC 4724 4.2).
          this.lost(d, false, "NOTIFICATION");
          this.lost(back, false, "NOTIFICATION");
        }
      } else if (type === MSG_UPDATE) {
        if (d.ours) return; // routewatch announces nothing; what it sends is no route of the network
        if (!d.route.active) this.establish(d);
        const u = decodeMessage(bytes, offset, item.options) as UpdateMessage;
        if ((d.route.update(u, item.tsMicros)?.announced ?? 0) > 0) d.announced = true;
      }
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      const { length } = safeHeader(bytes, offset);
      this.warn(
        `${item.src} -> ${item.dst}: malformed message of ${length} bytes (${e.message}); the session is reset as routewatch would`,
      );
      if (e instanceof BgpError) this.lost(d, false, "malformed UPDATE");
    }
  }

  /** MRT BGP4MP STATE_CHANGE: leaving Established ends the session (the connection dropped). */
  state(item: StateItem): void {
    const ESTABLISHED = 6;
    if (item.oldState !== ESTABLISHED || item.newState === ESTABLISHED) return;
    this.lost(this.direction(item.peer, item.local), true, "state change");
  }

  /**
   * A capture's TCP connection ended: both directions' sessions are over, unless routewatch closed
   * it (it stopped, or was killed): then the other side's routes stay as last seen.
   */
  closed(item: ClosedItem): void {
    for (const [src, dst] of [
      [item.a, item.b],
      [item.b, item.a],
    ] as const) {
      const d = this.directions.get(`${src}>${dst}`);
      if (!d) continue;
      const closer = this.directions.get(`${dst}>${src}`);
      if (closer?.ours && item.by === dst) this.observerLeaves(d, `routewatch closed the connection`);
      else this.lost(d, true, item.reason);
    }
  }

  private establish(d: Direction): void {
    d.opening = false;
    if (d.ours) return;
    const theirs = d.open;
    const receiver = this.directions.get(`${d.dst}>${d.src}`)?.open ?? this.ourOpen;
    const n: NegotiatedRoutes = theirs
      ? negotiate(receiver, theirs)
      : {
          // Mid-session: the families the UPDATEs will show; no graceful restart known.
          families: [
            { afi: 1, safi: SAFI_UNICAST },
            { afi: 2, safi: SAFI_UNICAST },
          ],
        };
    const ref: PeerRef = {
      id: `bgp|${d.key}`,
      source: "bgp",
      address: d.src,
      asn: theirs ? openAsn(theirs) : (d.asn ?? 0),
      bgpId: theirs?.bgpId ?? d.bgpId ?? d.src,
    };
    if (!theirs && !this.seeded.has(d.src) && !this.midSessionWarned.has(d.key)) {
      this.midSessionWarned.add(d.key);
      this.warn(
        `${d.src} -> ${d.dst}: the session began before the input, so what ${d.src} announced earlier is unknown: ` +
          `no missing-route verdict (EndpointWithoutRoute, ServiceUnreachable, AggregateOnly) rests on its table`,
      );
    }
    d.route.established(ref, n, theirs !== undefined);
  }

  private readonly midSessionWarned = new Set<string>();

  /** `quiet`: the end is no event of the peer's (routewatch had left), so no PeerFlapping. */
  private lost(d: Direction, graceful: boolean, why: string, quiet = false): void {
    d.opening = false;
    if (d.observerLeft && !quiet) return; // nobody was watching: the routes stay as last seen
    if (!d.route.active) return;
    d.route.lost(graceful);
    this.env.log.debug({ peer: d.src, why }, `replayed session ${d.key} ended (${why})`);
    if (d.announced && !quiet) this.sessionDown(`bgp|${d.key}`, d.src);
  }

  private readonly hinted = new Set<string>();

  /** A silent side shut a session down: if that is routewatch stopping, say how to tell the replay. */
  private hintObserver(d: Direction): void {
    if (this.hinted.has(d.src)) return;
    this.hinted.add(d.src);
    const id = d.open?.bgpId ?? d.src;
    this.warn(
      `${d.src} shut down its session with ${d.dst} and never announced a route; if ${d.src} is routewatch ` +
        `stopping, replay with --router-id ${id} so that its leaving keeps the routes as last seen`,
    );
  }

  private observerLeaves(d: Direction, why: string): void {
    d.opening = false;
    if (!d.route.active || d.observerLeft) return;
    d.observerLeft = true;
    this.env.log.debug(
      { peer: d.src, why },
      `replayed session ${d.key}: ${why}; its routes stay as last seen`,
    );
  }

  stop(): void {
    for (const d of [...this.directions.values(), ...this.seeded.values()]) d.route.stop();
  }
}

function safeHeader(bytes: Buffer, offset: number): { length: number } {
  try {
    return decodeHeader(bytes, offset, { as4: true, extendedMessage: true });
  } catch {
    return { length: bytes.length - offset };
  }
}
