/**
 * BMP messages (RFC 7854 4, RFC 8671, RFC 9069): the common header, dispatch by type, and each
 * message body. BGP PDUs inside are returned as views, not decoded: how to decode a ROUTE-MONITORING
 * PDU depends on the session (see tracker.ts).
 */
import { CodecError } from "../errors.js";
import { ipToString, ipv4ToString } from "../ip.js";
import {
  BMP_VERSION,
  COMMON_HEADER_LEN,
  DOWN_LOCAL_FSM_EVENT,
  DOWN_LOCAL_NOTIFICATION,
  DOWN_LOCAL_TLV,
  DOWN_REMOTE_NOTIFICATION,
  MESSAGE_TYPES,
  MSG_INITIATION,
  MSG_PEER_DOWN,
  MSG_PEER_UP,
  MSG_ROUTE_MIRRORING,
  MSG_ROUTE_MONITORING,
  MSG_STATISTICS_REPORT,
  MSG_TERMINATION,
  PEER_HEADER_LEN,
  PEER_TYPE_LOC_RIB,
  peerDownReasonName,
  type PeerDownReasonName,
} from "./constants.js";
import { decodePeerHeader, encodePeerHeader, writeAddress16, type BmpPeerHeader } from "./peer.js";
import { decodeStats, encodeStats, type BmpStat } from "./stats.js";
import {
  decodeInitiationTlv,
  decodeMirroringTlv,
  decodePeerDownTlv,
  decodePeerUpTlv,
  decodeTerminationTlv,
  decodeTlvs,
  encodeInfoTlv,
  encodeMirroringTlv,
  encodeTerminationTlv,
  type InitiationTlv,
  type MirroringTlv,
  type PeerDownTlv,
  type PeerUpTlv,
  type TerminationTlv,
} from "./tlv.js";

export interface BmpRouteMonitoring {
  type: "ROUTE-MONITORING";
  peer: BmpPeerHeader;
  /** The BGP UPDATE PDU, header included (RFC 7854 4.6). */
  bgp: Buffer;
}

export interface BmpStatisticsReport {
  type: "STATISTICS-REPORT";
  peer: BmpPeerHeader;
  stats: BmpStat[];
}

export interface BmpPeerDown {
  type: "PEER-DOWN";
  peer: BmpPeerHeader;
  reason: number;
  reasonName: PeerDownReasonName;
  /** Reasons 1 and 3: the NOTIFICATION PDU, header included. */
  notification?: Buffer;
  /** Reason 2: the FSM event that closed the session (RFC 4271 8.1). */
  fsmEvent?: number;
  /** Reason 6 (RFC 9069 5.3): information TLVs, e.g. the VRF/table name. */
  tlvs?: PeerDownTlv[];
  /** Reasons 4, 5 and unknown ones: whatever follows the reason (normally nothing). */
  data?: Buffer;
}

export interface BmpPeerUp {
  type: "PEER-UP";
  peer: BmpPeerHeader;
  /** Same family as the peer address (the V flag); "0.0.0.0" for a Loc-RIB instance. */
  localAddress: string;
  localPort: number;
  remotePort: number;
  /** The OPEN the monitored router sent, whole BGP message. */
  sentOpen: Buffer;
  /** The OPEN the monitored router received, whole BGP message. */
  receivedOpen: Buffer;
  tlvs: PeerUpTlv[];
}

export interface BmpInitiation {
  type: "INITIATION";
  tlvs: InitiationTlv[];
}

export interface BmpTermination {
  type: "TERMINATION";
  tlvs: TerminationTlv[];
}

export interface BmpRouteMirroring {
  type: "ROUTE-MIRRORING";
  peer: BmpPeerHeader;
  tlvs: MirroringTlv[];
}

export type BmpMessage =
  | BmpRouteMonitoring
  | BmpStatisticsReport
  | BmpPeerDown
  | BmpPeerUp
  | BmpInitiation
  | BmpTermination
  | BmpRouteMirroring;

