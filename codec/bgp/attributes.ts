/**
 * Path attributes (RFC 4271 4.3 and 5, RFC 4760, RFC 6793, RFC 1997, RFC 4360, RFC 8092, RFC 9234):
 * one table of decoders and encoders, with the RFC 7606 reaction to each malformation.
 */
import { BgpError, strongerAction, type ErrorAction } from "../errors.js";
import { AFI_IPV4, AFI_IPV6, ipToString, ipv4ToString, parseIp } from "../ip.js";
import {
  AS_CONFED_SEQUENCE,
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  AS_TRANS,
  ATTR_AGGREGATOR,
  ATTR_AS4_AGGREGATOR,
  ATTR_AS4_PATH,
  ATTR_AS_PATH,
  ATTR_ATOMIC_AGGREGATE,
  ATTR_CLUSTER_LIST,
  ATTR_COMMUNITIES,
  ATTR_EXTENDED_COMMUNITIES,
  ATTR_LARGE_COMMUNITY,
  ATTR_LOCAL_PREF,
  ATTR_MED,
  ATTR_MP_REACH_NLRI,
  ATTR_MP_UNREACH_NLRI,
  ATTR_NAMES,
  ATTR_NEXT_HOP,
  ATTR_ORIGIN,
  ATTR_ORIGINATOR_ID,
  ATTR_OTC,
  ERR_UPDATE,
  FLAG_EXTENDED_LENGTH,
  FLAG_OPTIONAL,
  FLAG_TRANSITIVE,
  ORIGIN_NAMES,
  SAFI_MULTICAST,
  SAFI_UNICAST,
  type OriginName,
} from "./constants.js";
import { readNlri, nlriSize, walkNlri, writeNlri, type NlriEntry } from "./nlri.js";
import { hasAddPath, type BgpDecodeOptions } from "./options.js";

export interface AsPathSegment {
  /** AS_SET 1, AS_SEQUENCE 2, AS_CONFED_SEQUENCE 3, AS_CONFED_SET 4 */
  type: number;
  asns: number[];
}

interface Base {
  code: number;
  flags: number;
}
export type OriginAttr = Base & { name: "ORIGIN"; origin: number };
export type AsPathAttr = Base & { name: "AS_PATH" | "AS4_PATH"; segments: AsPathSegment[] };
export type NextHopAttr = Base & { name: "NEXT_HOP"; nextHop: string };
export type NumberAttr = Base & { name: "MULTI_EXIT_DISC" | "LOCAL_PREF" | "OTC"; value: number };
export type AtomicAggregateAttr = Base & { name: "ATOMIC_AGGREGATE" };
export type AggregatorAttr = Base & { name: "AGGREGATOR" | "AS4_AGGREGATOR"; asn: number; address: string };
export type CommunitiesAttr = Base & { name: "COMMUNITIES"; values: number[] };
export type AddressAttr = Base & { name: "ORIGINATOR_ID"; address: string };
export type ClusterListAttr = Base & { name: "CLUSTER_LIST"; values: string[] };
/** Extended communities as 16 hex digits each (RFC 4360 8-byte values). */
export type ExtCommunitiesAttr = Base & { name: "EXTENDED_COMMUNITIES"; values: string[] };
export type LargeCommunitiesAttr = Base & {
  name: "LARGE_COMMUNITY";
  values: [number, number, number][];
};
/**
 * MP_REACH_NLRI. For IPv4/IPv6 unicast and multicast the next hops and NLRI are decoded; for any
 * other family they stay as bytes (`nextHopRaw`, `nlriRaw`) and are re-encoded unchanged.
 */
export type MpReachAttr = Base & {
  name: "MP_REACH_NLRI";
  afi: number;
  safi: number;
  nextHops: string[];
  nlri: NlriEntry[];
  nextHopRaw?: Buffer;
  nlriRaw?: Buffer;
};
export type MpUnreachAttr = Base & {
  name: "MP_UNREACH_NLRI";
  afi: number;
  safi: number;
  withdrawn: NlriEntry[];
  withdrawnRaw?: Buffer;
};
/** Any attribute this codec does not interpret, kept with its flags (RFC 4271 5: pass it on). */
export type UnknownAttr = Base & { name: "UNKNOWN"; value: Buffer };

export type PathAttribute =
  | OriginAttr
  | AsPathAttr
  | NextHopAttr
  | NumberAttr
  | AtomicAggregateAttr
  | AggregatorAttr
  | CommunitiesAttr
  | AddressAttr
  | ClusterListAttr
  | ExtCommunitiesAttr
  | LargeCommunitiesAttr
  | MpReachAttr
  | MpUnreachAttr
  | UnknownAttr;

export interface AttributesDecodeResult {
  attributes: PathAttribute[];
  /** Bit `1 << code` set for each attribute type code below 32 present and well formed. */
  present: number;
  /** Problems that did not stop decoding, with the RFC 7606 action each one calls for. */
  errors: BgpError[];
  /** The strongest action among `errors`; undefined when the attributes are well formed. */
  action?: ErrorAction;
}

/** Where decodeAttributes is reading from: a BGP UPDATE, or an MRT TABLE_DUMP(_V2) RIB entry. */
export interface AttributeContext {
  /** RFC 6396 4.3.4: in TABLE_DUMP_V2 RIB entries MP_REACH_NLRI may hold only the next hop. */
  mrtRibFamily?: { afi: number; safi: number };
  /**
   * Do not check the Optional/Transitive flags: table dumps are not UPDATEs, and BIRD 2 writes
   * NEXT_HOP and LOCAL_PREF with flags 0 in them.
   */
  ignoreFlags?: boolean;
}

