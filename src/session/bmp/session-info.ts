/** PEER-UP and PEER-DOWN contents summarised for the API (RFC 7854 4.9, 4.10). */
import {
  decodeMessage,
  familyName,
  negotiate,
  notificationNames,
  openAsn,
  type OpenMessage,
} from "../../../codec/bgp/index.js";
import { CodecError } from "../../../codec/errors.js";
import type { BmpPeerDown, BmpPeerUp } from "../../../codec/bmp/index.js";
import type { NegotiatedSummary, OpenSummary, PeerDownReason, PeerSession } from "./types.js";

function familyText(key: number): string {
  return familyName(key >> 8, key & 0xff);
}

function openSummary(open: OpenMessage): OpenSummary {
  return {
    asn: openAsn(open),
    holdTime: open.holdTime,
    bgpId: open.bgpId,
    capabilities: open.capabilities.map((c) => (c.name === "unknown" ? `code-${c.code}` : c.name)),
  };
}

/** Decoded OPENs of a PEER-UP; throws the codec's error when one does not decode. */
export function peerUpOpens(msg: BmpPeerUp): { sent: OpenMessage; received: OpenMessage } {
  const sent = decodeMessage(msg.sentOpen, 0);
  const received = decodeMessage(msg.receivedOpen, 0);
  if (sent.type !== "OPEN" || received.type !== "OPEN")
    throw new CodecError("bmp.peer-up.open", "PEER-UP does not carry two OPENs", 0);
  return { sent, received };
}

/**
 * The session a PEER-UP describes, and the IP unicast families negotiated on it (familyKey values):
 * the End-of-RIBs a complete initial dump ends with.
 */
export function peerSession(
  msg: BmpPeerUp,
  sent: OpenMessage,
  received: OpenMessage,
): { session: PeerSession; families: number[] } {
  // The router sent `sent` and received `received`: seen from the router, as in the tracker.
  const n = negotiate(sent, received);
  const negotiated: NegotiatedSummary = {
    as4: n.as4,
    families: n.families.map((f) => familyName(f.afi, f.safi)),
    addPathReceive: [...n.addPathReceive].map(familyText),
    extendedMessage: n.extendedMessage,
    routeRefresh: n.routeRefresh,
    gracefulRestart: n.gracefulRestart !== undefined,
    holdTime: n.holdTime,
  };
  const families = n.families
    .filter((f) => (f.afi === 1 || f.afi === 2) && f.safi === 1)
    .map((f) => f.afi * 256 + f.safi);
  return {
    session: {
      localAddress: msg.localAddress,
      localPort: msg.localPort,
      remotePort: msg.remotePort,
      sent: openSummary(sent),
      received: openSummary(received),
      negotiated,
      information: msg.tlvs.flatMap((t) => (typeof t.value === "string" ? [t.value] : [])),
    },
    families,
  };
}

/** The reason of a PEER-DOWN; `onError` hears of a NOTIFICATION that does not decode. */
export function peerDownReason(msg: BmpPeerDown, onError: (e: unknown) => void): PeerDownReason {
  const reason: PeerDownReason = { code: msg.reason, name: msg.reasonName };
  if (msg.fsmEvent !== undefined) reason.fsmEvent = msg.fsmEvent;
  if (msg.notification && msg.notification.length > 0) {
    try {
      const n = decodeMessage(msg.notification, 0);
      if (n.type === "NOTIFICATION") {
        reason.notification = {
          code: n.code,
          subcode: n.subcode,
          ...notificationNames(n.code, n.subcode),
          ...(n.shutdownMessage !== undefined ? { shutdownMessage: n.shutdownMessage } : {}),
        };
      }
    } catch (e) {
      // Only the reason code is left then; the peer is down either way.
      onError(e);
    }
  }
  return reason;
}
