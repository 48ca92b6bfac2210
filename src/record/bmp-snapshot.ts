/**
 * The BMP routers' state at the start of a rotated recording, as BMP messages in the container: per
 * router its INITIATION as it sent it, with a string TLV added that marks the snapshot and counts the
 * messages that follow; each up peer's PEER-UP as sent; each view's routes as ROUTE-MONITORING,
 * re-encoded from the RIB with the options that peer's PEER-UP negotiated; an End-of-RIB per family
 * for each view whose initial dump was complete.
 * A file that starts this way replays on its own; a replay that already follows the router skips it.
 */
import {
  hasAddPath,
  attr,
  decodeAttributes,
  encodeAttributes,
  encodeEndOfRib,
  encodeUpdate,
  type BgpDecodeOptions,
  type NlriEntry,
  type PathAttribute,
} from "../../codec/bgp/index.js";
import { decodeBmp, encodeBmp, encodeTlv } from "../../codec/bmp/index.js";
import { CodecError } from "../../codec/errors.js";
import type { AttributeSet, Path } from "../core/types.js";
import { AttributePool } from "../rib/attribute-pool.js";
import type { RouterView } from "../session/bmp/router.js";
import { viaMpReach } from "./rib-snapshot.js";

/** Starts the string TLV of a snapshot's INITIATION: "routewatch snapshot: N messages follow". */
export const BMP_SNAPSHOT_MARK = "routewatch snapshot: ";
const SAFI_UNICAST = 1;
const INFO_STRING = 0;
/** The largest BGP message without, and with, extended message support (RFC 8654). */
const MAX_MESSAGE = 4096;
const MAX_EXTENDED_MESSAGE = 65535;

/** How many messages the snapshot an INITIATION marks holds, or undefined for a router's own INITIATION. */
export function snapshotMessages(initiation: Buffer): number | undefined {
  let msg;
  try {
    msg = decodeBmp(initiation);
  } catch (e) {
    if (e instanceof CodecError) return undefined; // the router handles (and counts) a malformed one
    throw e;
  }
  if (msg.type !== "INITIATION") return undefined;
  for (const t of msg.tlvs) {
    if (t.type !== INFO_STRING || typeof t.value !== "string" || !t.value.startsWith(BMP_SNAPSHOT_MARK))
      continue;
    const n = Number.parseInt(t.value.slice(BMP_SNAPSHOT_MARK.length), 10);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }
  return undefined;
}

/** The router's INITIATION, byte for byte, with the snapshot's marking TLV appended. */
function markedInitiation(initiation: Buffer, count: number): Buffer {
  const tlv = encodeTlv(INFO_STRING, Buffer.from(`${BMP_SNAPSHOT_MARK}${count} messages follow`, "utf8"));
  const out = Buffer.concat([initiation, tlv]);
  out.writeUInt32BE(out.length, 1); // the common header's message length
  return out;
}

/** A set's attributes as PathAttributes (MP_REACH_NLRI is not among them: it is built per message). */
function attributesOf(set: AttributeSet): PathAttribute[] {
  const { as4, bytes } = AttributePool.rawAttributes(set);
  return decodeAttributes(bytes, 0, bytes.length, { as4 }).attributes;
}

/** UPDATEs announcing `paths` (one attribute set, one family), each within the message size limit. */
function updates(paths: Path[], ipv6: boolean, viaMp: boolean, options: BgpDecodeOptions): Buffer[] {
  const set = paths[0]!.attrs;
  const attributes = attributesOf(set);
  const afi = ipv6 ? 2 : 1;
  const addPath = hasAddPath(options, afi, SAFI_UNICAST);
  const perPrefix = (ipv6 ? 17 : 5) + (addPath ? 4 : 0);
  const max = options.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  const room = max - 19 - 4 - encodeAttributes(attributes, options).length - 64;
  const chunk = Math.max(1, Math.floor(room / perPrefix));
  const out: Buffer[] = [];
  for (let i = 0; i < paths.length; i += chunk) {
    const nlri: NlriEntry[] = paths
      .slice(i, i + chunk)
      .map((p) => (addPath ? { prefix: p.prefix, pathId: p.pathId } : { prefix: p.prefix }));
    const message = viaMp
      ? encodeUpdate(
          {
            attributes: [...attributes, attr.mpReach(afi, SAFI_UNICAST, set.attrs.mpNextHops ?? [], nlri)],
          },
          options,
        )
      : encodeUpdate({ attributes, nlri }, options);
    // The router could not have sent it either (its attributes alone are too long): say so.
    if (message.length > max)
      throw new Error(`an UPDATE for ${nlri[0]!.prefix} would take ${message.length} bytes, over ${max}`);
    out.push(message);
  }
  return out;
}

/** A view's routes as the router would report them, then End-of-RIB for each family if it is complete. */
function viewMessages(view: RouterView, paths: Iterable<Path>, tsMicros: number): Buffer[] {
  const groups = new Map<string, { paths: Path[]; ipv6: boolean; viaMp: boolean }>();
  const ids = new Map<AttributeSet, number>();
  for (const p of paths) {
    const ipv6 = p.prefix.includes(":");
    const viaMp = viaMpReach(p, ipv6);
    let id = ids.get(p.attrs);
    if (id === undefined) ids.set(p.attrs, (id = ids.size));
    const key = `${id}|${ipv6}|${viaMp}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { paths: [], ipv6, viaMp }));
    g.paths.push(p);
  }
  const bgp: Buffer[] = [];
  for (const g of groups.values()) bgp.push(...updates(g.paths, g.ipv6, g.viaMp, view.options));
  // End-of-RIB only for a complete table: a dump still going on when the file rotated stays open, and
  // the replay judges it complete after the same quiet period the live collector waits.
  if (view.synced) {
    const families = view.families ?? [256 + SAFI_UNICAST, 512 + SAFI_UNICAST];
    for (const f of families) bgp.push(encodeEndOfRib(f >> 8, f & 0xff));
  }
  const peer = { ...view.header, tsMicros };
  return bgp.map((b) => encodeBmp({ type: "ROUTE-MONITORING", peer, bgp: b }));
}

/**
 * One router's snapshot: the marked INITIATION first, then the messages it counts. `paths` gives a
 * view's paths from the RIB.
 */
export function encodeBmpSnapshot(
  tsMicros: number,
  router: { initiation: Buffer; peerUps: readonly Buffer[]; views: readonly RouterView[] },
  paths: (view: RouterView) => Iterable<Path>,
): Buffer[] {
  const messages = [...router.peerUps];
  for (const v of router.views) messages.push(...viewMessages(v, paths(v), tsMicros));
  return [markedInitiation(router.initiation, messages.length), ...messages];
}
