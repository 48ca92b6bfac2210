/**
 * BGP4MP and BGP4MP_ET records (RFC 6396 4.4, RFC 8050 3): BGP messages and FSM state changes as a
 * collector or speaker saw them, with the peer and local addresses and AS numbers around them.
 */
import { CodecError } from "../errors.js";
import { AFI_IPV4, AFI_IPV6 } from "../ip.js";
import { decodeMessage, type BgpMessage } from "../bgp/message.js";
import { HEADER_LEN } from "../bgp/constants.js";
import type { BgpDecodeOptions } from "../bgp/options.js";
import { addressBytes, addressText } from "./address.js";
import {
  BGP4MP_MESSAGE,
  BGP4MP_MESSAGE_ADDPATH,
  BGP4MP_MESSAGE_AS4,
  BGP4MP_MESSAGE_AS4_ADDPATH,
  BGP4MP_MESSAGE_AS4_LOCAL,
  BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH,
  BGP4MP_MESSAGE_LOCAL,
  BGP4MP_MESSAGE_LOCAL_ADDPATH,
  BGP4MP_STATE_CHANGE,
  BGP4MP_STATE_CHANGE_AS4,
  BGP_STATE_NAMES,
  MRT_BGP4MP,
  MRT_BGP4MP_ET,
} from "./constants.js";
import type { MrtRecord } from "./reader.js";
import { encodeMrtRecord } from "./writer.js";

/** What each message subtype says about the message inside it. */
interface SubtypeTraits {
  /** AS fields, and the AS_PATH inside, use 4-byte AS numbers (RFC 6396 4.4.3). */
  as4: boolean;
  /** Every NLRI carries a path identifier (RFC 8050 3). */
  addPath: boolean;
  /** The message was sent by the local speaker, not received from the peer. */
  local: boolean;
}

const MESSAGE_TRAITS: Record<number, SubtypeTraits> = {
  [BGP4MP_MESSAGE]: { as4: false, addPath: false, local: false },
  [BGP4MP_MESSAGE_AS4]: { as4: true, addPath: false, local: false },
  [BGP4MP_MESSAGE_LOCAL]: { as4: false, addPath: false, local: true },
  [BGP4MP_MESSAGE_AS4_LOCAL]: { as4: true, addPath: false, local: true },
  [BGP4MP_MESSAGE_ADDPATH]: { as4: false, addPath: true, local: false },
  [BGP4MP_MESSAGE_AS4_ADDPATH]: { as4: true, addPath: true, local: false },
  [BGP4MP_MESSAGE_LOCAL_ADDPATH]: { as4: false, addPath: true, local: true },
  [BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH]: { as4: true, addPath: true, local: true },
};

// One shared options object per encoding, so decoding a record allocates none. Extended messages
// are allowed: the record's length already bounds the PDU, and a session that negotiated RFC 8654
// records messages past 4096 bytes.
const OPTIONS: readonly BgpDecodeOptions[] = [
  Object.freeze({ as4: false, extendedMessage: true }),
  Object.freeze({ as4: true, extendedMessage: true }),
  Object.freeze({ as4: false, addPathAll: true, extendedMessage: true }),
  Object.freeze({ as4: true, addPathAll: true, extendedMessage: true }),
];

function optionsFor(as4: boolean, addPath: boolean): BgpDecodeOptions {
  return OPTIONS[(as4 ? 1 : 0) + (addPath ? 2 : 0)]!;
}

/** A BGP message with its peering; `bgp` (or `bgpStart`..`bgpEnd` in `buf`) is the whole PDU. */
export class Bgp4mpMessage {
  readonly kind = "message" as const;
  private view: Buffer | undefined;

  constructor(
    readonly subtype: number,
    readonly peerAs: number,
    readonly localAs: number,
    readonly ifIndex: number,
    readonly afi: number,
    readonly peerIp: string,
    readonly localIp: string,
    readonly buf: Buffer,
    readonly bgpStart: number,
    readonly bgpEnd: number,
    /** How to decode the PDU: as4 for *_AS4, addPathAll for *_ADDPATH. */
    readonly options: BgpDecodeOptions,
    /** *_LOCAL subtypes: the local speaker sent this message. */
    readonly local: boolean,
  ) {}

  get as4(): boolean {
    return this.options.as4;
  }

  get addPath(): boolean {
    return this.options.addPathAll === true;
  }

  /** The BGP PDU (header included) as a view. */
  get bgp(): Buffer {
    return (this.view ??= this.buf.subarray(this.bgpStart, this.bgpEnd));
  }

  /** The PDU decoded with the subtype's options; throws BgpError when it is malformed. */
  decode(): BgpMessage {
    return decodeMessage(this.buf, this.bgpStart, this.options);
  }
}

export interface Bgp4mpStateChange {
  kind: "state";
  subtype: number;
  peerAs: number;
  localAs: number;
  ifIndex: number;
  /** 1 or 2; 0 for the short form without addresses (see shortStateChange), where the IPs are "". */
  afi: number;
  peerIp: string;
  localIp: string;
  oldState: number;
  newState: number;
  oldStateName: string;
  newStateName: string;
}

