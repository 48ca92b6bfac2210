/**
 * What a ROUTE-MONITORING PDU must be decoded with. The BGP UPDATE inside depends on its session:
 * the A flag says 2- or 4-byte AS_PATH (RFC 7854 4.2), and ADD-PATH comes from the OPENs the router
 * reported in PEER-UP (RFC 7854 4.10). This tracker remembers those per router and peer. It is pure:
 * feed it decoded messages, ask it for options.
 */
import { decodeMessage } from "../bgp/message.js";
import { negotiate, receiveOptions, sendOptions, type OpenMessage } from "../bgp/open.js";
import { familyKey } from "../bgp/constants.js";
import type { BgpDecodeOptions } from "../bgp/options.js";
import { CodecError } from "../errors.js";
import { PEER_TYPE_LOC_RIB } from "./constants.js";
import type { BmpMessage, BmpPeerUp } from "./message.js";
import type { BmpPeerHeader } from "./peer.js";

/** Identifies a monitored peer within one router: RFC 7854 4.2 peer type, distinguisher, address. */
export function bmpPeerKey(peer: Pick<BmpPeerHeader, "peerType" | "distinguisher" | "address">): string {
  return `${peer.peerType}|${peer.distinguisher}|${peer.address}`;
}

/** Options for each direction and AS_PATH width, built once per PEER-UP so lookups allocate nothing. */
interface PeerOptions {
  receive: [as4: BgpDecodeOptions, as2: BgpDecodeOptions];
  send: [as4: BgpDecodeOptions, as2: BgpDecodeOptions];
}

const NO_SESSION: readonly [BgpDecodeOptions, BgpDecodeOptions] = [
  Object.freeze({ as4: true }),
  Object.freeze({ as4: false }),
];

function widths(opts: BgpDecodeOptions): [BgpDecodeOptions, BgpDecodeOptions] {
  return [Object.freeze({ ...opts, as4: true }), Object.freeze({ ...opts, as4: false })];
}

function decodeOpenPdu(pdu: Buffer, which: string): OpenMessage {
  const msg = decodeMessage(pdu, 0);
  if (msg.type !== "OPEN")
    throw new CodecError("bmp.peer-up.open", `PEER-UP ${which} PDU is ${msg.type}, not OPEN`, 0);
  return msg;
}

/**
 * RFC 9069 5.2: a Loc-RIB instance repeats one fabricated OPEN; an ADD-PATH capability for a family
 * means paths carry identifiers, whatever its send/receive field says.
 */
function locRibOptions(open: OpenMessage): BgpDecodeOptions {
  const addPath = new Set<number>();
  for (const c of open.capabilities) {
    if (c.name === "add-path") for (const f of c.families) addPath.add(familyKey(f.afi, f.safi));
  }
  const extendedMessage = open.capabilities.some((c) => c.name === "extended-message");
  return { as4: true, addPath, extendedMessage };
}

export class BmpSessionTracker {
  private readonly routers = new Map<string, Map<string, PeerOptions>>();

  /** Takes note of PEER-UP and PEER-DOWN; other messages change nothing. */
  observe(router: string, msg: BmpMessage): void {
    if (msg.type === "PEER-UP") this.peerUp(router, msg);
    else if (msg.type === "PEER-DOWN") this.peerDown(router, msg.peer);
  }

  /**
   * Negotiates the two OPENs and remembers the result. Throws a CodecError (BgpError) when an OPEN
   * does not decode; the peer is then not known.
   */
  peerUp(router: string, msg: BmpPeerUp): void {
    const key = bmpPeerKey(msg.peer);
    this.peers(router, false)?.delete(key);
    const sent = decodeOpenPdu(msg.sentOpen, "sent");
    const received = decodeOpenPdu(msg.receivedOpen, "received");
    let entry: PeerOptions;
    if (msg.peer.peerType === PEER_TYPE_LOC_RIB) {
      const both = widths(locRibOptions(sent));
      entry = { receive: both, send: both };
    } else {
      // The router sent `sent` and received `received`: routes from the peer (Adj-RIB-In) are what
      // the router receives, routes to the peer (Adj-RIB-Out, RFC 8671) are what it sends.
      const n = negotiate(sent, received);
      entry = { receive: widths(receiveOptions(n)), send: widths(sendOptions(n)) };
    }
    this.peers(router, true)!.set(key, entry);
  }

  peerDown(router: string, peer: BmpPeerHeader): void {
    const peers = this.peers(router, false);
    peers?.delete(bmpPeerKey(peer));
    if (peers?.size === 0) this.routers.delete(router);
  }

  /** The BMP session to `router` ended: forget all its peers. */
  routerGone(router: string): void {
    this.routers.delete(router);
  }

  /**
   * Options for the ROUTE-MONITORING PDU that came with `peer`: AS_PATH width from the A flag,
   * ADD-PATH and extended messages from the peer's PEER-UP in the direction the O flag names.
   * Without a PEER-UP only the A flag is known.
   */
  optionsFor(router: string, peer: BmpPeerHeader): BgpDecodeOptions {
    const width = peer.legacyAsPath ? 1 : 0;
    const entry = this.routers.get(router)?.get(bmpPeerKey(peer));
    if (!entry) return NO_SESSION[width]!;
    return (peer.adjRibOut ? entry.send : entry.receive)[width];
  }

  /** Peers currently known for `router`. */
  peerCount(router: string): number {
    return this.routers.get(router)?.size ?? 0;
  }

  private peers(router: string, create: boolean): Map<string, PeerOptions> | undefined {
    let peers = this.routers.get(router);
    if (!peers && create) this.routers.set(router, (peers = new Map()));
    return peers;
  }
}