/** Version and length of the message at `off` (RFC 7854 4.1); checks it lies within `buf`. */
export function decodeBmpHeader(buf: Buffer, off = 0): { length: number; type: number } {
  if (buf.length - off < COMMON_HEADER_LEN) {
    throw new CodecError(
      "bmp.truncated",
      `BMP common header truncated: ${buf.length - off} bytes at offset ${off}`,
      off,
    );
  }
  const version = buf[off]!;
  if (version !== BMP_VERSION) {
    throw new CodecError(
      "bmp.version",
      `BMP version ${version} at offset ${off}, expected ${BMP_VERSION}`,
      off,
    );
  }
  const length = buf.readUInt32BE(off + 1);
  if (length < COMMON_HEADER_LEN) {
    throw new CodecError(
      "bmp.length",
      `BMP message length ${length} at offset ${off} is below ${COMMON_HEADER_LEN}`,
      off + 1,
    );
  }
  if (off + length > buf.length) {
    throw new CodecError(
      "bmp.truncated",
      `BMP message of ${length} bytes at offset ${off} has only ${buf.length - off}`,
      off,
    );
  }
  return { length, type: buf[off + 5]! };
}

/** Decodes the whole BMP message at `off`; the result holds views into `buf`. */
export function decodeBmp(buf: Buffer, off = 0): BmpMessage {
  const { length, type } = decodeBmpHeader(buf, off);
  const end = off + length;
  const body = off + COMMON_HEADER_LEN;
  switch (type) {
    case MSG_INITIATION:
      return { type: "INITIATION", tlvs: decodeTlvs(buf, body, end, "INITIATION", decodeInitiationTlv) };
    case MSG_TERMINATION:
      return { type: "TERMINATION", tlvs: decodeTlvs(buf, body, end, "TERMINATION", decodeTerminationTlv) };
    case MSG_ROUTE_MONITORING:
    case MSG_STATISTICS_REPORT:
    case MSG_PEER_DOWN:
    case MSG_PEER_UP:
    case MSG_ROUTE_MIRRORING:
      break;
    default:
      throw new CodecError("bmp.type", `unknown BMP message type ${type} at offset ${off}`, off + 5);
  }
  const peer = decodePeerHeader(buf, body, end);
  const rest = body + PEER_HEADER_LEN;
  switch (type) {
    case MSG_ROUTE_MONITORING:
      return { type: "ROUTE-MONITORING", peer, bgp: buf.subarray(rest, end) };
    case MSG_STATISTICS_REPORT:
      return { type: "STATISTICS-REPORT", peer, stats: decodeStats(buf, rest, end) };
    case MSG_PEER_DOWN:
      return decodePeerDown(buf, peer, rest, end);
    case MSG_PEER_UP:
      return decodePeerUp(buf, peer, rest, end);
    default:
      return {
        type: "ROUTE-MIRRORING",
        peer,
        tlvs: decodeTlvs(buf, rest, end, "ROUTE-MIRRORING", decodeMirroringTlv),
      };
  }
}

function decodePeerDown(buf: Buffer, peer: BmpPeerHeader, off: number, end: number): BmpPeerDown {
  if (off >= end) throw new CodecError("bmp.truncated", `PEER-DOWN reason missing at offset ${off}`, off);
  const reason = buf[off]!;
  const msg: BmpPeerDown = { type: "PEER-DOWN", peer, reason, reasonName: peerDownReasonName(reason) };
  const data = off + 1;
  switch (reason) {
    case DOWN_LOCAL_NOTIFICATION:
    case DOWN_REMOTE_NOTIFICATION:
      msg.notification = buf.subarray(data, end);
      break;
    case DOWN_LOCAL_FSM_EVENT:
      if (end - data !== 2) {
        throw new CodecError(
          "bmp.peer-down",
          `PEER-DOWN reason 2 carries ${end - data} bytes, expected a 2-byte FSM event`,
          data,
        );
      }
      msg.fsmEvent = buf.readUInt16BE(data);
      break;
    case DOWN_LOCAL_TLV:
      msg.tlvs = decodeTlvs(buf, data, end, "PEER-DOWN", decodePeerDownTlv);
      break;
    default:
      msg.data = buf.subarray(data, end);
  }
  return msg;
}

