/** What decodeCapture yields: whole BGP/BMP messages, and the problems met on the way. */

export type Transport = "bgp" | "bmp";

/** Where a message or problem belongs: one direction of one TCP connection. */
export interface StreamRef {
  /** 0-based index of the TCP connection, in order of its first packet in the file. */
  connection: number;
  /**
   * Stable id of the direction: `connection * 2 + direction`, where direction 0 is the side
   * that sent the SYN (or, when the capture starts mid-session, the first packet seen).
   */
  stream: number;
  transport: Transport;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

export interface CaptureMessage extends StreamRef {
  kind: "message";
  /** Timestamp of the packet that completed the message (what tshark reports for a reassembled PDU). */
  tsMicros: number;
  /** 1-based number of that packet in the file, like tshark's frame.number. */
  frame: number;
  /** The whole message, header included (a view into the capture when it sits in one segment). */
  bytes: Buffer;
}

export type ProblemKind =
  /** A hole in a TCP stream that never filled; `bytes` is the missing byte count. */
  | "gap"
  /** Bytes of a stream skipped to find the next message header; `bytes` is the count. */
  | "resync"
  /** A message header failed validation; the direction resynchronises after it. */
  | "bad-frame"
  /** The stream ended in the middle of a message; `bytes` is what was held. */
  | "incomplete"
  /** Captured length below the original length (snap length); `bytes` is the missing count. */
  | "truncated-packet"
  /** An IP fragment carrying TCP: not reassembled, so its bytes show up as a gap. */
  | "fragment"
  /** A link, IP or TCP header that cannot be parsed. */
  | "bad-packet"
  /** First packet of an interface whose link type is not supported (reported once per interface). */
  | "unsupported-link"
  /** A new connection was not tracked because the connection limit was reached. */
  | "connection-limit"
  /** The file ends inside a record: reading stops there. */
  | "truncated-file";

export interface CaptureProblem extends Partial<StreamRef> {
  kind: ProblemKind;
  tsMicros: number;
  /** Packet the problem was found in (the last packet read for problems found at end of file). */
  frame: number;
  /** Byte count the problem is about (missing, skipped, held), when there is one. */
  bytes?: number;
  message: string;
}

/** A connection ended inside the capture (FIN both ways, or RST); not emitted at the end of the file. */
export interface CaptureClosed extends StreamRef {
  kind: "closed";
  tsMicros: number;
  frame: number;
  reason: string;
  /** The side that ended it: sent the RST, or the first FIN (0 = `src`, 1 = `dst` of this ref). */
  closedBy: 0 | 1;
}

export type CaptureEvent = CaptureMessage | CaptureProblem | CaptureClosed;

export interface CaptureOptions {
  /** TCP ports that carry BGP (default [179]). */
  bgpPorts?: readonly number[];
  /** TCP ports that carry BMP (default [11019, 1790, 5000]). */
  bmpPorts?: readonly number[];
  /** Out-of-order bytes held per direction before the hole in front of them is given up (default 1 MiB). */
  maxBufferedPerStream?: number;
  /** Out-of-order bytes held across all directions (default 64 MiB). */
  maxBufferedTotal?: number;
  /** Connections tracked at once; closed ones are forgotten first (default 10000). */
  maxConnections?: number;
}

export const DEFAULT_BGP_PORTS: readonly number[] = Object.freeze([179]);
export const DEFAULT_BMP_PORTS: readonly number[] = Object.freeze([11019, 1790, 5000]);
export const DEFAULT_MAX_BUFFERED_PER_STREAM = 1 << 20;
export const DEFAULT_MAX_BUFFERED_TOTAL = 64 << 20;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