const NO_CONTEXT: AttributeContext = Object.freeze({});
const WELL_KNOWN = FLAG_TRANSITIVE;
const OPTIONAL_TRANSITIVE = FLAG_OPTIONAL | FLAG_TRANSITIVE;
const OPTIONAL = FLAG_OPTIONAL;

/** The Optional and Transitive bits each known attribute must carry (RFC 7606 3.c). */
const EXPECTED_FLAGS_BY_CODE: Record<number, number> = {
  [ATTR_ORIGIN]: WELL_KNOWN,
  [ATTR_AS_PATH]: WELL_KNOWN,
  [ATTR_NEXT_HOP]: WELL_KNOWN,
  [ATTR_MED]: OPTIONAL,
  [ATTR_LOCAL_PREF]: WELL_KNOWN,
  [ATTR_ATOMIC_AGGREGATE]: WELL_KNOWN,
  [ATTR_AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [ATTR_COMMUNITIES]: OPTIONAL_TRANSITIVE,
  [ATTR_ORIGINATOR_ID]: OPTIONAL,
  [ATTR_CLUSTER_LIST]: OPTIONAL,
  [ATTR_MP_REACH_NLRI]: OPTIONAL,
  [ATTR_MP_UNREACH_NLRI]: OPTIONAL,
  [ATTR_EXTENDED_COMMUNITIES]: OPTIONAL_TRANSITIVE,
  [ATTR_AS4_PATH]: OPTIONAL_TRANSITIVE,
  [ATTR_AS4_AGGREGATOR]: OPTIONAL_TRANSITIVE,
  [ATTR_LARGE_COMMUNITY]: OPTIONAL_TRANSITIVE,
  [ATTR_OTC]: OPTIONAL_TRANSITIVE,
};
const EXPECTED_FLAGS = new Int16Array(256).fill(-1);
for (const [code, flags] of Object.entries(EXPECTED_FLAGS_BY_CODE)) EXPECTED_FLAGS[Number(code)] = flags;

/** A malformed attribute value: the UPDATE Message Error subcode and the RFC 7606 action. */
class AttrProblem {
  constructor(
    readonly subcode: number,
    readonly action: ErrorAction,
    readonly message: string,
  ) {}
}

function lengthProblem(name: string, len: number, expected: string, action: ErrorAction): AttrProblem {
  return new AttrProblem(5, action, `${name} length ${len}, expected ${expected}`);
}

function fixed(name: string, len: number, want: number, action: ErrorAction): AttrProblem | undefined {
  return len === want ? undefined : lengthProblem(name, len, String(want), action);
}

function multiple(name: string, len: number, unit: number, action: ErrorAction): AttrProblem | undefined {
  return len !== 0 && len % unit === 0
    ? undefined
    : lengthProblem(name, len, `a non-zero multiple of ${unit}`, action);
}

/** Checks AS_PATH/AS4_PATH segments of 2- or 4-byte AS numbers. */
function checkSegments(
  buf: Buffer,
  off: number,
  end: number,
  asSize: number,
  name: string,
  action: ErrorAction,
): AttrProblem | undefined {
  while (off < end) {
    if (off + 2 > end) return new AttrProblem(11, action, `${name} segment header truncated`);
    const type = buf[off]!;
    const count = buf[off + 1]!;
    if (type < AS_SET || type > AS_CONFED_SET)
      return new AttrProblem(11, action, `${name} segment type ${type} unknown`);
    if (count === 0) return new AttrProblem(11, action, `${name} segment of zero length`);
    off += 2 + count * asSize;
    if (off > end)
      return new AttrProblem(11, action, `${name} segment of ${count} ASNs overruns the attribute`);
  }
  return undefined;
}

function decodeSegments(buf: Buffer, off: number, end: number, asSize: number): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  while (off < end) {
    const type = buf[off]!;
    const count = buf[off + 1]!;
    off += 2;
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++, off += asSize) {
      asns[i] = asSize === 4 ? buf.readUInt32BE(off) : buf.readUInt16BE(off);
    }
    segments.push({ type, asns });
  }
  return segments;
}

/**
 * True when an AS_PATH value parses exactly as 4-octet segments: used when a capture starts
 * mid-session and no OPEN says which encoding the session uses.
 */
export function asPathLooksAs4(buf: Buffer, off: number, end: number): boolean {
  let p = off;
  while (p < end) {
    if (p + 2 > end) return false;
    const type = buf[p]!;
    const count = buf[p + 1]!;
    if (type < AS_SET || type > AS_CONFED_SET || count === 0) return false;
    p += 2 + 4 * count;
  }
  return p === end;
}

function isIpFamily(afi: number, safi: number): boolean {
  return (afi === AFI_IPV4 || afi === AFI_IPV6) && (safi === SAFI_UNICAST || safi === SAFI_MULTICAST);
}

function validNextHopLength(len: number): boolean {
  return len === 4 || len === 16 || len === 32;
}

function decodeMpNextHops(buf: Buffer, off: number, len: number): string[] {
  if (len === 4) return [ipv4ToString(buf, off)];
  if (len === 16) return [ipToString(buf, off, 16)];
  return [ipToString(buf, off, 16), ipToString(buf, off + 16, 16)];
}