export type Bgp4mpRecord = Bgp4mpMessage | Bgp4mpStateChange;

export function bgpStateName(state: number): string {
  return BGP_STATE_NAMES[state] ?? `state ${state}`;
}

function truncated(what: string, off: number, need: number, end: number): CodecError {
  return new CodecError(
    "mrt.bgp4mp.truncated",
    `BGP4MP ${what} truncated at offset ${off}: need ${need} bytes, ${Math.max(0, end - off)} left`,
    off,
  );
}

/**
 * Decodes a BGP4MP or BGP4MP_ET record. Returns undefined for other record types and for subtypes
 * this codec does not read (the caller counts them as skipped).
 */
export function decodeBgp4mp(record: MrtRecord): Bgp4mpRecord | undefined {
  if (record.type !== MRT_BGP4MP && record.type !== MRT_BGP4MP_ET) return undefined;
  const subtype = record.subtype;
  const traits = MESSAGE_TRAITS[subtype];
  const isState = subtype === BGP4MP_STATE_CHANGE || subtype === BGP4MP_STATE_CHANGE_AS4;
  if (!traits && !isState) return undefined;
  const as4 = traits ? traits.as4 : subtype === BGP4MP_STATE_CHANGE_AS4;

  const buf = record.buf;
  const end = record.bodyEnd;
  let off = record.bodyStart;
  const asSize = as4 ? 4 : 2;
  if (!traits && end - off === 2 * asSize + 4) return shortStateChange(buf, off, subtype, asSize);
  // Peer AS, Local AS, Interface Index (2), Address Family (2).
  const fixed = 2 * asSize + 4;
  if (off + fixed > end) throw truncated("peer header", off, fixed, end);
  const peerAs = as4 ? buf.readUInt32BE(off) : buf.readUInt16BE(off);
  const localAs = as4 ? buf.readUInt32BE(off + 4) : buf.readUInt16BE(off + 2);
  off += 2 * asSize;
  const ifIndex = buf.readUInt16BE(off);
  const afi = buf.readUInt16BE(off + 2);
  off += 4;
  if (afi !== AFI_IPV4 && afi !== AFI_IPV6) {
    throw new CodecError(
      "mrt.bgp4mp.afi",
      `BGP4MP address family ${afi} at offset ${off - 2}, expected 1 or 2`,
      off - 2,
    );
  }
  const addrLen = afi === AFI_IPV4 ? 4 : 16;
  if (off + 2 * addrLen > end) throw truncated("peer addresses", off, 2 * addrLen, end);
  const peerIp = addressText(buf, off, addrLen);
  const localIp = addressText(buf, off + addrLen, addrLen);
  off += 2 * addrLen;

  if (!traits) {
    if (off + 4 > end) throw truncated("state change", off, 4, end);
    const oldState = buf.readUInt16BE(off);
    const newState = buf.readUInt16BE(off + 2);
    return {
      kind: "state",
      subtype,
      peerAs,
      localAs,
      ifIndex,
      afi,
      peerIp,
      localIp,
      oldState,
      newState,
      oldStateName: bgpStateName(oldState),
      newStateName: bgpStateName(newState),
    };
  }

  if (off + HEADER_LEN > end) throw truncated("BGP message header", off, HEADER_LEN, end);
  const declared = buf.readUInt16BE(off + 16);
  if (off + declared > end) {
    throw new CodecError(
      "mrt.bgp4mp.truncated",
      `BGP message at offset ${off} declares ${declared} bytes, the record holds ${end - off}`,
      off,
    );
  }
  return new Bgp4mpMessage(
    subtype,
    peerAs,
    localAs,
    ifIndex,
    afi,
    peerIp,
    localIp,
    buf,
    off,
    end,
    optionsFor(as4, traits.addPath),
    traits.local,
  );
}

/**
 * Zebra, Quagga and FRR write a state change for a peer without an address (one being deleted) as
 * just the two AS numbers and the two states: no interface, family or addresses. Read it with
 * afi 0 and empty address text rather than failing on the family.
 */
