/**
 * IPv4 (RFC 791), IPv6 (RFC 8200) and TCP (RFC 9293) headers: from the start of the IP header
 * to the TCP payload. Fragments are recognised and not reassembled.
 */

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const PROTO_TCP = 6;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTIONS = 60;

export interface TcpSegment {
  kind: "tcp";
  /** 4 or 16; the addresses are at srcOff and dstOff in the packet. */
  addrLen: 4 | 16;
  srcOff: number;
  dstOff: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** Captured payload bytes (a view). */
  payload: Buffer;
  /** Payload bytes the snap length cut off the end. */
  missing: number;
}

export type ParsedPacket =
  | TcpSegment
  /** Not TCP: ignored. */
  | { kind: "other" }
  | { kind: "fragment"; message: string }
  /** Headers cut by the snap length. */
  | { kind: "truncated"; message: string }
  | { kind: "bad"; message: string };

const OTHER: ParsedPacket = Object.freeze({ kind: "other" });

/**
 * Parses the IP packet at `off` of a captured packet whose wire length was `origLen`.
 * `ip` is the version the link layer announced ("any": read it from the header).
 */
export function parseTcpPacket(data: Buffer, off: number, ip: 4 | 6 | "any", origLen: number): ParsedPacket {
  const wireLen = Math.max(origLen, data.length);
  const short = (end: number, what: string): ParsedPacket | undefined => {
    if (end <= data.length) return undefined;
    const message = `${what} needs ${end} bytes, packet has ${data.length}`;
    return data.length < wireLen ? { kind: "truncated", message } : { kind: "bad", message };
  };
  const cut = short(off + 1, "IP header");
  if (cut) return cut;
  const version = data[off]! >> 4;
  if (ip !== "any" && version !== ip)
    return { kind: "bad", message: `IP version ${version}, link layer says IPv${ip}` };
  if (version === 4) return parseIpv4(data, off, wireLen, short);
  if (version === 6) return parseIpv6(data, off, wireLen, short);
  return ip === "any" ? OTHER : { kind: "bad", message: `IP version ${version}` };
}

type Short = (end: number, what: string) => ParsedPacket | undefined;

function parseIpv4(data: Buffer, off: number, wireLen: number, short: Short): ParsedPacket {
  const cut = short(off + 20, "IPv4 header");
  if (cut) return cut;
  const headerLen = (data[off]! & 0x0f) * 4;
  if (headerLen < 20) return { kind: "bad", message: `IPv4 header length ${headerLen}` };
  let totalLen = data.readUInt16BE(off + 2);
  // Captured on the sending host with segmentation offload, total length is 0: the packet is what was seen.
  if (totalLen === 0) totalLen = wireLen - off;
  if (totalLen < headerLen)
    return { kind: "bad", message: `IPv4 total length ${totalLen} below header length ${headerLen}` };
  if (off + totalLen > wireLen)
    return { kind: "bad", message: `IPv4 total length ${totalLen} exceeds the packet` };
  const protocol = data[off + 9]!;
  if (protocol !== PROTO_TCP) return OTHER;
  const fragment = data.readUInt16BE(off + 6);
  // RFC 791: More Fragments flag 0x2000, offset in the low 13 bits.
  if ((fragment & 0x3fff) !== 0) {
    return {
      kind: "fragment",
      message: `IPv4 fragment id ${data.readUInt16BE(off + 4)} offset ${(fragment & 0x1fff) * 8}`,
    };
  }
  const cutOptions = short(off + headerLen, "IPv4 options");
  if (cutOptions) return cutOptions;
  return parseTcp(data, off + headerLen, off + totalLen, 4, off + 12, off + 16, short);
}

function parseIpv6(data: Buffer, off: number, wireLen: number, short: Short): ParsedPacket {
  const cut = short(off + 40, "IPv6 header");
  if (cut) return cut;
  const payloadLen = data.readUInt16BE(off + 4);
  // 0 is a jumbogram or a segmentation-offload capture: the packet is what was seen.
  const end = payloadLen === 0 ? wireLen : off + 40 + payloadLen;
  if (end > wireLen) return { kind: "bad", message: `IPv6 payload length ${payloadLen} exceeds the packet` };
  let next = data[off + 6]!;
  let p = off + 40;
  // RFC 8200 4.1: extension headers chain through their first byte.
  while (
    next === IPV6_HOP_BY_HOP ||
    next === IPV6_ROUTING ||
    next === IPV6_DEST_OPTIONS ||
    next === IPV6_AH ||
    next === IPV6_FRAGMENT
  ) {
    const cutExt = short(p + 8, "IPv6 extension header");
    if (cutExt) return cutExt;
    let len: number;
    if (next === IPV6_FRAGMENT) {
      const field = data.readUInt16BE(p + 2);
      // An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet.
      if (field !== 0 && data[p] === PROTO_TCP) {
        return {
          kind: "fragment",
          message: `IPv6 fragment id ${data.readUInt32BE(p + 4)} offset ${field & 0xfff8}`,
        };
      }
      if (field !== 0) return OTHER;
      len = 8;
    } else {
      // AH counts 4-byte units minus 2 (RFC 4302 2.2); the others 8-byte units minus 1.
      len = next === IPV6_AH ? (data[p + 1]! + 2) * 4 : (data[p + 1]! + 1) * 8;
    }
    next = data[p]!;
    p += len;
    if (p > end) return { kind: "bad", message: `IPv6 extension headers overrun the payload` };
  }
  if (next !== PROTO_TCP) return OTHER;
  return parseTcp(data, p, end, 16, off + 8, off + 24, short);
}

function parseTcp(
  data: Buffer,
  off: number,
  end: number,
  addrLen: 4 | 16,
  srcOff: number,
  dstOff: number,
  short: Short,
): ParsedPacket {
  if (end - off < 20) return { kind: "bad", message: `TCP header of ${end - off} bytes` };
  const cut = short(off + 20, "TCP header");
  if (cut) return cut;
  const headerLen = (data[off + 12]! >> 4) * 4;
  if (headerLen < 20 || headerLen > end - off)
    return { kind: "bad", message: `TCP data offset ${headerLen} (segment is ${end - off} bytes)` };
  const cutOptions = short(off + headerLen, "TCP options");
  if (cutOptions) return cutOptions;
  const capturedEnd = Math.min(end, data.length);
  return {
    kind: "tcp",
    addrLen,
    srcOff,
    dstOff,
    srcPort: data.readUInt16BE(off),
    dstPort: data.readUInt16BE(off + 2),
    seq: data.readUInt32BE(off + 4),
    ack: data.readUInt32BE(off + 8),
    flags: data[off + 13]!,
    payload: data.subarray(off + headerLen, capturedEnd),
    missing: end - capturedEnd,
  };
}