/** TABLE_DUMP_V2 may abbreviate MP_REACH to "next hop length, next hop" (RFC 6396 4.3.4). */
function isAbbreviatedMpReach(buf: Buffer, off: number, end: number, ctx: AttributeContext): boolean {
  return ctx.mrtRibFamily !== undefined && end - off >= 1 && buf[off] === end - off - 1;
}

/** RFC 7606 7.11 / 5.3: unparseable MP NLRI cannot be withdrawn precisely. */
function checkMpNlri(
  buf: Buffer,
  start: number,
  end: number,
  afi: number,
  addPath: boolean,
): AttrProblem | undefined {
  try {
    walkNlri(buf, start, end, afi, addPath);
    return undefined;
  } catch (e) {
    if (e instanceof BgpError) return new AttrProblem(9, "afi-safi-disable", e.message);
    throw e;
  }
}

function checkMpReach(
  buf: Buffer,
  off: number,
  end: number,
  opts: BgpDecodeOptions,
  ctx: AttributeContext,
): AttrProblem | undefined {
  const len = end - off;
  if (isAbbreviatedMpReach(buf, off, end, ctx)) {
    return validNextHopLength(len - 1)
      ? undefined
      : new AttrProblem(9, "afi-safi-disable", `MP_REACH_NLRI next hop length ${len - 1}`);
  }
  if (len < 5) return new AttrProblem(9, "session-reset", `MP_REACH_NLRI length ${len}, expected at least 5`);
  const afi = buf.readUInt16BE(off);
  const safi = buf[off + 2]!;
  const nhLen = buf[off + 3]!;
  const nlriStart = off + 5 + nhLen; // one reserved byte after the next hop
  if (nlriStart > end) {
    return new AttrProblem(
      9,
      "afi-safi-disable",
      `MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`,
    );
  }
  if (!isIpFamily(afi, safi)) return undefined;
  if (!validNextHopLength(nhLen))
    return new AttrProblem(9, "afi-safi-disable", `MP_REACH_NLRI next hop length ${nhLen}`);
  return checkMpNlri(buf, nlriStart, end, afi, hasAddPath(opts, afi, safi));
}

function checkMpUnreach(
  buf: Buffer,
  off: number,
  end: number,
  opts: BgpDecodeOptions,
): AttrProblem | undefined {
  if (end - off < 3)
    return new AttrProblem(9, "session-reset", `MP_UNREACH_NLRI length ${end - off}, expected at least 3`);
  const afi = buf.readUInt16BE(off);
  const safi = buf[off + 2]!;
  return isIpFamily(afi, safi) ? checkMpNlri(buf, off + 3, end, afi, hasAddPath(opts, afi, safi)) : undefined;
}

/** Checks one attribute value at buf[off, end) against its type's rules, without decoding it. */
function checkValue(
  code: number,
  buf: Buffer,
  off: number,
  end: number,
  opts: BgpDecodeOptions,
  ctx: AttributeContext,
): AttrProblem | undefined {
  const len = end - off;
  switch (code) {
    case ATTR_ORIGIN:
      return (
        fixed("ORIGIN", len, 1, "treat-as-withdraw") ??
        (buf[off]! > 2
          ? new AttrProblem(6, "treat-as-withdraw", `ORIGIN value ${buf[off]} undefined`)
          : undefined)
      );
    case ATTR_AS_PATH:
      return checkSegments(buf, off, end, opts.as4 ? 4 : 2, "AS_PATH", "treat-as-withdraw");
    case ATTR_NEXT_HOP:
      return fixed("NEXT_HOP", len, 4, "treat-as-withdraw");
    case ATTR_MED:
      return fixed("MULTI_EXIT_DISC", len, 4, "treat-as-withdraw");
    case ATTR_LOCAL_PREF:
      return fixed("LOCAL_PREF", len, 4, "treat-as-withdraw");
    case ATTR_ATOMIC_AGGREGATE:
      return fixed("ATOMIC_AGGREGATE", len, 0, "attribute-discard");
    case ATTR_AGGREGATOR:
      return fixed("AGGREGATOR", len, opts.as4 ? 8 : 6, "attribute-discard");
    case ATTR_AS4_AGGREGATOR:
      // RFC 6793 6: malformed AS4_* attributes are discarded, the route kept.
      return fixed("AS4_AGGREGATOR", len, 8, "attribute-discard");
    case ATTR_COMMUNITIES:
      return multiple("COMMUNITIES", len, 4, "treat-as-withdraw");
    case ATTR_ORIGINATOR_ID:
      return fixed("ORIGINATOR_ID", len, 4, "treat-as-withdraw");
    case ATTR_CLUSTER_LIST:
      return multiple("CLUSTER_LIST", len, 4, "treat-as-withdraw");
    case ATTR_MP_REACH_NLRI:
      return checkMpReach(buf, off, end, opts, ctx);
    case ATTR_MP_UNREACH_NLRI:
      return checkMpUnreach(buf, off, end, opts);
    case ATTR_EXTENDED_COMMUNITIES:
      return multiple("EXTENDED_COMMUNITIES", len, 8, "treat-as-withdraw");
    case ATTR_AS4_PATH:
      return checkSegments(buf, off, end, 4, "AS4_PATH", "attribute-discard");
    case ATTR_LARGE_COMMUNITY:
      return multiple("LARGE_COMMUNITY", len, 12, "treat-as-withdraw");
    case ATTR_OTC:
      return fixed("OTC", len, 4, "treat-as-withdraw");
    default:
      return undefined;
  }
}

