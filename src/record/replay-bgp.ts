/**
 * BGP sessions seen from outside (a capture or a recording), replayed into the RIB. Each direction
 * of a session is the routes its sender announces: one RouteSession (the same code the live
 * speaker uses) per sender and receiver. A session starts at the sender's first KEEPALIVE or
 * UPDATE after its OPEN (or at its first UPDATE when the input starts mid-session) and ends at a
 * NOTIFICATION (not graceful), an MRT state change out of Established, the end of its TCP
 * connection, or a new OPEN (both graceful, as a dropped connection is).
 */
import {
  decodeHeader,
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
import type { BgpItem, ClosedItem, StateItem } from "../input/items.js";

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
}

export class ReplayBgp {
  private readonly directions = new Map<string, Direction>();

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
    if (!d) {
      d = { key, src, dst, route: new RouteSession(`bgp|${key}`, this.env), opening: false };
      this.directions.set(key, d);
    }
    return d;
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
        if (d.route.active) this.lost(d, true, "new OPEN (the peer restarted)");
        d.open = open;
        d.opening = true;
      } else if (type === MSG_KEEPALIVE) {
        if (d.opening) this.establish(d);
      } else if (type === MSG_NOTIFICATION) {
        // The session is over for both sides, and not gracefully (RFC 4724 4.2).
        this.lost(d, false, "NOTIFICATION");
        this.lost(this.direction(item.dst, item.src), false, "NOTIFICATION");
      } else if (type === MSG_UPDATE) {
        if (!d.route.active) this.establish(d);
        const u = decodeMessage(bytes, offset, item.options) as UpdateMessage;
        d.route.update(u, item.tsMicros);
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

  /** A capture's TCP connection ended: both directions' sessions are over. */
  closed(item: ClosedItem): void {
    for (const [src, dst] of [
      [item.a, item.b],
      [item.b, item.a],
    ] as const) {
      const d = this.directions.get(`${src}>${dst}`);
      if (d) this.lost(d, true, item.reason);
    }
  }

  private establish(d: Direction): void {
    d.opening = false;
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
      bgpId: theirs?.bgpId ?? d.src,
    };
    d.route.established(ref, n);
  }

  private lost(d: Direction, graceful: boolean, why: string): void {
    d.opening = false;
    if (!d.route.active) return;
    d.route.lost(graceful);
    this.env.log.debug({ peer: d.src, why }, `replayed session ${d.key} ended (${why})`);
    this.sessionDown(`bgp|${d.key}`, d.src);
  }

  stop(): void {
    for (const d of this.directions.values()) d.route.stop();
  }
}

function safeHeader(bytes: Buffer, offset: number): { length: number } {
  try {
    return decodeHeader(bytes, offset, { as4: true, extendedMessage: true });
  } catch {
    return { length: bytes.length - offset };
  }
}
