/**
 * The type-length-value lists of INITIATION (RFC 7854 4.4), TERMINATION (4.5), ROUTE-MIRRORING (4.7),
 * PEER-UP information (4.10, RFC 9069 5.2) and PEER-DOWN reason 6 (RFC 9069 5.3): a 2-byte type,
 * a 2-byte length, then the value. Text values are UTF-8; types a message does not define stay bytes.
 */
import { CodecError } from "../errors.js";
import {
  INITIATION_TLV_NAMES,
  mirroringInfoName,
  PEER_DOWN_TLV_NAMES,
  PEER_UP_TLV_NAMES,
  terminationReasonName,
  type MirroringInfoName,
  type TerminationReasonName,
} from "./constants.js";

export interface BmpStringTlv<Name extends string> {
  type: number;
  name: Name;
  value: string;
}

/** A TLV type the message does not define: kept as a view of its value. */
export interface BmpUnknownTlv {
  type: number;
  name: "unknown";
  value: Buffer;
}

export type InitiationTlv =
  BmpStringTlv<(typeof INITIATION_TLV_NAMES)[keyof typeof INITIATION_TLV_NAMES]> | BmpUnknownTlv;

export type PeerUpTlv =
  BmpStringTlv<(typeof PEER_UP_TLV_NAMES)[keyof typeof PEER_UP_TLV_NAMES]> | BmpUnknownTlv;

export type PeerDownTlv =
  BmpStringTlv<(typeof PEER_DOWN_TLV_NAMES)[keyof typeof PEER_DOWN_TLV_NAMES]> | BmpUnknownTlv;

export type TerminationTlv =
  | BmpStringTlv<"string">
  | { type: 1; name: "reason"; reason: number; reasonName: TerminationReasonName }
  | BmpUnknownTlv;

export type MirroringTlv =
  | { type: 0; name: "bgpMessage"; bgp: Buffer }
  | { type: 1; name: "information"; code: number; codeName: MirroringInfoName }
  | BmpUnknownTlv;

type TlvDecoder<T> = (buf: Buffer, type: number, start: number, end: number) => T;

/** Decodes every TLV in buf[off, end); a TLV that overruns `end` is a "bmp.tlv" error. */
export function decodeTlvs<T>(
  buf: Buffer,
  off: number,
  end: number,
  what: string,
  decodeOne: TlvDecoder<T>,
): T[] {
  const out: T[] = [];
  while (off < end) {
    if (off + 4 > end) {
      throw new CodecError(
        "bmp.tlv",
        `${what} TLV header truncated: ${end - off} bytes left at offset ${off}`,
        off,
      );
    }
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    if (off + 4 + len > end) {
      throw new CodecError(
        "bmp.tlv",
        `${what} TLV type ${type} of ${len} bytes overruns the message at offset ${off}`,
        off,
      );
    }
    out.push(decodeOne(buf, type, off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

function unknown(buf: Buffer, type: number, start: number, end: number): BmpUnknownTlv {
  return { type, name: "unknown", value: buf.subarray(start, end) };
}

/** A TLV whose value is a string when `names` defines its type. */
function stringTlvDecoder<Name extends string>(
  names: Record<number, Name>,
): TlvDecoder<BmpStringTlv<Name> | BmpUnknownTlv> {
  return (buf, type, start, end) => {
    const name = names[type];
    return name === undefined
      ? unknown(buf, type, start, end)
      : { type, name, value: buf.toString("utf8", start, end) };
  };
}

export const decodeInitiationTlv: TlvDecoder<InitiationTlv> = stringTlvDecoder(INITIATION_TLV_NAMES);
export const decodePeerUpTlv: TlvDecoder<PeerUpTlv> = stringTlvDecoder(PEER_UP_TLV_NAMES);
export const decodePeerDownTlv: TlvDecoder<PeerDownTlv> = stringTlvDecoder(PEER_DOWN_TLV_NAMES);

function twoByteValue(buf: Buffer, type: number, start: number, end: number, what: string): number {
  if (end - start !== 2) {
    throw new CodecError(
      "bmp.tlv",
      `${what} TLV type ${type} has ${end - start} bytes, expected 2`,
      start - 4,
    );
  }
  return buf.readUInt16BE(start);
}

export const decodeTerminationTlv: TlvDecoder<TerminationTlv> = (buf, type, start, end) => {
  if (type === 0) return { type, name: "string", value: buf.toString("utf8", start, end) };
  if (type === 1) {
    const reason = twoByteValue(buf, type, start, end, "TERMINATION");
    return { type, name: "reason", reason, reasonName: terminationReasonName(reason) };
  }
  return unknown(buf, type, start, end);
};

export const decodeMirroringTlv: TlvDecoder<MirroringTlv> = (buf, type, start, end) => {
  if (type === 0) return { type, name: "bgpMessage", bgp: buf.subarray(start, end) };
  if (type === 1) {
    const code = twoByteValue(buf, type, start, end, "ROUTE-MIRRORING");
    return { type, name: "information", code, codeName: mirroringInfoName(code) };
  }
  return unknown(buf, type, start, end);
};

// ---------------------------------------------------------------------------------------------
// Encoders

export function encodeTlv(type: number, value: Buffer): Buffer {
  if (value.length > 0xffff)
    throw new Error(`BMP TLV type ${type} value of ${value.length} bytes is too long`);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value]);
}

function twoBytes(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** INITIATION, PEER-UP and PEER-DOWN TLVs: strings as UTF-8, unknown types as their bytes. */
export function encodeInfoTlv(t: InitiationTlv | PeerUpTlv | PeerDownTlv): Buffer {
  return encodeTlv(t.type, typeof t.value === "string" ? Buffer.from(t.value, "utf8") : t.value);
}

export function encodeTerminationTlv(t: TerminationTlv): Buffer {
  if (t.name === "reason") return encodeTlv(t.type, twoBytes(t.reason));
  return encodeTlv(t.type, typeof t.value === "string" ? Buffer.from(t.value, "utf8") : t.value);
}

export function encodeMirroringTlv(t: MirroringTlv): Buffer {
  if (t.name === "bgpMessage") return encodeTlv(t.type, t.bgp);
  if (t.name === "information") return encodeTlv(t.type, twoBytes(t.code));
  return encodeTlv(t.type, t.value);
}