function decodeMpReach(
  buf: Buffer,
  off: number,
  end: number,
  flags: number,
  opts: BgpDecodeOptions,
  ctx: AttributeContext,
): MpReachAttr {
  if (isAbbreviatedMpReach(buf, off, end, ctx)) {
    const { afi, safi } = ctx.mrtRibFamily!;
    const nextHops = decodeMpNextHops(buf, off + 1, end - off - 1);
    return { name: "MP_REACH_NLRI", code: ATTR_MP_REACH_NLRI, flags, afi, safi, nextHops, nlri: [] };
  }
  const afi = buf.readUInt16BE(off);
  const safi = buf[off + 2]!;
  const nhLen = buf[off + 3]!;
  const nhStart = off + 4;
  const nlriStart = nhStart + nhLen + 1;
  if (!isIpFamily(afi, safi)) {
    return {
      name: "MP_REACH_NLRI",
      code: ATTR_MP_REACH_NLRI,
      flags,
      afi,
      safi,
      nextHops: [],
      nlri: [],
      nextHopRaw: Buffer.from(buf.subarray(nhStart, nhStart + nhLen)),
      nlriRaw: Buffer.from(buf.subarray(nlriStart, end)),
    };
  }
  const nextHops = decodeMpNextHops(buf, nhStart, nhLen);
  const nlri = readNlri(buf, nlriStart, end, afi, hasAddPath(opts, afi, safi));
  return { name: "MP_REACH_NLRI", code: ATTR_MP_REACH_NLRI, flags, afi, safi, nextHops, nlri };
}

function decodeMpUnreach(
  buf: Buffer,
  off: number,
  end: number,
  flags: number,
  opts: BgpDecodeOptions,
): MpUnreachAttr {
  const afi = buf.readUInt16BE(off);
  const safi = buf[off + 2]!;
  if (!isIpFamily(afi, safi)) {
    return {
      name: "MP_UNREACH_NLRI",
      code: ATTR_MP_UNREACH_NLRI,
      flags,
      afi,
      safi,
      withdrawn: [],
      withdrawnRaw: Buffer.from(buf.subarray(off + 3, end)),
    };
  }
  const withdrawn = readNlri(buf, off + 3, end, afi, hasAddPath(opts, afi, safi));
  return { name: "MP_UNREACH_NLRI", code: ATTR_MP_UNREACH_NLRI, flags, afi, safi, withdrawn };
}

/** Decodes one attribute value that checkValue accepted. */
function decodeValue(
  code: number,
  flags: number,
  buf: Buffer,
  off: number,
  end: number,
  opts: BgpDecodeOptions,
  ctx: AttributeContext,
): PathAttribute {
  switch (code) {
    case ATTR_ORIGIN:
      return { name: "ORIGIN", code, flags, origin: buf[off]! };
    case ATTR_AS_PATH:
      return { name: "AS_PATH", code, flags, segments: decodeSegments(buf, off, end, opts.as4 ? 4 : 2) };
    case ATTR_NEXT_HOP:
      return { name: "NEXT_HOP", code, flags, nextHop: ipv4ToString(buf, off) };
    case ATTR_MED:
      return { name: "MULTI_EXIT_DISC", code, flags, value: buf.readUInt32BE(off) };
    case ATTR_LOCAL_PREF:
      return { name: "LOCAL_PREF", code, flags, value: buf.readUInt32BE(off) };
    case ATTR_ATOMIC_AGGREGATE:
      return { name: "ATOMIC_AGGREGATE", code, flags };
    case ATTR_AGGREGATOR: {
      const asSize = opts.as4 ? 4 : 2;
      const asn = asSize === 4 ? buf.readUInt32BE(off) : buf.readUInt16BE(off);
      return { name: "AGGREGATOR", code, flags, asn, address: ipv4ToString(buf, off + asSize) };
    }
    case ATTR_AS4_AGGREGATOR:
      return {
        name: "AS4_AGGREGATOR",
        code,
        flags,
        asn: buf.readUInt32BE(off),
        address: ipv4ToString(buf, off + 4),
      };
    case ATTR_COMMUNITIES: {
      const values = new Array<number>((end - off) / 4);
      for (let i = 0; i < values.length; i++) values[i] = buf.readUInt32BE(off + 4 * i);
      return { name: "COMMUNITIES", code, flags, values };
    }
    case ATTR_ORIGINATOR_ID:
      return { name: "ORIGINATOR_ID", code, flags, address: ipv4ToString(buf, off) };
    case ATTR_CLUSTER_LIST: {
      const values: string[] = [];
      for (let p = off; p < end; p += 4) values.push(ipv4ToString(buf, p));
      return { name: "CLUSTER_LIST", code, flags, values };
    }
    case ATTR_MP_REACH_NLRI:
      return decodeMpReach(buf, off, end, flags, opts, ctx);
    case ATTR_MP_UNREACH_NLRI:
      return decodeMpUnreach(buf, off, end, flags, opts);
    case ATTR_EXTENDED_COMMUNITIES: {
      const values: string[] = [];
      for (let p = off; p < end; p += 8) values.push(buf.toString("hex", p, p + 8));
      return { name: "EXTENDED_COMMUNITIES", code, flags, values };
    }
    case ATTR_AS4_PATH:
      return { name: "AS4_PATH", code, flags, segments: decodeSegments(buf, off, end, 4) };
    case ATTR_LARGE_COMMUNITY: {
      const values: [number, number, number][] = [];
      for (let p = off; p < end; p += 12) {
        values.push([buf.readUInt32BE(p), buf.readUInt32BE(p + 4), buf.readUInt32BE(p + 8)]);
      }
      return { name: "LARGE_COMMUNITY", code, flags, values };
    }
    case ATTR_OTC:
      return { name: "OTC", code, flags, value: buf.readUInt32BE(off) };
    default:
      return { name: "UNKNOWN", code, flags, value: Buffer.from(buf.subarray(off, end)) };
  }
}

