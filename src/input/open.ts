/** Opens a capture or dump file: detects gzip/bzip2 and the format inside from the first bytes. */
import { createReadStream, openSync, readSync, closeSync, readFileSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { createRequire } from "node:module";
import { OperatorError } from "../core/errors.js";
import { BMP_CONTAINER_MAGIC } from "../record/bmp-container.js";
import { ByteReader, bufferReadFn, fileReadFn, streamReadFn } from "./byte-reader.js";

export type FileFormat = "pcap" | "pcapng" | "mrt" | "bmp-stream" | "bgp-stream" | "bmp-recording";
export type Compression = "none" | "gzip" | "bzip2";

export interface OpenedInput {
  path: string;
  format: FileFormat;
  compression: Compression;
  reader: ByteReader;
  close(): void;
}

/** A file routewatch cannot read, with what was expected. */
export class InputError extends OperatorError {
  override name = "InputError";
}

const require = createRequire(import.meta.url);

/** MRT types RFC 6396 defines (and the deprecated ones bgpdump still reads). */
const MRT_TYPES = new Set([11, 12, 13, 16, 17, 32, 33, 48, 49]);

/** Recognises a format from the first bytes of the (decompressed) content. */
export function detectFormat(head: Buffer): FileFormat | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(BMP_CONTAINER_MAGIC)) return "bmp-recording";
  if (head.length >= 4) {
    const m = head.readUInt32BE(0);
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) return "pcap";
    if (m === 0x0a0d0d0a) return "pcapng";
  }
  if (head.length >= 19 && head.subarray(0, 16).every((b) => b === 0xff)) return "bgp-stream";
  if (head.length >= 6 && head[0] === 3) {
    const len = head.readUInt32BE(1);
    if (len >= 6 && len < 1 << 20 && head[5]! <= 6) return "bmp-stream";
  }
  if (head.length >= 12) {
    const type = head.readUInt16BE(4);
    const len = head.readUInt32BE(8);
    if (MRT_TYPES.has(type) && len < 1 << 24) return "mrt";
  }
  return undefined;
}

function sniff(path: string, n: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

function bunzip(path: string): Buffer {
  const Bunzip = require("seek-bzip") as {
    decode(input: Buffer, output?: Buffer, multistream?: boolean): Buffer;
  };
  try {
    return Bunzip.decode(readFileSync(path), undefined, true);
  } catch (e) {
    throw new InputError(`${path}: bzip2 data is corrupt: ${(e as Error).message}`);
  }
}

export async function openInput(path: string): Promise<OpenedInput> {
  let head: Buffer;
  try {
    head = sniff(path, 64);
  } catch (e) {
    throw new InputError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).message}`);
  }
  let compression: Compression = "none";
  let reader: ByteReader;
  let close = (): void => {};
  if (head[0] === 0x1f && head[1] === 0x8b) {
    compression = "gzip";
    const stream = createReadStream(path).pipe(createGunzip());
    stream.on("error", () => {}); // surfaced by the iterator below
    reader = new ByteReader(streamReadFn(stream));
    close = () => stream.destroy();
  } else if (head.subarray(0, 3).toString("latin1") === "BZh") {
    compression = "bzip2";
    reader = new ByteReader(bufferReadFn(bunzip(path)));
  } else {
    const f = fileReadFn(path);
    reader = new ByteReader(f.read);
    close = f.close;
  }
  try {
    await reader.ensure(64);
  } catch (e) {
    close();
    throw new InputError(`${path}: ${compression} data is corrupt: ${(e as Error).message}`);
  }
  const format = detectFormat(reader.buf.subarray(reader.start, reader.end));
  if (!format) {
    close();
    throw new InputError(
      `${path}: unrecognised format at offset 0: expected pcap, pcapng, MRT, a routewatch BMP recording or a raw BGP/BMP stream` +
        (compression === "none" ? " (optionally gzip or bzip2 compressed)" : ` inside ${compression}`),
    );
  }
  return { path, format, compression, reader, close };
}
