/**
 * Classic pcap (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/): a 24-byte file header
 * then 16-byte record headers, in the writer's byte order, with microsecond (0xa1b2c3d4) or
 * nanosecond (0xa1b23c4d) timestamps.
 */
import { CodecError } from "../errors.js";
import type { FileRecord } from "./records.js";

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

function magicOf(buf: Buffer): { littleEndian: boolean; nanos: boolean } | undefined {
  if (buf.length < 4) return undefined;
  for (const littleEndian of [true, false]) {
    const magic = littleEndian ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
    if (magic === MAGIC_MICROS || magic === MAGIC_NANOS)
      return { littleEndian, nanos: magic === MAGIC_NANOS };
  }
  return undefined;
}

export function isPcap(buf: Buffer): boolean {
  return magicOf(buf) !== undefined;
}

export function* readPcap(buf: Buffer): Generator<FileRecord> {
  const { littleEndian, nanos } = magicOf(buf)!;
  if (buf.length < FILE_HEADER_LEN) {
    throw new CodecError("pcap.truncated", `pcap file header truncated: ${buf.length} of 24 bytes`, 0);
  }
  const u16 = (off: number): number => (littleEndian ? buf.readUInt16LE(off) : buf.readUInt16BE(off));
  const u32 = (off: number): number => (littleEndian ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const major = u16(4);
  if (major !== 2)
    throw new CodecError("pcap.version", `pcap major version ${major} at offset 4, expected 2`, 4);
  // The upper bits of the link type field carry FCS information (draft section 4); the type is the low 16.
  const linkType = u32(20) & 0xffff;
  let off = FILE_HEADER_LEN;
  let frame = 0;
  while (off < buf.length) {
    if (buf.length - off < RECORD_HEADER_LEN) {
      yield truncated(
        off,
        `record header at offset ${off} cut by end of file (${buf.length - off} of 16 bytes)`,
      );
      return;
    }
    const seconds = u32(off);
    const fraction = u32(off + 4);
    const capLen = u32(off + 8);
    const origLen = u32(off + 12);
    const start = off + RECORD_HEADER_LEN;
    if (capLen > buf.length - start) {
      yield truncated(
        off,
        `record at offset ${off} holds ${capLen} bytes, file has ${buf.length - start} left`,
      );
      return;
    }
    frame++;
    yield {
      kind: "packet",
      frame,
      offset: off,
      interfaceKey: 0,
      linkType,
      tsMicros: seconds * 1_000_000 + (nanos ? Math.floor(fraction / 1000) : fraction),
      data: buf.subarray(start, start + capLen),
      origLen,
    };
    off = start + capLen;
  }
}

function truncated(offset: number, message: string): FileRecord {
  return { kind: "truncated-file", offset, message };
}