function attrError(
  subcode: number,
  action: ErrorAction,
  message: string,
  off: number,
  data: Buffer,
): BgpError {
  return new BgpError(
    `bgp.attr.${SUBCODE_KINDS[subcode] ?? `subcode-${subcode}`}`,
    message,
    off,
    ERR_UPDATE,
    subcode,
    action,
    data,
  );
}

const SUBCODE_KINDS: Record<number, string> = {
  1: "malformed-list",
  2: "unrecognized-well-known",
  3: "missing-well-known",
  4: "flags",
  5: "length",
  6: "origin",
  9: "optional",
  11: "as-path",
};

/** What scanAttributes found wrong, with the strongest action. */
export interface AttributesCheck {
  errors: BgpError[];
  action?: ErrorAction;
  /** Bit `1 << code` set for each attribute type code below 32 present and well formed. */
  present: number;
}

/**
 * Called for each attribute kept after the checks. `malformed` is set when the value broke its
 * type's rules with treat-as-withdraw (the attribute is then shown as bytes, not decoded).
 */
type AttributeVisitor = (
  code: number,
  flags: number,
  valueStart: number,
  valueEnd: number,
  malformed: boolean,
) => void;

const NO_ERRORS: BgpError[] = Object.freeze([]) as unknown as BgpError[];

/**
 * Walks the path attributes in buf[start, end) and applies RFC 7606 without decoding values (no
 * allocation unless something is wrong). Malformations a speaker survives are returned; those that
 * need a session reset (or AFI/SAFI disable) are thrown as BgpError.
 */
export function scanAttributes(
  buf: Buffer,
  start: number,
  end: number,
  opts: BgpDecodeOptions,
  ctx: AttributeContext = NO_CONTEXT,
  visit?: AttributeVisitor,
): AttributesCheck {
  const state = SCAN;
  state.errors = NO_ERRORS;
  state.action = undefined;
  let present = 0;
  // Attribute codes seen: a bit set for codes below 64 in two words; codes above (rare) in SEEN_HIGH.
  let seenLow = 0;
  let seenMid = 0;
  let highUsed = false;
  let off = start;
  while (off < end) {
    const flags = buf[off]!;
    const headerLen = flags & FLAG_EXTENDED_LENGTH ? 4 : 3;
    if (off + headerLen > end) {
      // RFC 7606 4: too few bytes left for an attribute header; the NLRI is still locatable.
      problem(
        state,
        attrError(
          1,
          "treat-as-withdraw",
          `attribute header truncated at offset ${off}`,
          off,
          Buffer.alloc(0),
        ),
      );
      break;
    }
    const code = buf[off + 1]!;
    const len = headerLen === 4 ? (buf[off + 2]! << 8) | buf[off + 3]! : buf[off + 2]!;
    const headerStart = off;
    const valueStart = off + headerLen;
    const valueEnd = valueStart + len;
    if (valueEnd > end) {
      const message = `${attrName(code)} length ${len} overruns the attributes at offset ${off}`;
      problem(state, attrError(5, "treat-as-withdraw", message, off, copy(buf, off, end)));
      break;
    }
    off = valueEnd;
    const bit = 1 << (code & 31);
    let repeated: boolean;
    if (code < 32) {
      repeated = (seenLow & bit) !== 0;
      seenLow |= bit;
    } else if (code < 64) {
      repeated = (seenMid & bit) !== 0;
      seenMid |= bit;
    } else {
      if (!highUsed) SEEN_HIGH.fill(0);
      highUsed = true;
      repeated = (SEEN_HIGH[code >> 5]! & bit) !== 0;
      SEEN_HIGH[code >> 5]! |= bit;
    }
    if (repeated) {
      // RFC 7606 3.g: keep the first of a repeated attribute, except MP_(UN)REACH which is fatal.
      const fatal = code === ATTR_MP_REACH_NLRI || code === ATTR_MP_UNREACH_NLRI;
      const action = fatal ? "session-reset" : "attribute-discard";
      problem(
        state,
        attrError(1, action, `${attrName(code)} repeated`, headerStart, copy(buf, headerStart, valueEnd)),
      );
      continue;
    }
    const expected = EXPECTED_FLAGS[code]!;
    if (expected < 0 && (flags & FLAG_OPTIONAL) === 0) {
      const message = `unrecognized well-known attribute ${code}`;
      problem(state, attrError(2, "session-reset", message, headerStart, copy(buf, headerStart, valueEnd)));
    }
    let flagsBad = false;
    if (expected >= 0 && (flags & OPTIONAL_TRANSITIVE) !== expected && !ctx.ignoreFlags) {
      flagsBad = true;
      const message = `${attrName(code)} flags 0x${flags.toString(16)} conflict with its type`;
      problem(
        state,
        attrError(4, "treat-as-withdraw", message, headerStart, copy(buf, headerStart, valueEnd)),
      );
    }
    const p = checkValue(code, buf, valueStart, valueEnd, opts, ctx);
    if (p) {
      problem(
        state,
        attrError(p.subcode, p.action, p.message, headerStart, copy(buf, headerStart, valueEnd)),
      );
      if (p.action === "attribute-discard") continue;
    }
    if (!p && !flagsBad && code < 32) present |= 1 << code;
    visit?.(code, flags, valueStart, valueEnd, p !== undefined);
  }
  if (state.errors === NO_ERRORS) return cleanCheck(present);
  return state.action === undefined
    ? { errors: state.errors, present }
    : { errors: state.errors, action: state.action, present };
}