function shortStateChange(buf: Buffer, off: number, subtype: number, asSize: number): Bgp4mpStateChange {
  const peerAs = asSize === 4 ? buf.readUInt32BE(off) : buf.readUInt16BE(off);
  const localAs = asSize === 4 ? buf.readUInt32BE(off + 4) : buf.readUInt16BE(off + 2);
  const oldState = buf.readUInt16BE(off + 2 * asSize);
  const newState = buf.readUInt16BE(off + 2 * asSize + 2);
  return {
    kind: "state",
    subtype,
    peerAs,
    localAs,
    ifIndex: 0,
    afi: 0,
    peerIp: "",
    localIp: "",
    oldState,
    newState,
    oldStateName: bgpStateName(oldState),
    newStateName: bgpStateName(newState),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface Bgp4mpPeering {
  tsMicros: number;
  /** Write BGP4MP_ET (type 17) with the microsecond field; plain BGP4MP (16) otherwise. */
  extendedTimestamp?: boolean;
  peerAs: number;
  localAs: number;
  ifIndex?: number;
  /** Peer and local address, both IPv4 or both IPv6. */
  peerIp: string;
  localIp: string;
  /** 4-byte AS fields (the *_AS4 subtypes); default true. */
  as4?: boolean;
}

export interface Bgp4mpMessageFields extends Bgp4mpPeering {
  /** The whole BGP message, header included, encoded as the subtype says (as4, ADD-PATH). */
  bgp: Buffer;
  /** The NLRI carry ADD-PATH path identifiers (the *_ADDPATH subtypes, RFC 8050). */
  addPath?: boolean;
  /** The local speaker sent the message (the *_LOCAL subtypes). */
  local?: boolean;
}

export interface Bgp4mpStateChangeFields extends Bgp4mpPeering {
  oldState: number;
  newState: number;
}

/** The subtype of a message with these traits (RFC 6396 4.4, RFC 8050 3). */
export function bgp4mpMessageSubtype(as4: boolean, addPath: boolean, local: boolean): number {
  if (local) {
    if (addPath) return as4 ? BGP4MP_MESSAGE_AS4_LOCAL_ADDPATH : BGP4MP_MESSAGE_LOCAL_ADDPATH;
    return as4 ? BGP4MP_MESSAGE_AS4_LOCAL : BGP4MP_MESSAGE_LOCAL;
  }
  if (addPath) return as4 ? BGP4MP_MESSAGE_AS4_ADDPATH : BGP4MP_MESSAGE_ADDPATH;
  return as4 ? BGP4MP_MESSAGE_AS4 : BGP4MP_MESSAGE;
}

function checkAsn(asn: number, as4: boolean, what: string): void {
  const max = as4 ? 0xffffffff : 0xffff;
  if (!Number.isInteger(asn) || asn < 0 || asn > max) {
    throw new Error(`${what} ${asn} does not fit a ${as4 ? 4 : 2}-byte AS field`);
  }
}

/** Peer AS, Local AS, Interface Index, Address Family, Peer IP, Local IP; then `tail` bytes. */
function peeringBody(p: Bgp4mpPeering, tailLength: number): { out: Buffer; off: number } {
  const as4 = p.as4 ?? true;
  checkAsn(p.peerAs, as4, "peer AS");
  checkAsn(p.localAs, as4, "local AS");
  const peer = addressBytes(p.peerIp, "BGP4MP peer IP");
  const local = addressBytes(p.localIp, "BGP4MP local IP");
  if (peer.length !== local.length)
    throw new Error(`BGP4MP peer IP ${p.peerIp} and local IP ${p.localIp} differ in family`);
  const asSize = as4 ? 4 : 2;
  const out = Buffer.alloc(2 * asSize + 4 + 2 * peer.length + tailLength);
  let off = 0;
  if (as4) {
    off = out.writeUInt32BE(p.peerAs, off);
    off = out.writeUInt32BE(p.localAs, off);
  } else {
    off = out.writeUInt16BE(p.peerAs, off);
    off = out.writeUInt16BE(p.localAs, off);
  }
  off = out.writeUInt16BE(p.ifIndex ?? 0, off);
  off = out.writeUInt16BE(peer.length === 4 ? AFI_IPV4 : AFI_IPV6, off);
  off += peer.copy(out, off);
  off += local.copy(out, off);
  return { out, off };
}

/** A whole BGP4MP(_ET) MESSAGE* record, subtype chosen from as4 / addPath / local. */
export function encodeBgp4mpMessage(f: Bgp4mpMessageFields): Buffer {
  const { out, off } = peeringBody(f, f.bgp.length);
  f.bgp.copy(out, off);
  return encodeMrtRecord({
    tsMicros: f.tsMicros,
    type: f.extendedTimestamp ? MRT_BGP4MP_ET : MRT_BGP4MP,
    subtype: bgp4mpMessageSubtype(f.as4 ?? true, f.addPath ?? false, f.local ?? false),
    body: out,
  });
}

/** A whole BGP4MP(_ET) STATE_CHANGE(_AS4) record. */
export function encodeBgp4mpStateChange(f: Bgp4mpStateChangeFields): Buffer {
  const { out, off } = peeringBody(f, 4);
  out.writeUInt16BE(f.oldState, off);
  out.writeUInt16BE(f.newState, off + 2);
  return encodeMrtRecord({
    tsMicros: f.tsMicros,
    type: f.extendedTimestamp ? MRT_BGP4MP_ET : MRT_BGP4MP,
    subtype: (f.as4 ?? true) ? BGP4MP_STATE_CHANGE_AS4 : BGP4MP_STATE_CHANGE,
    body: out,
  });
}
