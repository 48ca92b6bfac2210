/**
 * IP addresses and prefixes as text, read straight from a Buffer at an offset (no intermediate
 * copies), and parsed back to bytes for the encoders. IPv6 text follows RFC 5952.
 */

export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export type Afi = typeof AFI_IPV4 | typeof AFI_IPV6;

/** Decimal and hex text of every byte value: addresses are formatted without number conversions. */
const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Dotted quad of the 4 bytes at `off`. */
export function ipv4ToString(buf: Uint8Array, off: number): string {
  return DEC[buf[off]!]! + "." + DEC[buf[off + 1]!]! + "." + DEC[buf[off + 2]!]! + "." + DEC[buf[off + 3]!]!;
}

/** One 16-bit group in hex without leading zeros. */
function group(buf: Uint8Array, off: number): string {
  const hi = buf[off]!;
  return hi === 0 ? HEX[buf[off + 1]!]! : HEX[hi]! + HEX2[buf[off + 1]!]!;
}

/** RFC 5952 text of the 16 bytes at `off`: lower case, longest run of >= 2 zero groups as "::". */
export function ipv6ToString(buf: Uint8Array, off: number): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (buf[off + 2 * i] === 0 && buf[off + 2 * i + 1] === 0) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestLen = i - runStart + 1;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestStart < 0) {
    let out = group(buf, off);
    for (let i = 1; i < 8; i++) out += ":" + group(buf, off + 2 * i);
    return out;
  }
  // IPv4-mapped addresses (::ffff:0:0/96) keep the dotted quad (RFC 5952 section 5).
  if (bestStart === 0 && bestLen === 5 && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return "::ffff:" + ipv4ToString(buf, off + 12);
  }
  let out = "";
  for (let i = 0; i < bestStart; i++) out += i === 0 ? group(buf, off) : ":" + group(buf, off + 2 * i);
  out += "::";
  const after = bestStart + bestLen;
  for (let i = after; i < 8; i++)
    out += i === after ? group(buf, off + 2 * i) : ":" + group(buf, off + 2 * i);
  return out;
}

/** Text of a 4- or 16-byte address at `off`. */
export function ipToString(buf: Uint8Array, off: number, len: number): string {
  return len === 4 ? ipv4ToString(buf, off) : ipv6ToString(buf, off);
}

const scratch = new Uint8Array(16);

/**
 * "addr/len" of a prefix whose ceil(bits/8) significant bytes start at `off` (the NLRI encoding).
 * Bits past `bits` in the last byte are kept as sent, like tshark and bgpdump show them.
 */
export function prefixToString(afi: number, buf: Uint8Array, off: number, bits: number): string {
  const bytes = (bits + 7) >> 3;
  if (afi === AFI_IPV4) {
    const a = bytes > 0 ? buf[off]! : 0;
    const b = bytes > 1 ? buf[off + 1]! : 0;
    const c = bytes > 2 ? buf[off + 2]! : 0;
    const d = bytes > 3 ? buf[off + 3]! : 0;
    return DEC[a]! + "." + DEC[b]! + "." + DEC[c]! + "." + DEC[d]! + "/" + DEC[bits]!;
  }
  scratch.fill(0);
  for (let i = 0; i < bytes; i++) scratch[i] = buf[off + i]!;
  return ipv6ToString(scratch, 0) + "/" + DEC[bits]!;
}

/** Parses IPv4 or IPv6 text to 4 or 16 bytes; undefined when it is not an address. */
export function parseIp(text: string): Buffer | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Buffer | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** A prefix as bytes: `addr` is the full 4 or 16 bytes, host bits as given. */
export interface PrefixBytes {
  afi: Afi;
  addr: Buffer;
  len: number;
}

/** Parses "addr/len"; throws a plain Error naming the text when it is not a prefix. */
export function parsePrefix(text: string): PrefixBytes {
  const slash = text.indexOf("/");
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) throw new Error(`not an IP prefix: "${text}"`);
  const max = addr.length * 8;
  const lenText = slash < 0 ? String(max) : text.slice(slash + 1);
  const len = Number(lenText);
  if (!/^\d{1,3}$/.test(lenText) || len > max) throw new Error(`bad prefix length in "${text}"`);
  return { afi: addr.length === 4 ? AFI_IPV4 : AFI_IPV6, addr, len };
}

/** True when `inner` lies inside `outer` (same family, longer or equal length, same leading bits). */
export function prefixCovers(outer: PrefixBytes, inner: PrefixBytes): boolean {
  if (outer.afi !== inner.afi || inner.len < outer.len) return false;
  const full = outer.len >> 3;
  for (let i = 0; i < full; i++) if (outer.addr[i] !== inner.addr[i]) return false;
  const rest = outer.len & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (outer.addr[full]! & mask) === (inner.addr[full]! & mask);
}

/**
 * The text the RIB keys prefixes by (as prefixToString writes it): host bits cleared, IPv6 per
 * RFC 5952; an address without a length is its host prefix. Throws like parsePrefix.
 */
export function canonicalPrefix(text: string): string {
  const p = parsePrefix(text);
  const b = Buffer.from(p.addr);
  for (let bit = p.len; bit < b.length * 8; bit++) b[bit >> 3]! &= ~(0x80 >> (bit & 7)) & 0xff;
  return prefixToString(p.afi, b, 0, p.len);
}
