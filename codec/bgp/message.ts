/**
 * BGP messages: the 19-byte header (RFC 4271 4.1), dispatch by type, and the small messages
 * (KEEPALIVE, NOTIFICATION with RFC 9003 shutdown communication, ROUTE-REFRESH RFC 2918/7313).
 */
import { BgpError } from "../errors.js";
import {
  CEASE_ADMIN_RESET,
  CEASE_ADMIN_SHUTDOWN,
  ERR_CEASE,
  ERR_HEADER,
  ERR_ROUTE_REFRESH,
  HEADER_LEN,
  MAX_EXTENDED_MESSAGE_LEN,
  MAX_MESSAGE_LEN,
  MESSAGE_NAMES,
  MSG_KEEPALIVE,
  MSG_NOTIFICATION,
  MSG_OPEN,
  MSG_ROUTE_REFRESH,
  MSG_UPDATE,
  NOTIFICATION_NAMES,
} from "./constants.js";
import { decodeOpen, encodeOpenBody, type OpenFields, type OpenMessage } from "./open.js";
import { DEFAULT_DECODE_OPTIONS, type BgpDecodeOptions } from "./options.js";
import { encodeEndOfRibBody, encodeUpdateBody, UpdateMessage, type UpdateFields } from "./update.js";

export interface KeepaliveMessage {
  type: "KEEPALIVE";
}

export interface NotificationMessage {
  type: "NOTIFICATION";
  code: number;
  subcode: number;
  data: Buffer;
  /** RFC 9003 shutdown communication (Cease / Administrative Shutdown or Reset). */
  shutdownMessage?: string;
}

export interface RouteRefreshMessage {
  type: "ROUTE-REFRESH";
  afi: number;
  safi: number;
  /** RFC 7313: 0 normal request, 1 Beginning of Route Refresh, 2 End of Route Refresh. */
  subtype: number;
}

export type BgpMessage =
  OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;
export type BgpMessageType = BgpMessage["type"];

const MIN_LEN: Record<number, number> = {
  [MSG_OPEN]: 29,
  [MSG_UPDATE]: 23,
  [MSG_NOTIFICATION]: 21,
  [MSG_KEEPALIVE]: 19,
  [MSG_ROUTE_REFRESH]: 23,
};

export interface BgpHeader {
  length: number;
  type: number;
}

function headerError(subcode: number, message: string, off: number, data?: Buffer): BgpError {
  const kinds = ["", "bgp.header.marker", "bgp.header.length", "bgp.header.type"];
  return new BgpError(kinds[subcode]!, message, off, ERR_HEADER, subcode, "session-reset", data);
}

/**
 * Checks the header at `off` (marker, length, type; RFC 4271 6.1) and returns length and type.
 * Needs only the 19 header bytes, so stream framers call it before the body has arrived.
 */
export function decodeHeader(
  buf: Buffer,
  off: number,
  opts: BgpDecodeOptions = DEFAULT_DECODE_OPTIONS,
): BgpHeader {
  if (buf.length - off < HEADER_LEN) throw headerError(2, `BGP header truncated at offset ${off}`, off);
  if (
    (buf.readInt32LE(off) &
      buf.readInt32LE(off + 4) &
      buf.readInt32LE(off + 8) &
      buf.readInt32LE(off + 12)) !==
    -1
  ) {
    throw headerError(1, `BGP marker is not all ones at offset ${off}`, off);
  }
  const length = (buf[off + 16]! << 8) | buf[off + 17]!;
  const type = buf[off + 18]!;
  const min = MIN_LEN[type];
  if (min === undefined)
    throw headerError(3, `unknown BGP message type ${type} at offset ${off}`, off, Buffer.from([type]));
  // RFC 8654: OPEN and KEEPALIVE stay within 4096 even when extended messages are negotiated.
  const max =
    opts.extendedMessage && type !== MSG_OPEN && type !== MSG_KEEPALIVE
      ? MAX_EXTENDED_MESSAGE_LEN
      : MAX_MESSAGE_LEN;
  if (length < min || length > max || (type === MSG_KEEPALIVE && length !== HEADER_LEN)) {
    throw headerError(
      2,
      `bad ${MESSAGE_NAMES[type]} length ${length} at offset ${off} (expected ${min}..${max})`,
      off + 16,
      buf.subarray(off + 16, off + 18),
    );
  }
  return { length, type };
}

/**
 * Decodes the message at `off` (header included). The buffer may hold more after it; the message
 * must be complete. UPDATE is returned as a lazy view over `buf`.
 */