/** Length of the whole OPEN message at `off` (RFC 4271 4.1, 4.2); "bmp.peer-up.open" unless it fits. */
function openLength(buf: Buffer, off: number, end: number, which: string): number {
  const fail = (why: string): CodecError =>
    new CodecError("bmp.peer-up.open", `PEER-UP ${which} OPEN at offset ${off}: ${why}`, off);
  if (off + 19 > end) throw fail(`header truncated (${end - off} bytes left)`);
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0xff) throw fail("marker is not all ones");
  if (buf[off + 18] !== 1) throw fail(`message type ${buf[off + 18]}, expected 1 (OPEN)`);
  const length = buf.readUInt16BE(off + 16);
  if (length < 29) throw fail(`length ${length} is below the OPEN minimum of 29`);
  if (off + length > end) throw fail(`length ${length} overruns the message (${end - off} bytes left)`);
  return length;
}

function decodePeerUp(buf: Buffer, peer: BmpPeerHeader, off: number, end: number): BmpPeerUp {
  if (off + 20 > end) {
    throw new CodecError("bmp.truncated", `PEER-UP local address and ports truncated at offset ${off}`, off);
  }
  const localAddress = peer.ipv6 ? ipToString(buf, off, 16) : ipv4ToString(buf, off + 12);
  const localPort = buf.readUInt16BE(off + 16);
  const remotePort = buf.readUInt16BE(off + 18);
  const sentStart = off + 20;
  const sentEnd = sentStart + openLength(buf, sentStart, end, "sent");
  const receivedEnd = sentEnd + openLength(buf, sentEnd, end, "received");
  return {
    type: "PEER-UP",
    peer,
    localAddress,
    localPort,
    remotePort,
    sentOpen: buf.subarray(sentStart, sentEnd),
    receivedOpen: buf.subarray(sentEnd, receivedEnd),
    tlvs: decodeTlvs(buf, receivedEnd, end, "PEER-UP", decodePeerUpTlv),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoder

function peerHeaderBytes(peer: BmpPeerHeader): Buffer {
  const out = Buffer.alloc(PEER_HEADER_LEN);
  encodePeerHeader(peer, out, 0);
  return out;
}

function peerDownData(m: BmpPeerDown): Buffer[] {
  switch (m.reason) {
    case DOWN_LOCAL_NOTIFICATION:
    case DOWN_REMOTE_NOTIFICATION:
      return m.notification ? [m.notification] : [];
    case DOWN_LOCAL_FSM_EVENT: {
      const event = Buffer.alloc(2);
      event.writeUInt16BE(m.fsmEvent ?? 0);
      return [event];
    }
    case DOWN_LOCAL_TLV:
      return (m.tlvs ?? []).map(encodeInfoTlv);
    default:
      return m.data ? [m.data] : [];
  }
}

function peerUpData(m: BmpPeerUp): Buffer[] {
  const fixed = Buffer.alloc(20);
  writeAddress16(
    m.localAddress,
    m.peer.peerType !== PEER_TYPE_LOC_RIB && m.peer.ipv6,
    fixed,
    0,
    "local address",
  );
  fixed.writeUInt16BE(m.localPort, 16);
  fixed.writeUInt16BE(m.remotePort, 18);
  return [fixed, m.sentOpen, m.receivedOpen, ...m.tlvs.map(encodeInfoTlv)];
}

function bodyParts(m: BmpMessage): Buffer[] {
  switch (m.type) {
    case "INITIATION":
      return m.tlvs.map(encodeInfoTlv);
    case "TERMINATION":
      return m.tlvs.map(encodeTerminationTlv);
    case "ROUTE-MONITORING":
      return [peerHeaderBytes(m.peer), m.bgp];
    case "STATISTICS-REPORT":
      return [peerHeaderBytes(m.peer), encodeStats(m.stats)];
    case "PEER-DOWN":
      return [peerHeaderBytes(m.peer), Buffer.from([m.reason]), ...peerDownData(m)];
    case "PEER-UP":
      return [peerHeaderBytes(m.peer), ...peerUpData(m)];
    case "ROUTE-MIRRORING":
      return [peerHeaderBytes(m.peer), ...m.tlvs.map(encodeMirroringTlv)];
  }
}

/** The whole BMP message: common header and body. */
export function encodeBmp(msg: BmpMessage): Buffer {
  const parts = bodyParts(msg);
  const head = Buffer.alloc(COMMON_HEADER_LEN);
  const length = parts.reduce((n, p) => n + p.length, COMMON_HEADER_LEN);
  head[0] = BMP_VERSION;
  head.writeUInt32BE(length, 1);
  head[5] = MESSAGE_TYPES[msg.type];
  return Buffer.concat([head, ...parts], length);
}
