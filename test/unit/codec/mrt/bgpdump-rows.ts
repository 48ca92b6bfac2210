/**
 * What `bgpdump -m -l` should print for an MRT file, computed with routewatch's own codec (the MRT
 * reader plus the BGP decoder), so tests can compare the two decoders row by row.
 * The bgpdump quirks mirrored here are listed in test/helpers/bgpdump.ts.
 */
import { asPathToString, routeAttributes, type RouteAttributes } from "../../../../codec/bgp/index.js";
import {
  BGP4MP_STATE_CHANGE_AS4,
  decodeMrtRecord,
  decodeRibAttributes,
  decodeTableDumpAttributes,
  encodeRibEntries,
  MRT_BGP4MP_ET,
  readMrt,
  TDV2_RIB_IPV4_UNICAST,
  TDV2_RIB_IPV4_UNICAST_ADDPATH,
  TDV2_RIB_IPV6_UNICAST,
  TDV2_RIB_IPV6_UNICAST_ADDPATH,
  type MrtPeer,
} from "../../../../codec/mrt/index.js";
import {
  bgpdumpCommunity,
  bgpdumpTime,
  type BgpdumpRoute,
  type BgpdumpRow,
} from "../../../helpers/bgpdump.js";

/** bgpdump 1.6.2 reads these TABLE_DUMP_V2 subtypes only (no multicast, no RIB_GENERIC). */
const BGPDUMP_RIB_SUBTYPES = new Set([
  TDV2_RIB_IPV4_UNICAST,
  TDV2_RIB_IPV6_UNICAST,
  TDV2_RIB_IPV4_UNICAST_ADDPATH,
  TDV2_RIB_IPV6_UNICAST_ADDPATH,
]);

type RouteHead = Pick<BgpdumpRoute, "format" | "time" | "type" | "peerIp" | "peerAs" | "prefix">;

function routeRow(
  head: RouteHead,
  pathId: number | undefined,
  r: RouteAttributes,
  nextHop: string,
): BgpdumpRoute {
  const row: BgpdumpRoute = {
    kind: "route",
    ...head,
    asPath: asPathToString(r.asPath ?? []),
    origin: r.origin ?? "INCOMPLETE",
    nextHop,
    localPref: r.localPref ?? 0,
    med: r.med ?? 0,
    communities: (r.communities ?? []).map(bgpdumpCommunity).join(" "),
    largeCommunities: (r.largeCommunities ?? []).map((c) => c.join(":")).join(" "),
    atomicAggregate: r.atomicAggregate === true,
    aggregator: r.aggregator ? `${r.aggregator.asn} ${r.aggregator.address}` : "",
  };
  if (pathId !== undefined) row.pathId = pathId;
  return row;
}

/** bgpdump's next hop: the MP_REACH one when there is one, else NEXT_HOP (INADDR_NONE when absent). */
function ribNextHop(r: RouteAttributes): string {
  return r.mpNextHops?.[0] ?? r.nextHop ?? "255.255.255.255";
}

