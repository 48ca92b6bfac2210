/**
 * What every input (pcap, MRT, raw stream, and later live sessions) is turned into before decoding
 * or replay: timestamped BGP and BMP messages with the context needed to decode them.
 */
import type { CodecError } from "../../codec/errors.js";
import type { AttributesDecodeResult } from "../../codec/bgp/attributes.js";
import type { BgpDecodeOptions } from "../../codec/bgp/options.js";

interface Stamped {
  tsMicros: number;
  /** Captures: the 1-based number of the packet that completed the message (tshark's frame.number). */
  frame?: number;
}

/**
 * A BGP message as it travelled from `src` to `dst`: the whole message (header included) starts at
 * `bytes[offset]` (its length is in its header). Only valid until the next item.
 */
export interface BgpItem extends Stamped {
  kind: "bgp";
  src: string;
  dst: string;
  bytes: Buffer;
  offset: number;
  /** How to decode it: negotiated from the session's OPENs, or given by the MRT subtype. */
  options: BgpDecodeOptions;
  /** Options were guessed because no OPEN of this session was seen (capture started mid-session). */
  guessed?: boolean;
  srcAs?: number;
  dstAs?: number;
}

/** A BMP message from router `src` to collector `dst`; `bytes` is the whole message. */
export interface BmpItem extends Stamped {
  kind: "bmp";
  src: string;
  dst: string;
  bytes: Buffer;
}

/** One path of a TABLE_DUMP / TABLE_DUMP_V2 RIB record; `tsMicros` is the dump's time. */
export interface RibItem extends Stamped {
  kind: "rib";
  /** When the path was originated (learned), per the entry. */
  originatedMicros: number;
  peer: string;
  peerAs: number;
  peerBgpId?: string;
  /** TABLE_DUMP_V2: the PEER_INDEX_TABLE's view name ("routewatch" for a recording's snapshot). */
  view?: string;
  prefix: string;
  pathId?: number;
  afi: number;
  safi: number;
  /** Decodes the path's attributes (valid only until the next item: the bytes are not kept). */
  attributes(): AttributesDecodeResult;
  /** Decoding options equivalent to how the attributes are encoded (TABLE_DUMP v1 is 2-octet). */
  options: BgpDecodeOptions;
}

/** A BGP FSM state change recorded in MRT (BGP4MP STATE_CHANGE). */
export interface StateItem extends Stamped {
  kind: "state";
  peer: string;
  local: string;
  peerAs: number;
  localAs: number;
  oldState: number;
  newState: number;
}

/** Something wrong in the input that decoding continued past (or stopped at), with where. */
export interface ProblemItem {
  kind: "problem";
  tsMicros?: number;
  /** Stable machine name (e.g. "mrt.truncated", "pcap.gap"), counted in summaries. */
  errorKind: string;
  message: string;
  /** Byte offset in the file, or packet number for captures. */
  offset?: number;
  frame?: number;
  /** A warning is a fact worth knowing that is not an error (e.g. options guessed mid-session). */
  warning?: boolean;
}

/** A codec error at a byte offset (or packet number) of the input. */
export function codecProblem(e: CodecError, offset: number): ProblemItem {
  return { kind: "problem", errorKind: e.kind, offset, message: `offset ${offset}: ${e.message}` };
}

/** A TCP connection of a capture ended (FIN both ways, or RST): the session on it is over. */
export interface ClosedItem extends Stamped {
  kind: "closed";
  transport: "bgp" | "bmp";
  /** The two endpoints' addresses, in no particular order (for BMP recordings: router, collector). */
  a: string;
  b: string;
  /** Captures: the endpoint that ended it (sent the RST, or the first FIN): `a` or `b`. */
  by?: string;
  reason: string;
}

export type InputItem = BgpItem | BmpItem | RibItem | StateItem | ProblemItem | ClosedItem;
export type ItemSink = (item: InputItem) => void;
