/**
 * Which Rib table a ROUTE-MONITORING message belongs to. One monitored peer of one router has up to
 * five views that must stay apart: pre- and post-policy Adj-RIB-In (RFC 7854 4.2, L flag), pre- and
 * post-policy Adj-RIB-Out (RFC 8671, O flag) and, for a Loc-RIB instance, the router's Loc-RIB
 * (RFC 9069, peer type 3).
 */
import { PEER_TYPE_LOC_RIB, type BmpPeerHeader } from "../../../codec/bmp/index.js";
import { peerId, type PeerRef, type RouteSource } from "../../core/types.js";
import type { ViewInfo } from "./types.js";

export type ViewPolicy = ViewInfo["policy"];

function unspecified(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

/** The address that names a monitored peer: a Loc-RIB instance's 0.0.0.0 (RFC 9069 4.1) is its BGP ID. */
export function peerAddress(h: BmpPeerHeader): string {
  return h.peerType === PEER_TYPE_LOC_RIB && unspecified(h.address) ? h.bgpId : h.address;
}

export function viewSource(h: BmpPeerHeader): RouteSource {
  if (h.peerType === PEER_TYPE_LOC_RIB) return "bmp-locrib";
  if (h.adjRibOut) return "bmp-out";
  return h.postPolicy ? "bmp-post" : "bmp-pre";
}

export function viewPolicy(h: BmpPeerHeader): ViewPolicy {
  if (h.peerType === PEER_TYPE_LOC_RIB) return "loc-rib";
  return h.postPolicy ? "post" : "pre";
}

/**
 * The PeerRef of the view `h` names, for the router at `router`. A Loc-RIB instance's address is
 * 0.0.0.0 (RFC 9069 4.1): its BGP ID, the router's own, names it instead. Adj-RIB-Out ids end in
 * "|pre" or "|post" so both policies of one peer stay apart.
 */
export function viewRef(router: string, h: BmpPeerHeader): PeerRef {
  const source = viewSource(h);
  const address = peerAddress(h);
  let id = peerId(source, address, router, h.distinguisher);
  if (source === "bmp-out") id += h.postPolicy ? "|post" : "|pre";
  return { id, source, address, asn: h.asn, bgpId: h.bgpId, router, distinguisher: h.distinguisher };
}
