/**
 * The BGP sessions' tables at the start of a rotated recording, as MRT TABLE_DUMP_V2 (RFC 6396 4.3,
 * what RouteViews' "bview" files are): a PEER_INDEX_TABLE whose view name is "routewatch", then one
 * RIB record per prefix with an entry per peer announcing it. A file that starts this way replays on
 * its own, so pruning the oldest files of a long recording loses history, not the state.
 */
import { attr, decodeAttributes, type PathAttribute } from "../../codec/bgp/index.js";
import {
  encodePeerIndexTable,
  encodeRibAttributes,
  encodeRibEntries,
  type RibEntryFields,
} from "../../codec/mrt/index.js";
import type { AttributeSet, Path, PeerRef } from "../core/types.js";
import { AttributePool } from "../rib/attribute-pool.js";

/** The view name that marks a TABLE_DUMP_V2 as routewatch's snapshot of its own sessions. */
export const SNAPSHOT_VIEW = "routewatch";

export interface SessionTable {
  peer: PeerRef;
  paths: Iterable<Path>;
}

const SAFI_UNICAST = 1;

/**
 * Whether a path came in MP_REACH_NLRI (so re-encoding it needs one, with its next hop): every IPv6
 * path, and an IPv4 path whose next hop is MP_REACH_NLRI's. An IPv4 path without any next hop (a
 * router's malformed UPDATE kept as monitoring data) stays in the body, as it came.
 */
export function viaMpReach(path: Path, ipv6: boolean): boolean {
  if (ipv6) return true;
  const { attrs, nextHop } = path.attrs;
  return (attrs.mpNextHops?.length ?? 0) > 0 && (attrs.nextHop === undefined || nextHop !== attrs.nextHop);
}

/** A RIB entry's attributes: the path's own bytes (4-octet AS) plus MP_REACH_NLRI's next hop. */
function entryAttributes(path: Path, ipv6: boolean): Buffer {
  const { as4, bytes } = AttributePool.rawAttributes(path.attrs);
  const { attrs } = path.attrs;
  const viaMp = viaMpReach(path, ipv6);
  const extra: PathAttribute[] = viaMp
    ? [attr.mpReach(ipv6 ? 2 : 1, SAFI_UNICAST, attrs.mpNextHops ?? [], [])]
    : [];
  if (as4) return extra.length ? Buffer.concat([bytes, encodeRibAttributes(extra)]) : bytes;
  // A 2-octet session's bytes: RIB entries always carry 4-octet AS numbers.
  const decoded = decodeAttributes(bytes, 0, bytes.length, { as4: false });
  return encodeRibAttributes([...decoded.attributes, ...extra]);
}

/** The TABLE_DUMP_V2 records of these tables (empty when there are none). */
export function encodeRibSnapshot(
  tsMicros: number,
  routerId: string,
  tables: readonly SessionTable[],
): Buffer {
  if (tables.length === 0) return Buffer.alloc(0);
  const records: Buffer[] = [
    encodePeerIndexTable({
      tsMicros,
      collectorBgpId: routerId,
      viewName: SNAPSHOT_VIEW,
      peers: tables.map((t) => ({ bgpId: t.peer.bgpId, address: t.peer.address, asn: t.peer.asn })),
    }),
  ];
  // One record per prefix (and per kind of entry: ADD-PATH path ids need the _ADDPATH subtypes).
  const byPrefix = new Map<string, { prefix: string; addPath: boolean; entries: RibEntryFields[] }>();
  // Paths share attribute sets (interned): encode each set once per family.
  const encoded = new Map<AttributeSet, Buffer>();
  const encoded6 = new Map<AttributeSet, Buffer>();
  const attributesOf = (path: Path): Buffer => {
    const ipv6 = path.prefix.includes(":");
    const cache = ipv6 ? encoded6 : encoded;
    let b = cache.get(path.attrs);
    if (!b) cache.set(path.attrs, (b = entryAttributes(path, ipv6)));
    return b;
  };
  tables.forEach((t, peerIndex) => {
    for (const path of t.paths) {
      const addPath = path.pathId !== 0;
      const key = `${addPath ? "+" : ""}${path.prefix}`;
      let group = byPrefix.get(key);
      if (!group) byPrefix.set(key, (group = { prefix: path.prefix, addPath, entries: [] }));
      group.entries.push({
        peerIndex,
        originatedTimeSec: Math.floor(path.tsMicros / 1e6),
        ...(addPath ? { pathId: path.pathId } : {}),
        attributes: attributesOf(path),
      });
    }
  });
  let sequence = 0;
  for (const g of byPrefix.values())
    records.push(
      encodeRibEntries({
        tsMicros,
        sequence: sequence++,
        prefix: g.prefix,
        addPath: g.addPath,
        entries: g.entries,
      }),
    );
  return Buffer.concat(records);
}
