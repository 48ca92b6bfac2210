/** BMP numbers and their names (IANA "BGP Monitoring Protocol (BMP) Parameters"), in one place. */

export const BMP_VERSION = 3;
/** Common header: version (1), message length (4), message type (1). RFC 7854 4.1. */
export const COMMON_HEADER_LEN = 6;
/** Per-peer header: type, flags, distinguisher (8), address (16), AS (4), BGP ID (4), time (8). RFC 7854 4.2. */
export const PEER_HEADER_LEN = 42;

// Message types (RFC 7854 4.1).
export const MSG_ROUTE_MONITORING = 0;
export const MSG_STATISTICS_REPORT = 1;
export const MSG_PEER_DOWN = 2;
export const MSG_PEER_UP = 3;
export const MSG_INITIATION = 4;
export const MSG_TERMINATION = 5;
export const MSG_ROUTE_MIRRORING = 6;

export const MESSAGE_TYPES = {
  "ROUTE-MONITORING": MSG_ROUTE_MONITORING,
  "STATISTICS-REPORT": MSG_STATISTICS_REPORT,
  "PEER-DOWN": MSG_PEER_DOWN,
  "PEER-UP": MSG_PEER_UP,
  INITIATION: MSG_INITIATION,
  TERMINATION: MSG_TERMINATION,
  "ROUTE-MIRRORING": MSG_ROUTE_MIRRORING,
} as const;
export type BmpMessageType = keyof typeof MESSAGE_TYPES;

// Peer types (RFC 7854 4.2, RFC 9069 4.1).
export const PEER_TYPE_GLOBAL = 0;
export const PEER_TYPE_RD = 1;
export const PEER_TYPE_LOCAL = 2;
export const PEER_TYPE_LOC_RIB = 3;

export const PEER_TYPE_NAMES = [
  "global-instance",
  "rd-instance",
  "local-instance",
  "loc-rib-instance",
] as const;
export type BmpPeerTypeName = (typeof PEER_TYPE_NAMES)[number] | "unknown";

export function peerTypeName(type: number): BmpPeerTypeName {
  return PEER_TYPE_NAMES[type] ?? "unknown";
}

// Per-peer flags for peer types 0..2 (RFC 7854 4.2, RFC 8671 4).
export const FLAG_V = 0x80; // peer address is IPv6
export const FLAG_L = 0x40; // post-policy Adj-RIB
export const FLAG_A = 0x20; // legacy 2-byte AS_PATH
export const FLAG_O = 0x10; // Adj-RIB-Out
// Per-peer flag for peer type 3 (RFC 9069 4.2): the same bit as V means something else there.
export const FLAG_F = 0x80; // Loc-RIB is filtered

// Peer Down reason codes (RFC 7854 4.9, RFC 9069 5.3).
export const DOWN_LOCAL_NOTIFICATION = 1;
export const DOWN_LOCAL_FSM_EVENT = 2;
export const DOWN_REMOTE_NOTIFICATION = 3;
export const DOWN_REMOTE_NO_DATA = 4;
export const DOWN_PEER_DECONFIGURED = 5;
export const DOWN_LOCAL_TLV = 6;

export const PEER_DOWN_REASON_NAMES = {
  1: "local-notification",
  2: "local-fsm-event",
  3: "remote-notification",
  4: "remote-no-data",
  5: "peer-deconfigured",
  6: "local-tlv",
} as const;
export type PeerDownReasonName =
  (typeof PEER_DOWN_REASON_NAMES)[keyof typeof PEER_DOWN_REASON_NAMES] | "unknown";

export function peerDownReasonName(reason: number): PeerDownReasonName {
  return PEER_DOWN_REASON_NAMES[reason as keyof typeof PEER_DOWN_REASON_NAMES] ?? "unknown";
}

/** Information TLV types of INITIATION (RFC 7854 4.4). */
export const INITIATION_TLV_NAMES = { 0: "string", 1: "sysDescr", 2: "sysName" } as const;
/** Information TLV types of PEER-UP (RFC 7854 4.10, RFC 9069 5.2). */
export const PEER_UP_TLV_NAMES = { 0: "string", 3: "vrfTableName" } as const;
/** TLV types of PEER-DOWN reason 6 (RFC 9069 5.3). */
export const PEER_DOWN_TLV_NAMES = { 3: "vrfTableName" } as const;
/** TERMINATION TLV types (RFC 7854 4.5). */
export const TERMINATION_TLV_NAMES = { 0: "string", 1: "reason" } as const;
/** ROUTE-MIRRORING TLV types (RFC 7854 4.7). */
export const MIRRORING_TLV_NAMES = { 0: "bgpMessage", 1: "information" } as const;

/** TERMINATION reason codes (RFC 7854 4.5). */
export const TERMINATION_REASON_NAMES = [
  "admin-closed",
  "unspecified",
  "out-of-resources",
  "redundant-connection",
  "permanently-admin-closed",
] as const;
export type TerminationReasonName = (typeof TERMINATION_REASON_NAMES)[number] | "unknown";

export function terminationReasonName(code: number): TerminationReasonName {
  return TERMINATION_REASON_NAMES[code] ?? "unknown";
}

/** ROUTE-MIRRORING information codes (RFC 7854 4.7). */
export const MIRRORING_INFO_NAMES = ["errored-pdu", "messages-lost"] as const;
export type MirroringInfoName = (typeof MIRRORING_INFO_NAMES)[number] | "unknown";

export function mirroringInfoName(code: number): MirroringInfoName {
  return MIRRORING_INFO_NAMES[code] ?? "unknown";
}

/** How a statistic's value is encoded (RFC 7854 4.8, RFC 8671 5). */
export type StatFormat = "counter32" | "gauge64" | "afi-safi-gauge64";

/** IANA "BMP Statistics Types" 0..17, with their value encodings. */
export const STAT_TYPES = [
  { name: "rejected-prefixes", format: "counter32" },
  { name: "duplicate-prefix-advertisements", format: "counter32" },
  { name: "duplicate-withdraws", format: "counter32" },
  { name: "cluster-list-loop-updates", format: "counter32" },
  { name: "as-path-loop-updates", format: "counter32" },
  { name: "originator-id-loop-updates", format: "counter32" },
  { name: "as-confed-loop-updates", format: "counter32" },
  { name: "adj-rib-in-routes", format: "gauge64" },
  { name: "loc-rib-routes", format: "gauge64" },
  { name: "per-afi-safi-adj-rib-in-routes", format: "afi-safi-gauge64" },
  { name: "per-afi-safi-loc-rib-routes", format: "afi-safi-gauge64" },
  { name: "treat-as-withdraw-updates", format: "counter32" },
  { name: "treat-as-withdraw-prefixes", format: "counter32" },
  { name: "duplicate-updates", format: "counter32" },
  { name: "pre-policy-adj-rib-out-routes", format: "gauge64" },
  { name: "post-policy-adj-rib-out-routes", format: "gauge64" },
  { name: "per-afi-safi-pre-policy-adj-rib-out-routes", format: "afi-safi-gauge64" },
  { name: "per-afi-safi-post-policy-adj-rib-out-routes", format: "afi-safi-gauge64" },
] as const satisfies readonly { name: string; format: StatFormat }[];

export type BmpStatName = (typeof STAT_TYPES)[number]["name"] | "unknown";

export function statName(type: number): BmpStatName {
  return STAT_TYPES[type]?.name ?? "unknown";
}

/** Byte length of a statistic's value for each format. */
export const STAT_FORMAT_LEN: Record<StatFormat, number> = {
  counter32: 4,
  gauge64: 8,
  "afi-safi-gauge64": 11,
};
