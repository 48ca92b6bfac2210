/**
 * Capture files as a stream of packet records: classic pcap or pcapng, chosen by the magic
 * number at offset 0. Packet bytes are views into the file buffer; nothing is copied.
 */
import { CodecError } from "../errors.js";
import { isPcap, readPcap } from "./pcap-file.js";
import { isPcapng, readPcapng } from "./pcapng-file.js";

export interface PacketRecord {
  kind: "packet";
  /** 1-based packet number in the file (tshark's frame.number). */
  frame: number;
  /** File offset of the record (pcap) or block (pcapng). */
  offset: number;
  /** Distinguishes interfaces across pcapng sections, for once-per-interface reports. */
  interfaceKey: number;
  /** LINKTYPE_* number (https://www.tcpdump.org/linktypes.html). */
  linkType: number;
  tsMicros: number;
  /** Captured bytes: a view into the file buffer. */
  data: Buffer;
  /** Length of the packet on the wire; above data.length when the snap length cut it. */
  origLen: number;
}

/** The file ends inside a record; nothing after it can be read. */
export interface TruncatedFile {
  kind: "truncated-file";
  offset: number;
  message: string;
}

export type FileRecord = PacketRecord | TruncatedFile;

/** Reads pcap or pcapng; throws CodecError("pcap.magic") for anything else. */
export function readRecords(buf: Buffer): Generator<FileRecord> {
  if (isPcap(buf)) return readPcap(buf);
  if (isPcapng(buf)) return readPcapng(buf);
  const magic =
    buf.length >= 4 ? `0x${buf.readUInt32BE(0).toString(16).padStart(8, "0")}` : `${buf.length} bytes`;
  throw new CodecError("pcap.magic", `not a pcap or pcapng file: magic ${magic} at offset 0`, 0);
}
