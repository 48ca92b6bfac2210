/** What the HTTP API and metrics show about each BGP session. */

/** RFC 4271 8 session states (Connect/Active: waiting for a TCP connection, out or in). */
export type SessionState = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";

export const SESSION_STATES: readonly SessionState[] = [
  "Idle",
  "Connect",
  "Active",
  "OpenSent",
  "OpenConfirm",
  "Established",
];

export interface SessionInfo {
  address: string;
  /** The peer's TCP port of the current connection (the configured port when not connected). */
  port: number;
  localAddress?: string;
  localPort?: number;
  /** Configured name, if any. */
  name?: string;
  /** Listed in `bgp.peers` (else admitted by `bgp.allowPeers`). */
  configured: boolean;
  /** From the peer's OPEN (the configured ASN before the first OPEN). */
  asn?: number;
  bgpId?: string;
  state: SessionState;
  /** When the session entered this state (µs). */
  since: number;
  /** Negotiated hold time and keepalive interval in seconds (0: none). */
  holdTime?: number;
  keepalive?: number;
  /** Negotiated families, e.g. "ipv4-unicast". */
  families: string[];
  /** Families whose UPDATEs from the peer carry ADD-PATH path identifiers. */
  addPathFamilies: string[];
  gracefulRestart: {
    /** The peer advertised graceful restart in the current (or last) session. */
    peerCapable: boolean;
    restartTime?: number;
    /** Families whose routes it asks us to keep over a restart (none: "restart aware" only). */
    families: string[];
    /** none, restarting (session down, routes kept stale), refreshing (back, waiting for End-of-RIB). */
    state: "none" | "restarting" | "refreshing";
  };
  lastError?: string;
  messages: { in: number; out: number };
  prefixes: { ipv4: number; ipv6: number };
  /** The peer's initial table is complete (End-of-RIB for every family, or a quiet period). */
  synced: boolean;
  maxPrefixes?: number;
}