const SEEN_HIGH = new Int32Array(8);
/** Reused by every scan (scans do not nest). */
const SCAN: ScanState = { errors: NO_ERRORS, action: undefined };
/** Error-free results are few (one per set of attribute types) and never changed: share them. */
const CLEAN = new Map<number, AttributesCheck>();

function cleanCheck(present: number): AttributesCheck {
  let r = CLEAN.get(present);
  if (!r) CLEAN.set(present, (r = Object.freeze({ errors: NO_ERRORS, present }) as AttributesCheck));
  return r;
}

interface ScanState {
  errors: BgpError[];
  action: ErrorAction | undefined;
}

function problem(state: ScanState, e: BgpError): void {
  if (e.action === "session-reset" || e.action === "afi-safi-disable") throw e;
  if (state.errors === NO_ERRORS) state.errors = [];
  state.errors.push(e);
  state.action = strongerAction(state.action, e.action);
}

function copy(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.from(buf.subarray(start, end));
}

function attrName(code: number): string {
  return ATTR_NAMES[code] ?? `type ${code}`;
}

/**
 * Decodes the path attributes in buf[start, end), with the checks of scanAttributes. An attribute
 * whose value is malformed (treat-as-withdraw) is kept as UNKNOWN bytes so the message still shows
 * what was sent; an attribute-discard one is dropped.
 */
export function decodeAttributes(
  buf: Buffer,
  start: number,
  end: number,
  opts: BgpDecodeOptions,
  ctx: AttributeContext = NO_CONTEXT,
): AttributesDecodeResult {
  const attributes: PathAttribute[] = [];
  const check = scanAttributes(buf, start, end, opts, ctx, (code, flags, vs, ve, malformed) => {
    attributes.push(
      malformed
        ? { name: "UNKNOWN", code, flags, value: Buffer.from(buf.subarray(vs, ve)) }
        : decodeValue(code, flags, buf, vs, ve, opts, ctx),
    );
  });
  return { attributes, ...check };
}