export function decodeMessage(
  buf: Buffer,
  off = 0,
  opts: BgpDecodeOptions = DEFAULT_DECODE_OPTIONS,
): BgpMessage {
  const { length, type } = decodeHeader(buf, off, opts);
  const end = off + length;
  if (end > buf.length)
    throw headerError(2, `BGP message of ${length} bytes truncated at offset ${off}`, off);
  const body = off + HEADER_LEN;
  switch (type) {
    case MSG_OPEN:
      return decodeOpen(buf, body, end);
    case MSG_UPDATE:
      return new UpdateMessage(buf, body, end, opts);
    case MSG_NOTIFICATION:
      return decodeNotification(buf, body, end);
    case MSG_KEEPALIVE:
      return { type: "KEEPALIVE" };
    default:
      return decodeRouteRefresh(buf, body, end);
  }
}

function decodeNotification(buf: Buffer, start: number, end: number): NotificationMessage {
  const code = buf[start]!;
  const subcode = buf[start + 1]!;
  const data = Buffer.from(buf.subarray(start + 2, end));
  const msg: NotificationMessage = { type: "NOTIFICATION", code, subcode, data };
  const shutdown = shutdownCommunication(code, subcode, data);
  if (shutdown !== undefined) msg.shutdownMessage = shutdown;
  return msg;
}

/** RFC 9003: a length byte then that many bytes of UTF-8, for Administrative Shutdown/Reset. */
function shutdownCommunication(code: number, subcode: number, data: Buffer): string | undefined {
  if (code !== ERR_CEASE || (subcode !== CEASE_ADMIN_SHUTDOWN && subcode !== CEASE_ADMIN_RESET))
    return undefined;
  if (data.length === 0 || data[0] !== data.length - 1) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(1));
  } catch {
    return undefined;
  }
}

function decodeRouteRefresh(buf: Buffer, start: number, end: number): RouteRefreshMessage {
  if (end - start !== 4) {
    throw new BgpError(
      "bgp.route-refresh.length",
      `ROUTE-REFRESH of ${end - start + HEADER_LEN} bytes, expected 23`,
      start,
      ERR_ROUTE_REFRESH,
      1,
      "session-reset",
      Buffer.from(buf.subarray(start - HEADER_LEN, end)),
    );
  }
  return {
    type: "ROUTE-REFRESH",
    afi: buf.readUInt16BE(start),
    subtype: buf[start + 2]!,
    safi: buf[start + 3]!,
  };
}

/** "Cease / Administrative Shutdown" style names for a NOTIFICATION code and subcode. */
export function notificationNames(code: number, subcode: number): { codeName: string; subcodeName: string } {
  const c = NOTIFICATION_NAMES[code];
  return {
    codeName: c?.name ?? `code ${code}`,
    subcodeName: subcode === 0 ? "Unspecific" : (c?.subcodes[subcode] ?? `subcode ${subcode}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoders

/** A whole message: header + body. */
export function encodeMessage(type: number, body: Buffer): Buffer {
  const out = Buffer.alloc(HEADER_LEN + body.length);
  out.fill(0xff, 0, 16);
  out.writeUInt16BE(HEADER_LEN + body.length, 16);
  out[18] = type;
  body.copy(out, HEADER_LEN);
  return out;
}

export function encodeOpen(f: OpenFields): Buffer {
  return encodeMessage(MSG_OPEN, encodeOpenBody(f));
}

export function encodeKeepalive(): Buffer {
  return encodeMessage(MSG_KEEPALIVE, Buffer.alloc(0));
}

export function encodeNotification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): Buffer {
  return encodeMessage(MSG_NOTIFICATION, Buffer.concat([Buffer.from([code, subcode]), data]));
}

/** Cease with an RFC 9003 shutdown communication (truncated to 255 bytes of UTF-8). */
export function encodeShutdownNotification(subcode: number, message: string): Buffer {
  let text = Buffer.from(message, "utf8");
  if (text.length > 255)
    text = Buffer.from(new TextDecoder().decode(text.subarray(0, 255)).replace(/\uFFFD$/, ""));
  return encodeNotification(ERR_CEASE, subcode, Buffer.concat([Buffer.from([text.length]), text]));
}

export function encodeRouteRefresh(afi: number, safi: number, subtype = 0): Buffer {
  return encodeMessage(MSG_ROUTE_REFRESH, Buffer.from([afi >> 8, afi & 0xff, subtype, safi]));
}

export function encodeUpdate(f: UpdateFields, opts: BgpDecodeOptions = DEFAULT_DECODE_OPTIONS): Buffer {
  return encodeMessage(MSG_UPDATE, encodeUpdateBody(f, opts));
}

export function encodeEndOfRib(afi: number, safi: number): Buffer {
  return encodeMessage(MSG_UPDATE, encodeEndOfRibBody(afi, safi));
}
