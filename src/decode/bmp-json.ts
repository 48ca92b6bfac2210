/** BMP messages as JSON-ready objects: snake_case fields, embedded BGP PDUs decoded. */
import { decodeMessage } from "../../codec/bgp/index.js";
import type { BmpMessage, BmpPeerHeader } from "../../codec/bmp/index.js";
import { CodecError } from "../../codec/errors.js";
import { formatTimestamp } from "../core/time.js";
import { bgpMessageJson, type Json, type JsonObject } from "./bgp-json.js";

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Plain data to JSON: camelCase keys to snake_case, Buffers to hex. */
export function plainJson(v: unknown): Json {
  if (Buffer.isBuffer(v)) return v.toString("hex");
  if (Array.isArray(v)) return v.map(plainJson);
  if (v !== null && typeof v === "object") {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[snake(k)] = plainJson(x);
    return o;
  }
  return v as Json;
}

export function peerHeaderJson(p: BmpPeerHeader): JsonObject {
  const o = plainJson(p) as JsonObject;
  delete o.ts_micros;
  o.ts = p.tsMicros === 0 ? null : formatTimestamp(p.tsMicros);
  return o;
}

/** A BGP PDU carried inside BMP, decoded, or the reason it could not be. */
export function pduJson(pdu: Buffer): JsonObject {
  try {
    return bgpMessageJson(decodeMessage(pdu, 0, { as4: true, extendedMessage: true }));
  } catch (e) {
    if (e instanceof CodecError) return { error: e.message, kind: e.kind, bytes: pdu.toString("hex") };
    throw e;
  }
}

/** Every BMP message but ROUTE-MONITORING (whose UPDATE the caller decodes with session context). */
export function bmpMessageJson(m: BmpMessage): JsonObject {
  switch (m.type) {
    case "ROUTE-MONITORING":
      return { type: m.type, peer: peerHeaderJson(m.peer) };
    case "PEER-UP": {
      const { sentOpen, receivedOpen, peer, ...rest } = m;
      return {
        ...(plainJson(rest) as JsonObject),
        peer: peerHeaderJson(peer),
        sent_open: pduJson(sentOpen),
        received_open: pduJson(receivedOpen),
      };
    }
    case "PEER-DOWN": {
      const { notification, peer, ...rest } = m;
      const o: JsonObject = { ...(plainJson(rest) as JsonObject), peer: peerHeaderJson(peer) };
      if (notification) o.notification = pduJson(notification);
      return o;
    }
    case "ROUTE-MIRRORING":
      return {
        type: m.type,
        peer: peerHeaderJson(m.peer),
        tlvs: m.tlvs.map((t) =>
          t.name === "bgpMessage" ? { type: t.type, name: t.name, bgp: pduJson(t.bgp) } : plainJson(t),
        ),
      };
    case "STATISTICS-REPORT":
      return { type: m.type, peer: peerHeaderJson(m.peer), stats: plainJson(m.stats) };
    default:
      return plainJson(m) as JsonObject;
  }
}
