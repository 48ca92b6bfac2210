/** MRT numbers (RFC 6396 section 4, RFC 8050 section 3, IANA "MRT" registry) and their names. */

export const MRT_HEADER_LEN = 12;

// Record types (RFC 6396 4).
export const MRT_TABLE_DUMP = 12;
export const MRT_TABLE_DUMP_V2 = 13;
export const MRT_BGP4MP = 16;
export const MRT_BGP4MP_ET = 17;
export const MRT_ISIS = 32;
export const MRT_ISIS_ET = 33;
export const MRT_OSPFV3 = 48;
export const MRT_OSPFV3_ET = 49;

export const MRT_TYPE_NAMES: Record<number, string> = {
  11: "OSPFv2",
  12: "TABLE_DUMP",
  13: "TABLE_DUMP_V2",
  16: "BGP4MP",
  17: "BGP4MP_ET",
  32: "ISIS",
  33: "ISIS_ET",
  48: "OSPFv3",
  49: "OSPFv3_ET",
};

/** RFC 6396 3: the _ET types carry a 4-byte microsecond field first, counted in the record length. */
export function isExtendedTimestampType(type: number): boolean {
  return type === MRT_BGP4MP_ET || type === MRT_ISIS_ET || type === MRT_OSPFV3_ET;
}

// TABLE_DUMP subtypes (RFC 6396 4.2).
export const TD_AFI_IPV4 = 1;
export const TD_AFI_IPV6 = 2;

// TABLE_DUMP_V2 subtypes (RFC 6396 4.3, RFC 8050 4).
export const TDV2_PEER_INDEX_TABLE = 1;
export const TDV2_RIB_IPV4_UNICAST = 2;
export const TDV2_RIB_IPV4_MULTICAST = 3;
export const TDV2_RIB_IPV6_UNICAST = 4;
export const TDV2_RIB_IPV6_MULTICAST = 5;
export const TDV2_RIB_GENERIC = 6;
export const TDV2_RIB_IPV4_UNICAST_ADDPATH = 8;
export const TDV2_RIB_IPV4_MULTICAST_ADDPATH = 9;
export const TDV2_RIB_IPV6_UNICAST_ADDPATH = 10;
export const TDV2_RIB_IPV6_MULTICAST_ADDPATH = 11;
export const TDV2_RIB_GENERIC_ADDPATH = 12;

export const TDV2_SUBTYPE_NAMES: Record<number, string> = {
  1: "PEER_INDEX_TABLE",
  2: "RIB_IPV4_UNICAST",
  3: "RIB_IPV4_MULTICAST",
  4: "RIB_IPV6_UNICAST",
  5: "RIB_IPV6_MULTICAST",
  6: "RIB_GENERIC",
  8: "RIB_IPV4_UNICAST_ADDPATH",
  9: "RIB_IPV4_MULTICAST_ADDPATH",
  10: "RIB_IPV6_UNICAST_ADDPATH",
  11: "RIB_IPV6_MULTICAST_ADDPATH",
  12: "RIB_GENERIC_ADDPATH",
};

/** PEER_INDEX_TABLE peer type bits (RFC 6396 4.3.1). */
export const PEER_TYPE_IPV6 = 0x01;
export const PEER_TYPE_AS4 = 0x02;

// BGP4MP subtypes (RFC 6396 4.4, RFC 8050 3).
export const BGP4MP_STATE_CHANGE = 0;
export const BGP4MP_MESSAGE = 1;
export const BGP4MP_MESSAGE_AS4 = 4;
export const BGP4MP_STATE_CHANGE_AS4 = 5;
export const BGP4MP_MESSAGE_LOCAL = 6;
export const BGP4MP_MESSAGE_AS4_LOCAL = 7;
export const BGP4MP_MESSAGE_ADDPATH = 8;
export const BGP4MP_MESSAGE_AS4_ADDPATH = 9;
export const BGP4MP_MESSAGE_LOCAL_ADDPATH = 10;
export const BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH = 11;

export const BGP4MP_SUBTYPE_NAMES: Record<number, string> = {
  0: "STATE_CHANGE",
  1: "MESSAGE",
  4: "MESSAGE_AS4",
  5: "STATE_CHANGE_AS4",
  6: "MESSAGE_LOCAL",
  7: "MESSAGE_AS4_LOCAL",
  8: "MESSAGE_ADDPATH",
  9: "MESSAGE_AS4_ADDPATH",
  10: "MESSAGE_LOCAL_ADDPATH",
  11: "MESSAGE_AS4_LOCAL_ADDPATH",
};

/** BGP FSM states as BGP4MP_STATE_CHANGE numbers them (RFC 6396 4.4.1). */
export const BGP_STATE_NAMES: Record<number, string> = {
  1: "Idle",
  2: "Connect",
  3: "Active",
  4: "OpenSent",
  5: "OpenConfirm",
  6: "Established",
  // Not in RFC 6396; Quagga and FRR write them when a peer is being cleared or deleted.
  7: "Clearing",
  8: "Deleted",
};
