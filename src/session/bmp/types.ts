/** What the BMP collector reports about routers and the peers they monitor (for the HTTP API). */
import type { BmpPeerTypeName, PeerDownReasonName } from "../../../codec/bmp/index.js";
import type { RouteSource } from "../../core/types.js";

/** One BGP OPEN as a router reported it in PEER-UP (RFC 7854 4.10). */
export interface OpenSummary {
  asn: number;
  holdTime: number;
  bgpId: string;
  /** Capability names in the order sent ("multiprotocol", "as4", "add-path", ...). */
  capabilities: string[];
}

/** What the two OPENs of a monitored session agree on (RFC 4271, RFC 5492). */
export interface NegotiatedSummary {
  as4: boolean;
  /** "ipv4-unicast", "ipv6-unicast", ... */
  families: string[];
  /** Families whose UPDATEs from the peer carry ADD-PATH identifiers. */
  addPathReceive: string[];
  extendedMessage: boolean;
  routeRefresh: boolean;
  gracefulRestart: boolean;
  holdTime: number;
}

/** The BGP session of a monitored peer, from its PEER-UP. */
export interface PeerSession {
  localAddress: string;
  localPort: number;
  remotePort: number;
  /** The OPEN the monitored router sent. */
  sent: OpenSummary;
  /** The OPEN the monitored router received from the peer. */
  received: OpenSummary;
  negotiated: NegotiatedSummary;
  /** PEER-UP information strings (RFC 7854 4.10 type 0, RFC 9069 VRF/table name). */
  information: string[];
}

/** Why a monitored peer went down (RFC 7854 4.9). */
export interface PeerDownReason {
  code: number;
  name: PeerDownReasonName;
  /** Reasons 1 and 3: the NOTIFICATION that closed the session. */
  notification?: {
    code: number;
    subcode: number;
    codeName: string;
    subcodeName: string;
    shutdownMessage?: string;
  };
  /** Reason 2: the FSM event (RFC 4271 8.1). */
  fsmEvent?: number;
}

/** One Adj-RIB / Loc-RIB view of a monitored peer, as stored in the Rib. */
export interface ViewInfo {
  /** The Rib's peer id (PeerRef.id). */
  id: string;
  source: RouteSource;
  /** "pre" / "post" policy for Adj-RIB-In and Adj-RIB-Out; "loc-rib" for RFC 9069. */
  policy: "pre" | "post" | "loc-rib";
  ipv4: number;
  ipv6: number;
  /** Initial dump complete (End-of-RIB, or quiet for bmp.initialDumpQuiet seconds). */
  synced: boolean;
}

export interface MonitoredPeerInfo {
  type: BmpPeerTypeName;
  distinguisher: string;
  address: string;
  asn: number;
  bgpId: string;
  state: "up" | "down";
  /** When the state last changed (µs). */
  since: number;
  down?: PeerDownReason;
  session?: PeerSession;
  views: ViewInfo[];
  /** Every view's initial dump is complete. */
  synced: boolean;
  /** Latest STATISTICS-REPORT values by stat name (RFC 7854 4.8, IANA names). */
  stats: Record<string, number>;
  /** When the latest STATISTICS-REPORT arrived (µs). */
  statsAt?: number;
}

export interface RouterInfo {
  /** The router's address as seen on the TCP connection (the key; FRR connects from 127.0.0.1). */
  address: string;
  port: number;
  /** The collector endpoint the router connected to. */
  collector: { address: string; port: number };
  sysName?: string;
  sysDescr?: string;
  /** INITIATION free-form strings (type 0). */
  information: string[];
  /** BGP identifiers this router used: its OPENs in PEER-UP, its Loc-RIB per-peer headers. */
  bgpIds: string[];
  /** When the connection was accepted (µs). */
  connectedSince: number;
  /** BMP messages received on this connection. */
  messages: number;
  peers: MonitoredPeerInfo[];
}

/** Every BMP message received, for the recorder. `bytes` is a view: copy it to keep it. */
export interface BmpMessageRecord {
  tsMicros: number;
  router: string;
  routerPort: number;
  collector: string;
  collectorPort: number;
  bytes: Buffer;
}

export type BmpMessageHook = (m: BmpMessageRecord) => void;
export type BmpRouterHook = (router: string, event: "up" | "down", tsMicros: number) => void;