/** Quick scan: where one attribute is (header and value), without decoding the others. */
export function findAttribute(
  buf: Buffer,
  start: number,
  end: number,
  code: number,
): { headerStart: number; start: number; end: number } | undefined {
  let off = start;
  while (off + 3 <= end) {
    const flags = buf[off]!;
    const headerLen = flags & FLAG_EXTENDED_LENGTH ? 4 : 3;
    if (off + headerLen > end) return undefined;
    const len = headerLen === 4 ? buf.readUInt16BE(off + 2) : buf[off + 2]!;
    const valueStart = off + headerLen;
    if (valueStart + len > end) return undefined;
    if (buf[off + 1] === code) return { headerStart: off, start: valueStart, end: valueStart + len };
    off = valueStart + len;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Encoding

function writeSegments(segments: readonly AsPathSegment[], asSize: number): Buffer {
  let size = 0;
  for (const s of segments) size += 2 + s.asns.length * asSize;
  const out = Buffer.alloc(size);
  let off = 0;
  for (const s of segments) {
    if (s.asns.length > 255) throw new Error("AS_PATH segment longer than 255 ASNs");
    out[off++] = s.type;
    out[off++] = s.asns.length;
    for (const asn of s.asns) {
      off =
        asSize === 4 ? out.writeUInt32BE(asn, off) : out.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, off);
    }
  }
  return out;
}

function addressBytes(text: string, what: string): Buffer {
  const b = parseIp(text);
  if (!b) throw new Error(`${what}: not an IP address: "${text}"`);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/** The value bytes of one attribute. */
function encodeValue(a: PathAttribute, opts: BgpDecodeOptions): Buffer {
  switch (a.name) {
    case "ORIGIN":
      return Buffer.from([a.origin]);
    case "AS_PATH":
      return writeSegments(a.segments, opts.as4 ? 4 : 2);
    case "AS4_PATH":
      return writeSegments(a.segments, 4);
    case "NEXT_HOP":
      return addressBytes(a.nextHop, "NEXT_HOP");
    case "MULTI_EXIT_DISC":
    case "LOCAL_PREF":
    case "OTC":
      return u32(a.value);
    case "ATOMIC_AGGREGATE":
      return Buffer.alloc(0);
    case "AGGREGATOR":
    case "AS4_AGGREGATOR": {
      const four = a.name === "AS4_AGGREGATOR" || opts.as4;
      const asn = Buffer.alloc(four ? 4 : 2);
      if (four) asn.writeUInt32BE(a.asn);
      else asn.writeUInt16BE(a.asn > 0xffff ? AS_TRANS : a.asn);
      return Buffer.concat([asn, addressBytes(a.address, a.name)]);
    }
    case "COMMUNITIES":
      return Buffer.concat(a.values.map(u32));
    case "ORIGINATOR_ID":
      return addressBytes(a.address, "ORIGINATOR_ID");
    case "CLUSTER_LIST":
      return Buffer.concat(a.values.map((v) => addressBytes(v, "CLUSTER_LIST")));
    case "EXTENDED_COMMUNITIES":
      return Buffer.concat(a.values.map((v) => Buffer.from(v, "hex")));
    case "LARGE_COMMUNITY":
      return Buffer.concat(a.values.flatMap((v) => v.map(u32)));
    case "MP_REACH_NLRI": {
      const nh =
        a.nextHopRaw ?? Buffer.concat(a.nextHops.map((n) => addressBytes(n, "MP_REACH_NLRI next hop")));
      const addPath = hasAddPath(opts, a.afi, a.safi);
      const nlri = a.nlriRaw ?? Buffer.alloc(nlriSize(a.nlri, addPath));
      if (!a.nlriRaw) writeNlri(nlri, 0, a.nlri, a.afi, addPath);
      const head = Buffer.alloc(4);
      head.writeUInt16BE(a.afi, 0);
      head[2] = a.safi;
      head[3] = nh.length;
      return Buffer.concat([head, nh, Buffer.from([0]), nlri]);
    }
    case "MP_UNREACH_NLRI": {
      const addPath = hasAddPath(opts, a.afi, a.safi);
      const nlri = a.withdrawnRaw ?? Buffer.alloc(nlriSize(a.withdrawn, addPath));
      if (!a.withdrawnRaw) writeNlri(nlri, 0, a.withdrawn, a.afi, addPath);
      const head = Buffer.alloc(3);
      head.writeUInt16BE(a.afi, 0);
      head[2] = a.safi;
      return Buffer.concat([head, nlri]);
    }
    case "UNKNOWN":
      return a.value;
  }
}

/** One attribute with its header; the Extended Length flag is set when the value needs it. */
export function encodeAttribute(a: PathAttribute, opts: BgpDecodeOptions): Buffer {
  const value = encodeValue(a, opts);
  if (value.length > 0xffff) throw new Error(`${a.name} value of ${value.length} bytes is too long`);
  const extended = value.length > 255 || (a.flags & FLAG_EXTENDED_LENGTH) !== 0;
  const flags = extended ? a.flags | FLAG_EXTENDED_LENGTH : a.flags;
  const head = Buffer.alloc(extended ? 4 : 3);
  head[0] = flags;
  head[1] = a.code;
  if (extended) head.writeUInt16BE(value.length, 2);
  else head[2] = value.length;
  return Buffer.concat([head, value]);
}

export function encodeAttributes(list: readonly PathAttribute[], opts: BgpDecodeOptions): Buffer {
  return Buffer.concat(list.map((a) => encodeAttribute(a, opts)));
}

// ---------------------------------------------------------------------------------------------
// Builders with the right code and flags, for encoders and tests.

export const attr = {
  origin: (origin: number | OriginName): OriginAttr => ({
    name: "ORIGIN",
    code: ATTR_ORIGIN,
    flags: WELL_KNOWN,
    origin: typeof origin === "number" ? origin : ORIGIN_NAMES.indexOf(origin),
  }),
  asPath: (segments: AsPathSegment[] | number[]): AsPathAttr => ({
    name: "AS_PATH",
    code: ATTR_AS_PATH,
    flags: WELL_KNOWN,
    segments: isAsnList(segments)
      ? segments.length
        ? [{ type: AS_SEQUENCE, asns: segments }]
        : []
      : segments,
  }),
  nextHop: (nextHop: string): NextHopAttr => ({
    name: "NEXT_HOP",
    code: ATTR_NEXT_HOP,
    flags: WELL_KNOWN,
    nextHop,
  }),
  med: (value: number): NumberAttr => ({ name: "MULTI_EXIT_DISC", code: ATTR_MED, flags: OPTIONAL, value }),
  localPref: (value: number): NumberAttr => ({
    name: "LOCAL_PREF",
    code: ATTR_LOCAL_PREF,
    flags: WELL_KNOWN,
    value,
  }),
  communities: (values: number[]): CommunitiesAttr => ({
    name: "COMMUNITIES",
    code: ATTR_COMMUNITIES,
    flags: OPTIONAL_TRANSITIVE,
    values,
  }),
  largeCommunities: (values: [number, number, number][]): LargeCommunitiesAttr => ({
    name: "LARGE_COMMUNITY",
    code: ATTR_LARGE_COMMUNITY,
    flags: OPTIONAL_TRANSITIVE,
    values,
  }),
  mpReach: (afi: number, safi: number, nextHops: string[], nlri: NlriEntry[]): MpReachAttr => ({
    name: "MP_REACH_NLRI",
    code: ATTR_MP_REACH_NLRI,
    flags: OPTIONAL,
    afi,
    safi,
    nextHops,
    nlri,
  }),
  mpUnreach: (afi: number, safi: number, withdrawn: NlriEntry[]): MpUnreachAttr => ({
    name: "MP_UNREACH_NLRI",
    code: ATTR_MP_UNREACH_NLRI,
    flags: OPTIONAL,
    afi,
    safi,
    withdrawn,
  }),
};

function isAsnList(x: AsPathSegment[] | number[]): x is number[] {
  return x.length === 0 || typeof x[0] === "number";
}

// ---------------------------------------------------------------------------------------------
// The route's view: one flat object, with AS4_PATH and AS4_AGGREGATOR merged (RFC 6793 4.2.3).

export interface RouteAttributes {
  origin?: OriginName;
  asPath?: AsPathSegment[];
  /** NEXT_HOP: the next hop of IPv4 NLRI in the UPDATE body. */
  nextHop?: string;
  /** MP_REACH_NLRI next hops (global, then link-local): the next hop of the MP NLRI. */
  mpNextHops?: string[];
  med?: number;
  localPref?: number;
  atomicAggregate?: true;
  aggregator?: { asn: number; address: string };
  communities?: number[];
  extCommunities?: string[];
  largeCommunities?: [number, number, number][];
  originatorId?: string;
  clusterList?: string[];
  otc?: number;
  unknown?: UnknownAttr[];
}

/** Number of ASes a path counts for in RFC 6793's merge: a set counts one, confederation none. */
function pathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AS_SET) n += 1;
  }
  return n;
}

