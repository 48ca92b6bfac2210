/**
 * pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/): blocks of
 * type + length + body + length. Each Section Header Block sets the byte order and starts a
 * new list of interfaces; packets come from Enhanced (EPB), Simple (SPB) and obsolete Packet
 * Blocks (PB). Every other block is skipped by its length.
 */
import { CodecError } from "../errors.js";
import type { FileRecord } from "./records.js";

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_PB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
/** Systemd Journal Export Block: not a packet, but Wireshark shows it as a frame, so it takes a number. */
const BLOCK_SJE = 0x00000009;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;

interface Interface {
  linkType: number;
  snapLen: number;
  key: number;
  toMicros: (high: number, low: number) => number;
}

export function isPcapng(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32BE(0) === BLOCK_SHB;
}

export function* readPcapng(buf: Buffer): Generator<FileRecord> {
  let littleEndian = true;
  let interfaces: Interface[] = [];
  let interfaceCount = 0;
  let frame = 0;
  let lastTs = 0;
  let off = 0;
  const u16 = (o: number): number => (littleEndian ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (littleEndian ? buf.readUInt32LE(o) : buf.readUInt32BE(o));

  while (off < buf.length) {
    if (buf.length - off < 12) {
      yield truncated(
        off,
        `block header at offset ${off} cut by end of file (${buf.length - off} bytes left)`,
      );
      return;
    }
    const type = u32(off);
    if (type === BLOCK_SHB) {
      // The byte-order magic follows the length, so it must be read before the length (section 4.1).
      const bom = buf.readUInt32LE(off + 8);
      if (bom === BYTE_ORDER_MAGIC) littleEndian = true;
      else if (bom === 0x4d3c2b1a) littleEndian = false;
      else
        throw new CodecError(
          "pcapng.byte-order",
          `bad byte-order magic 0x${bom.toString(16)} at offset ${off + 8}`,
          off + 8,
        );
    } else if (off === 0) {
      throw new CodecError("pcap.magic", "pcapng file does not start with a Section Header Block", 0);
    }
    const len = u32(off + 4);
    if (len < 12 || len % 4 !== 0) {
      throw new CodecError(
        "pcapng.block-length",
        `block length ${len} at offset ${off + 4} (expected a multiple of 4, >= 12)`,
        off + 4,
      );
    }
    if (len > buf.length - off) {
      yield truncated(off, `block at offset ${off} is ${len} bytes, file has ${buf.length - off} left`);
      return;
    }
    const trailer = u32(off + len - 4);
    if (trailer !== len) {
      throw new CodecError(
        "pcapng.block-length",
        `block at offset ${off}: trailing length ${trailer} differs from ${len}`,
        off + len - 4,
      );
    }
    const body = off + 8;
    const end = off + len - 4;
    switch (type) {
      case BLOCK_SHB: {
        need(end, body, 16, "Section Header Block");
        const major = u16(body + 4);
        if (major !== 1)
          throw new CodecError(
            "pcapng.version",
            `pcapng major version ${major} at offset ${body + 4}, expected 1`,
            body + 4,
          );
        interfaces = [];
        break;
      }
      case BLOCK_IDB: {
        need(end, body, 8, "Interface Description Block");
        const tsresol = findOption(body + 8, end, OPT_IF_TSRESOL, u16);
        const resolution = tsresol === undefined ? 6 : buf[tsresol]!;
        interfaces.push({
          linkType: u16(body),
          snapLen: u32(body + 4),
          key: interfaceCount++,
          toMicros: microsConverter(resolution),
        });
        break;
      }
      case BLOCK_EPB:
      case BLOCK_PB: {
        need(end, body, 20, type === BLOCK_EPB ? "Enhanced Packet Block" : "Packet Block");
        const ifIndex = type === BLOCK_EPB ? u32(body) : u16(body);
        const iface = interfaceAt(interfaces, ifIndex, body);
        const capLen = u32(body + 12);
        if (capLen > end - (body + 20)) {
          throw new CodecError(
            "pcapng.packet-length",
            `captured length ${capLen} at offset ${body + 12} exceeds the block`,
            body + 12,
          );
        }
        lastTs = iface.toMicros(u32(body + 4), u32(body + 8));
        frame++;
        yield packet(frame, off, iface, lastTs, buf.subarray(body + 20, body + 20 + capLen), u32(body + 16));
        break;
      }
      case BLOCK_SPB: {
        need(end, body, 4, "Simple Packet Block");
        const iface = interfaceAt(interfaces, 0, body);
        const origLen = u32(body);
        // Section 4.4: captured length is the smaller of the original length and the snap length.
        let capLen = Math.min(origLen, end - (body + 4));
        if (iface.snapLen !== 0) capLen = Math.min(capLen, iface.snapLen);
        frame++;
        // An SPB has no timestamp: it keeps the previous packet's, so time never runs backwards.
        yield packet(frame, off, iface, lastTs, buf.subarray(body + 4, body + 4 + capLen), origLen);
        break;
      }
      case BLOCK_SJE:
        frame++;
        break;
      default:
        break;
    }
    off += len;
  }
}

function packet(
  frame: number,
  offset: number,
  iface: Interface,
  tsMicros: number,
  data: Buffer,
  origLen: number,
): FileRecord {
  return {
    kind: "packet",
    frame,
    offset,
    interfaceKey: iface.key,
    linkType: iface.linkType,
    tsMicros,
    data,
    origLen,
  };
}

function truncated(offset: number, message: string): FileRecord {
  return { kind: "truncated-file", offset, message };
}

function need(end: number, off: number, n: number, what: string): void {
  if (end - off < n)
    throw new CodecError(
      "pcapng.block-length",
      `${what} at offset ${off} too short: ${end - off} of ${n} bytes`,
      off,
    );
}

function interfaceAt(interfaces: Interface[], index: number, off: number): Interface {
  const iface = interfaces[index];
  if (!iface) {
    throw new CodecError(
      "pcapng.interface",
      `packet at offset ${off} names interface ${index}, section has ${interfaces.length}`,
      off,
    );
  }
  return iface;
}

/** Offset of the value of option `code` in the options at [off, end), or undefined (section 3.5). */
function findOption(off: number, end: number, code: number, u16: (o: number) => number): number | undefined {
  while (end - off >= 4) {
    const c = u16(off);
    const len = u16(off + 2);
    if (c === OPT_END) return undefined;
    if (len > end - off - 4)
      throw new CodecError("pcapng.option", `option ${c} at offset ${off} overruns its block`, off);
    if (c === code && len >= 1) return off + 4;
    off += 4 + ((len + 3) & ~3);
  }
  return undefined;
}

/**
 * Timestamp units to microseconds. if_tsresol (section 4.2): high bit clear, units of 10^-n s;
 * set, units of 2^-n s. The 64-bit count is exact as a Number only up to 2^53, so anything
 * but microseconds is divided exactly (long division, or BigInt for the rare exotic cases).
 */
export function microsConverter(tsresol: number): (high: number, low: number) => number {
  const exponent = tsresol & 0x7f;
  if (tsresol & 0x80) {
    return (high, low) =>
      Number(((BigInt(high) * 0x100000000n + BigInt(low)) * 1_000_000n) >> BigInt(exponent));
  }
  if (exponent <= 6) {
    const scale = 10 ** (6 - exponent);
    return (high, low) => (high * 0x100000000 + low) * scale;
  }
  if (exponent <= 12) {
    // divisor <= 10^6 < 2^21, so remainder * 2^32 + low stays below 2^53.
    const divisor = 10 ** (exponent - 6);
    return (high, low) => {
      const q = Math.floor(high / divisor);
      const r = high - q * divisor;
      return q * 0x100000000 + Math.floor((r * 0x100000000 + low) / divisor);
    };
  }
  const divisor = 10n ** BigInt(exponent - 6);
  return (high, low) => Number((BigInt(high) * 0x100000000n + BigInt(low)) / divisor);
}
