/** BGP numbers and their names (IANA registries), in one place for decoders, encoders and output. */

export const MARKER_LEN = 16;
export const HEADER_LEN = 19;
export const MAX_MESSAGE_LEN = 4096;
export const MAX_EXTENDED_MESSAGE_LEN = 65535; // RFC 8654

export const MSG_OPEN = 1;
export const MSG_UPDATE = 2;
export const MSG_NOTIFICATION = 3;
export const MSG_KEEPALIVE = 4;
export const MSG_ROUTE_REFRESH = 5;

export const MESSAGE_NAMES: Record<number, string> = {
  [MSG_OPEN]: "OPEN",
  [MSG_UPDATE]: "UPDATE",
  [MSG_NOTIFICATION]: "NOTIFICATION",
  [MSG_KEEPALIVE]: "KEEPALIVE",
  [MSG_ROUTE_REFRESH]: "ROUTE-REFRESH",
};

export const SAFI_UNICAST = 1;
export const SAFI_MULTICAST = 2;

export const AFI_NAMES: Record<number, string> = { 1: "ipv4", 2: "ipv6", 25: "l2vpn", 16388: "bgp-ls" };
export const SAFI_NAMES: Record<number, string> = {
  1: "unicast",
  2: "multicast",
  4: "labeled-unicast",
  5: "mcast-vpn",
  65: "vpls",
  70: "evpn",
  71: "bgp-ls",
  73: "sr-te",
  128: "vpn",
  129: "vpn-multicast",
  132: "rtc",
  133: "flowspec",
  134: "flowspec-vpn",
};

export function familyName(afi: number, safi: number): string {
  return `${AFI_NAMES[afi] ?? `afi${afi}`}-${SAFI_NAMES[safi] ?? `safi${safi}`}`;
}

/** Key for an (AFI, SAFI) pair in sets and maps. */
export function familyKey(afi: number, safi: number): number {
  return afi * 256 + safi;
}

// Path attribute type codes.
export const ATTR_ORIGIN = 1;
export const ATTR_AS_PATH = 2;
export const ATTR_NEXT_HOP = 3;
export const ATTR_MED = 4;
export const ATTR_LOCAL_PREF = 5;
export const ATTR_ATOMIC_AGGREGATE = 6;
export const ATTR_AGGREGATOR = 7;
export const ATTR_COMMUNITIES = 8;
export const ATTR_ORIGINATOR_ID = 9;
export const ATTR_CLUSTER_LIST = 10;
export const ATTR_MP_REACH_NLRI = 14;
export const ATTR_MP_UNREACH_NLRI = 15;
export const ATTR_EXTENDED_COMMUNITIES = 16;
export const ATTR_AS4_PATH = 17;
export const ATTR_AS4_AGGREGATOR = 18;
export const ATTR_LARGE_COMMUNITY = 32;
export const ATTR_OTC = 35;

export const ATTR_NAMES: Record<number, string> = {
  1: "ORIGIN",
  2: "AS_PATH",
  3: "NEXT_HOP",
  4: "MULTI_EXIT_DISC",
  5: "LOCAL_PREF",
  6: "ATOMIC_AGGREGATE",
  7: "AGGREGATOR",
  8: "COMMUNITIES",
  9: "ORIGINATOR_ID",
  10: "CLUSTER_LIST",
  14: "MP_REACH_NLRI",
  15: "MP_UNREACH_NLRI",
  16: "EXTENDED_COMMUNITIES",
  17: "AS4_PATH",
  18: "AS4_AGGREGATOR",
  22: "PMSI_TUNNEL",
  23: "TUNNEL_ENCAPSULATION",
  25: "IPV6_EXTENDED_COMMUNITIES",
  26: "AIGP",
  29: "BGP_LS",
  32: "LARGE_COMMUNITY",
  33: "BGPSEC_PATH",
  35: "OTC",
  40: "PREFIX_SID",
  128: "ATTR_SET",
};

// Attribute flag bits (RFC 4271 4.3).
export const FLAG_OPTIONAL = 0x80;
export const FLAG_TRANSITIVE = 0x40;
export const FLAG_PARTIAL = 0x20;
export const FLAG_EXTENDED_LENGTH = 0x10;

export const ORIGIN_NAMES = ["IGP", "EGP", "INCOMPLETE"] as const;
export type OriginName = (typeof ORIGIN_NAMES)[number];

export const AS_SET = 1;
export const AS_SEQUENCE = 2;
export const AS_CONFED_SEQUENCE = 3;
export const AS_CONFED_SET = 4;
export const AS_TRANS = 23456;

