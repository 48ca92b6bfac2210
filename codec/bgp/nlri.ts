/**
 * NLRI: length-prefixed IP prefixes (RFC 4271 4.3, RFC 4760), optionally preceded by a 4-byte path
 * identifier (RFC 7911 ADD-PATH). Walked in place over the message buffer: a consumer that only counts
 * or keys prefixes never allocates per prefix.
 */
import { BgpError } from "../errors.js";
import { AFI_IPV4, parsePrefix, prefixToString } from "../ip.js";
import { ERR_UPDATE } from "./constants.js";

/** A prefix in the form every layer above the codec uses. */
export interface NlriEntry {
  prefix: string;
  pathId?: number;
}

/**
 * Called for each prefix: the significant bytes are buf[off .. off + ceil(bits/8)).
 * `pathId` is undefined without ADD-PATH.
 */
export type PrefixVisitor = (
  afi: number,
  buf: Buffer,
  off: number,
  bits: number,
  pathId: number | undefined,
) => void;

/**
 * Walks the prefixes in buf[start, end), calling `visit` for each, and returns how many there are.
 * Throws a session-reset BgpError (UPDATE 3/10 Invalid Network Field, RFC 7606 5.3) when a prefix
 * is too long or overruns; prefixes before it have been visited.
 */
export function walkNlri(
  buf: Buffer,
  start: number,
  end: number,
  afi: number,
  addPath: boolean,
  visit?: PrefixVisitor,
): number {
  if (!visit) return countNlri(buf, start, end, afi, addPath);
  const maxBits = afi === AFI_IPV4 ? 32 : 128;
  let off = start;
  let count = 0;
  while (off < end) {
    let pathId: number | undefined;
    if (addPath) {
      if (off + 5 > end) throw nlriError("path identifier", off, end);
      pathId = buf[off]! * 0x1000000 + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!);
      off += 4;
    }
    const bits = buf[off]!;
    if (bits > maxBits) throw lengthError(bits, maxBits, off);
    const next = off + 1 + ((bits + 7) >> 3);
    if (next > end) throw nlriError("prefix", off, end);
    visit(afi, buf, off + 1, bits, pathId);
    off = next;
    count++;
  }
  return count;
}

/** How many prefixes buf[start, end) holds, checked as walkNlri checks them; the counting fast path. */
export function countNlri(buf: Buffer, start: number, end: number, afi: number, addPath: boolean): number {
  const maxBits = afi === AFI_IPV4 ? 32 : 128;
  const idLen = addPath ? 4 : 0;
  let off = start;
  let count = 0;
  while (off < end) {
    const p = off + idLen;
    if (p >= end) throw nlriError("path identifier", off, end);
    const bits = buf[p]!;
    if (bits > maxBits) throw lengthError(bits, maxBits, p);
    off = p + 1 + ((bits + 7) >> 3);
    if (off > end) throw nlriError("prefix", p, end);
    count++;
  }
  return count;
}

function lengthError(bits: number, maxBits: number, off: number): BgpError {
  return new BgpError(
    "bgp.nlri.length",
    `prefix length ${bits} exceeds ${maxBits} at offset ${off}`,
    off,
    ERR_UPDATE,
    10,
    "session-reset",
  );
}

function nlriError(what: string, off: number, end: number): BgpError {
  return new BgpError(
    "bgp.nlri.truncated",
    `NLRI ${what} overruns its field at offset ${off} (field ends at ${end})`,
    off,
    ERR_UPDATE,
    10,
    "session-reset",
  );
}

/** Prefixes in buf[start, end) as text entries. */
export function readNlri(
  buf: Buffer,
  start: number,
  end: number,
  afi: number,
  addPath: boolean,
): NlriEntry[] {
  const out: NlriEntry[] = [];
  walkNlri(buf, start, end, afi, addPath, (a, b, off, bits, pathId) => {
    const prefix = prefixToString(a, b, off, bits);
    out.push(pathId === undefined ? { prefix } : { prefix, pathId });
  });
  return out;
}

/** Encoded size of the entries (for buffer allocation). */
export function nlriSize(entries: readonly NlriEntry[], addPath: boolean): number {
  let size = 0;
  for (const e of entries) {
    const { len } = parsePrefix(e.prefix);
    size += (addPath ? 4 : 0) + 1 + ((len + 7) >> 3);
  }
  return size;
}

/**
 * Writes the entries at `off`; returns the new offset. Host bits past the length are not written
 * (a prefix is its first ceil(len/8) bytes), so "10.1.2.3/24" encodes as 10.1.2/24.
 */
export function writeNlri(
  out: Buffer,
  off: number,
  entries: readonly NlriEntry[],
  afi: number,
  addPath: boolean,
): number {
  for (const e of entries) {
    const p = parsePrefix(e.prefix);
    if (p.afi !== afi) throw new Error(`prefix ${e.prefix} is not of address family ${afi}`);
    if (addPath) off = out.writeUInt32BE(e.pathId ?? 0, off);
    out[off++] = p.len;
    const bytes = (p.len + 7) >> 3;
    p.addr.copy(out, off, 0, bytes);
    off += bytes;
  }
  return off;
}

/** The AFI of a prefix or address in text form. */
export function afiOf(prefixOrAddress: string): number {
  return prefixOrAddress.includes(":") ? 2 : 1;
}