/** RFC 6793 4.2.3: the leading part of AS_PATH the AS4_PATH does not cover, then AS4_PATH. */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[],
): AsPathSegment[] {
  let keep = pathLength(asPath) - pathLength(as4Path);
  if (keep < 0) return [...asPath];
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === AS_CONFED_SEQUENCE || s.type === AS_CONFED_SET) {
      out.push(s);
      continue;
    }
    if (keep === 0) break;
    if (s.type === AS_SET) {
      out.push(s);
      keep -= 1;
    } else {
      const take = Math.min(keep, s.asns.length);
      out.push({ type: s.type, asns: s.asns.slice(0, take) });
      keep -= take;
    }
  }
  // Leading segments of the same type join up with AS4_PATH's first one.
  const merged = [...out, ...as4Path.map((s) => ({ type: s.type, asns: [...s.asns] }))];
  const joined: AsPathSegment[] = [];
  for (const s of merged) {
    const last = joined[joined.length - 1];
    if (
      last &&
      last.type === AS_SEQUENCE &&
      s.type === AS_SEQUENCE &&
      last.asns.length + s.asns.length <= 255
    ) {
      last.asns.push(...s.asns);
    } else joined.push({ type: s.type, asns: [...s.asns] });
  }
  return joined;
}

/**
 * Flattens an attribute list into the route's attributes. With 2-octet sessions (`as4` false),
 * AS4_PATH and AS4_AGGREGATOR are merged in as RFC 6793 says; on 4-octet sessions they are ignored.
 */
export function routeAttributes(list: readonly PathAttribute[], opts: BgpDecodeOptions): RouteAttributes {
  const r: RouteAttributes = {};
  let as4Path: AsPathSegment[] | undefined;
  let as4Aggregator: { asn: number; address: string } | undefined;
  for (const a of list) {
    switch (a.name) {
      case "ORIGIN":
        r.origin = ORIGIN_NAMES[a.origin];
        break;
      case "AS_PATH":
        r.asPath = a.segments;
        break;
      case "AS4_PATH":
        as4Path = a.segments;
        break;
      case "NEXT_HOP":
        r.nextHop = a.nextHop;
        break;
      case "MULTI_EXIT_DISC":
        r.med = a.value;
        break;
      case "LOCAL_PREF":
        r.localPref = a.value;
        break;
      case "OTC":
        r.otc = a.value;
        break;
      case "ATOMIC_AGGREGATE":
        r.atomicAggregate = true;
        break;
      case "AGGREGATOR":
        r.aggregator = { asn: a.asn, address: a.address };
        break;
      case "AS4_AGGREGATOR":
        as4Aggregator = { asn: a.asn, address: a.address };
        break;
      case "COMMUNITIES":
        r.communities = a.values;
        break;
      case "ORIGINATOR_ID":
        r.originatorId = a.address;
        break;
      case "CLUSTER_LIST":
        r.clusterList = a.values;
        break;
      case "EXTENDED_COMMUNITIES":
        r.extCommunities = a.values;
        break;
      case "LARGE_COMMUNITY":
        r.largeCommunities = a.values;
        break;
      case "MP_REACH_NLRI":
        if (a.nextHops.length > 0) r.mpNextHops = a.nextHops;
        break;
      case "MP_UNREACH_NLRI":
        break;
      case "UNKNOWN":
        (r.unknown ??= []).push(a);
        break;
    }
  }
  if (!opts.as4) {
    // RFC 6793 4.2.3: an AGGREGATOR with a real 2-octet AS means AS4_* came from an old speaker.
    const aggregatorIsTrans = r.aggregator === undefined || r.aggregator.asn === AS_TRANS;
    if (as4Aggregator && r.aggregator && aggregatorIsTrans) r.aggregator = as4Aggregator;
    if (as4Path && r.asPath && (aggregatorIsTrans || !as4Aggregator))
      r.asPath = mergeAs4Path(r.asPath, as4Path);
  }
  return r;
}