/** Well-known communities (RFC 1997, RFC 7999, RFC 8326, RFC 8642). */
export const WELL_KNOWN_COMMUNITIES: Record<number, string> = {
  0xffff0000: "GRACEFUL_SHUTDOWN",
  0xffff0001: "ACCEPT_OWN",
  0xffff0002: "ROUTE_FILTER_TRANSLATED_V4",
  0xffff0003: "ROUTE_FILTER_V4",
  0xffff0004: "ROUTE_FILTER_TRANSLATED_V6",
  0xffff0005: "ROUTE_FILTER_V6",
  0xffff0006: "LLGR_STALE",
  0xffff0007: "NO_LLGR",
  0xffff0008: "ACCEPT_OWN_NEXTHOP",
  0xffff029a: "BLACKHOLE",
  0xffffff01: "NO_EXPORT",
  0xffffff02: "NO_ADVERTISE",
  0xffffff03: "NO_EXPORT_SUBCONFED",
  0xffffff04: "NOPEER",
};

// Capability codes (IANA "Capability Codes").
export const CAP_MULTIPROTOCOL = 1;
export const CAP_ROUTE_REFRESH = 2;
export const CAP_EXTENDED_NEXT_HOP = 5;
export const CAP_EXTENDED_MESSAGE = 6;
export const CAP_ROLE = 9;
export const CAP_GRACEFUL_RESTART = 64;
export const CAP_AS4 = 65;
export const CAP_ADD_PATH = 69;
export const CAP_ENHANCED_ROUTE_REFRESH = 70;
export const CAP_LLGR = 71;
export const CAP_FQDN = 73;
export const CAP_ROUTE_REFRESH_CISCO = 128;

export const CAPABILITY_NAMES: Record<number, string> = {
  1: "multiprotocol",
  2: "route-refresh",
  3: "outbound-route-filtering",
  5: "extended-next-hop",
  6: "extended-message",
  7: "bgpsec",
  8: "multiple-labels",
  9: "role",
  64: "graceful-restart",
  65: "as4",
  67: "dynamic",
  69: "add-path",
  70: "enhanced-route-refresh",
  71: "long-lived-graceful-restart",
  73: "fqdn",
  74: "bfd",
  75: "software-version",
  128: "route-refresh-cisco",
};

export const ROLE_NAMES: Record<number, string> = {
  0: "provider",
  1: "rs",
  2: "rs-client",
  3: "customer",
  4: "peer",
};

/** NOTIFICATION error codes and subcodes (RFC 4271 4.5, RFC 4486, RFC 7313, RFC 8203, RFC 9234). */
export const NOTIFICATION_NAMES: Record<number, { name: string; subcodes: Record<number, string> }> = {
  1: {
    name: "Message Header Error",
    subcodes: { 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" },
  },
  2: {
    name: "OPEN Message Error",
    subcodes: {
      1: "Unsupported Version Number",
      2: "Bad Peer AS",
      3: "Bad BGP Identifier",
      4: "Unsupported Optional Parameter",
      6: "Unacceptable Hold Time",
      7: "Unsupported Capability",
      11: "Role Mismatch",
    },
  },
  3: {
    name: "UPDATE Message Error",
    subcodes: {
      1: "Malformed Attribute List",
      2: "Unrecognized Well-known Attribute",
      3: "Missing Well-known Attribute",
      4: "Attribute Flags Error",
      5: "Attribute Length Error",
      6: "Invalid ORIGIN Attribute",
      8: "Invalid NEXT_HOP Attribute",
      9: "Optional Attribute Error",
      10: "Invalid Network Field",
      11: "Malformed AS_PATH",
    },
  },
  4: { name: "Hold Timer Expired", subcodes: {} },
  5: {
    name: "Finite State Machine Error",
    subcodes: {
      1: "Receive Unexpected Message in OpenSent State",
      2: "Receive Unexpected Message in OpenConfirm State",
      3: "Receive Unexpected Message in Established State",
    },
  },
  6: {
    name: "Cease",
    subcodes: {
      1: "Maximum Number of Prefixes Reached",
      2: "Administrative Shutdown",
      3: "Peer De-configured",
      4: "Administrative Reset",
      5: "Connection Rejected",
      6: "Other Configuration Change",
      7: "Connection Collision Resolution",
      8: "Out of Resources",
      9: "Hard Reset",
      10: "BFD Down",
    },
  },
  7: { name: "ROUTE-REFRESH Message Error", subcodes: { 1: "Invalid Message Length" } },
};

export const ERR_HEADER = 1;
export const ERR_OPEN = 2;
export const ERR_UPDATE = 3;
export const ERR_HOLD_TIMER = 4;
export const ERR_FSM = 5;
export const ERR_CEASE = 6;
export const ERR_ROUTE_REFRESH = 7;

export const CEASE_MAX_PREFIXES = 1;
export const CEASE_ADMIN_SHUTDOWN = 2;
export const CEASE_PEER_DECONFIGURED = 3;
export const CEASE_ADMIN_RESET = 4;
export const CEASE_CONNECTION_REJECTED = 5;
export const CEASE_COLLISION = 7;
export const CEASE_OUT_OF_RESOURCES = 8;