export function rowsFromMrt(buf: Buffer): BgpdumpRow[] {
  const rows: BgpdumpRow[] = [];
  let peers: MrtPeer[] = [];
  for (const record of readMrt(buf)) {
    const d = decodeMrtRecord(record);
    if (!d) continue;
    switch (d.kind) {
      case "state": {
        const et = record.type === MRT_BGP4MP_ET;
        // The short form without addresses (FRR's deleted peers): bgpdump reads the 2-byte one
        // with 0.0.0.0 and drops the 4-byte one (it takes the states for interface and family).
        if (d.afi === 0 && d.subtype === BGP4MP_STATE_CHANGE_AS4) break;
        rows.push({
          kind: "state",
          format: et ? "BGP4MP_ET" : "BGP4MP",
          time: bgpdumpTime(record.tsMicros, et),
          peerIp: d.afi === 0 ? "0.0.0.0" : d.peerIp,
          peerAs: d.peerAs,
          oldState: d.oldState,
          newState: d.newState,
        });
        break;
      }
      case "message": {
        const msg = d.decode();
        if (msg.type !== "UPDATE") break;
        const et = record.type === MRT_BGP4MP_ET;
        // bgpdump marks *_LOCAL with "_LOCAL" and shows the peer, but *_LOCAL_ADDPATH only with
        // "_AP", and shows the Local IP and AS there.
        const localAddPath = d.local && d.addPath;
        const format = (et ? "BGP4MP_ET" : "BGP4MP") + (d.addPath ? "_AP" : d.local ? "_LOCAL" : "");
        const time = bgpdumpTime(record.tsMicros, et);
        const peerIp = localAddPath ? d.localIp : d.peerIp;
        const peerAs = localAddPath ? d.localAs : d.peerAs;
        for (const w of msg.withdrawn()) {
          rows.push({
            kind: "withdraw",
            format,
            time,
            peerIp,
            peerAs,
            prefix: w.prefix,
            ...(d.addPath ? { pathId: w.pathId } : {}),
          });
        }
        const announced = msg.announced();
        if (announced.length === 0) break;
        const r = routeAttributes(msg.attributes().attributes, d.options);
        // The UPDATE's own NLRI come first and use NEXT_HOP; MP_REACH_NLRI ones use its next hop.
        const bodyCount = msg.nlri().length;
        announced.forEach((a, i) => {
          const nextHop = i < bodyCount ? (r.nextHop ?? "255.255.255.255") : (r.mpNextHops?.[0] ?? "");
          rows.push(
            routeRow({ format, time, type: "A", peerIp, peerAs, prefix: a.prefix }, a.pathId, r, nextHop),
          );
        });
        break;
      }
      case "peer-index":
        peers = d.peers;
        break;
      case "rib": {
        if (!BGPDUMP_RIB_SUBTYPES.has(d.subtype)) break;
        const format = d.addPath ? "TABLE_DUMP2_AP" : "TABLE_DUMP2";
        const time = bgpdumpTime(record.tsMicros, false);
        for (const e of d.entries) {
          const peer = peers[e.peerIndex];
          if (!peer) throw new Error(`RIB entry names peer ${e.peerIndex}, the table has ${peers.length}`);
          const attrs = decodeRibAttributes(d, e);
          const r = routeAttributes(attrs.attributes, { as4: true });
          const head = {
            format,
            time,
            type: "B" as const,
            peerIp: peer.address,
            peerAs: peer.asn,
            prefix: d.prefix,
          };
          rows.push(routeRow(head, e.pathId, r, ribNextHop(r)));
        }
        break;
      }
      case "rib-generic":
        break;
      case "table-dump": {
        const r = routeAttributes(decodeTableDumpAttributes(d).attributes, { as4: false });
        const head = {
          format: "TABLE_DUMP",
          time: bgpdumpTime(record.tsMicros, false),
          type: "B" as const,
          peerIp: d.peerIp,
          peerAs: d.peerAs,
          prefix: d.prefix,
        };
        rows.push(routeRow(head, undefined, r, ribNextHop(r)));
        break;
      }
    }
  }
  return rows;
}

/**
 * The file without RIB entries that name a peer past the PEER_INDEX_TABLE. GoBGP 3.10 writes its
 * locally originated routes with peer index = peer count, and bgpdump 1.6.2 aborts on those
 * (assertion peer_index < peer_count); the rest of such a file can still be compared.
 */
export function withoutDanglingPeers(buf: Buffer): { buf: Buffer; dropped: number } {
  const out: Buffer[] = [];
  let peerCount = 0;
  let dropped = 0;
  for (const record of readMrt(buf)) {
    const d = decodeMrtRecord(record);
    const raw = buf.subarray(record.offset, record.end);
    if (d?.kind === "peer-index") peerCount = d.peers.length;
    if (d?.kind !== "rib" || d.entries.every((e) => e.peerIndex < peerCount)) {
      out.push(raw);
      continue;
    }
    const kept = d.entries.filter((e) => e.peerIndex < peerCount);
    dropped += d.entries.length - kept.length;
    if (kept.length === 0) continue;
    out.push(
      encodeRibEntries({
        tsMicros: record.tsMicros,
        sequence: d.sequence,
        prefix: d.prefix,
        safi: d.safi,
        addPath: d.addPath,
        entries: kept.map((e) => ({ ...e, attributes: d.buf.subarray(e.attrs.start, e.attrs.end) })),
      }),
    );
  }
  return { buf: Buffer.concat(out), dropped };
}
