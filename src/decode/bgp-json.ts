/**
 * BGP messages as plain JSON-ready objects: the `decode --format json` contract
 * (`type`, and for UPDATEs `announced` / `withdrawn` as "prefix/len" strings plus `attributes`).
 */
import {
  AS_CONFED_SEQUENCE,
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  WELL_KNOWN_COMMUNITIES,
  extCommunityToString,
  largeCommunityToString,
  notificationNames,
  openAsn,
  routeAttributes,
  type AsPathSegment,
  type BgpMessage,
  type Capability,
  type OpenMessage,
  type RouteAttributes,
  type UpdateMessage,
} from "../../codec/bgp/index.js";
import type { BgpError } from "../../codec/errors.js";
import { memoryWriter, type LineWriter } from "../core/line-writer.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * The route attributes as a JSON object, written straight to the output: this runs for every UPDATE
 * and RIB entry of a decode, and every value is a number or text that needs no escaping
 * (addresses, AS numbers, community names, hex).
 */
export function writeAttributesJson(w: LineWriter, a: RouteAttributes): void {
  let first = true;
  const key = (name: string): LineWriter => {
    w.ascii(first ? `{"${name}":` : `,"${name}":`);
    first = false;
    return w;
  };
  if (a.origin !== undefined) key("origin").ascii(`"${a.origin}"`);
  if (a.asPath !== undefined) {
    key("as_path").char(34);
    writeAsPath(w, a.asPath);
    w.char(34);
  }
  if (a.nextHop !== undefined) key("next_hop").ascii(`"${a.nextHop}"`);
  if (a.mpNextHops !== undefined) writeStrings(key("mp_next_hops"), a.mpNextHops);
  if (a.med !== undefined) key("med").int(a.med);
  if (a.localPref !== undefined) key("local_pref").int(a.localPref);
  if (a.atomicAggregate) key("atomic_aggregate").ascii("true");
  if (a.aggregator) {
    key("aggregator").ascii(`{"asn":`).int(a.aggregator.asn).ascii(`,"address":"${a.aggregator.address}"}`);
  }
  if (a.communities) {
    key("communities").char(91);
    a.communities.forEach((c, i) => {
      if (i > 0) w.char(44);
      const name = WELL_KNOWN_COMMUNITIES[c];
      if (name) w.ascii(`"${name}"`);
      else
        w.char(34)
          .int(c >>> 16)
          .char(58)
          .int(c & 0xffff)
          .char(34);
    });
    w.char(93);
  }
  if (a.largeCommunities)
    writeStrings(key("large_communities"), a.largeCommunities.map(largeCommunityToString));
  if (a.extCommunities) writeStrings(key("ext_communities"), a.extCommunities.map(extCommunityToString));
  if (a.originatorId !== undefined) key("originator_id").ascii(`"${a.originatorId}"`);
  if (a.clusterList) writeStrings(key("cluster_list"), a.clusterList);
  if (a.otc !== undefined) key("otc").int(a.otc);
  if (a.unknown) {
    key("unknown").ascii(
      `[${a.unknown.map((u) => `{"code":${u.code},"flags":${u.flags},"value":"${u.value.toString("hex")}"}`).join(",")}]`,
    );
  }
  w.ascii(first ? "{}" : "}");
}

/** The AS path text of asPathToString, written digit by digit. */
function writeAsPath(w: LineWriter, segments: readonly AsPathSegment[]): void {
  segments.forEach((s, i) => {
    if (i > 0) w.char(32);
    const [open, sep, close] = SEGMENT_PUNCTUATION[s.type] ?? SEGMENT_PUNCTUATION[AS_SEQUENCE]!;
    if (open) w.char(open);
    for (let j = 0; j < s.asns.length; j++) {
      if (j > 0) w.char(sep);
      w.int(s.asns[j]!);
    }
    if (close) w.char(close);
  });
}

/** Opening, separating and closing characters of each segment type, as asPathToString writes them. */
const SEGMENT_PUNCTUATION: Record<number, [number, number, number]> = {
  [AS_SEQUENCE]: [0, 32, 0],
  [AS_SET]: [123, 44, 125], // {a,b}
  [AS_CONFED_SEQUENCE]: [40, 32, 41], // (a b)
  [AS_CONFED_SET]: [91, 44, 93], // [a,b]
};

/** A JSON array of strings that need no escaping. */
function writeStrings(w: LineWriter, values: readonly string[]): void {
  w.ascii(values.length === 0 ? "[]" : `["${values.join('","')}"]`);
}

export function errorJson(e: BgpError): JsonObject {
  return { kind: e.kind, code: e.code, subcode: e.subcode, action: e.action, message: e.message };
}

/**
 * An UPDATE's JSON fields, without braces: `"type":"UPDATE","announced":[...],"withdrawn":[...]`
 * (+ `announced_path_ids` / `withdrawn_path_ids` with ADD-PATH), `"attributes"`, `end_of_rib`, and
 * `errors` / `error_action` when there are any.
 */
export function writeUpdateFields(w: LineWriter, u: UpdateMessage, type = "UPDATE"): void {
  let ids: number[] | undefined;
  let n = 0;
  const prefix = (afi: number, buf: Buffer, off: number, bits: number, pathId: number | undefined): void => {
    if (n++ > 0) w.char(44);
    w.char(34).prefix(afi, buf, off, bits).char(34);
    if (pathId !== undefined) (ids ??= []).push(pathId);
  };
  w.ascii(`"type":"${type}","announced":[`);
  u.forEachAnnounced(prefix);
  const announcedIds = ids;
  ids = undefined;
  n = 0;
  w.ascii(`],"withdrawn":[`);
  u.forEachWithdrawn(prefix);
  w.char(93);
  if (announcedIds) w.ascii(`,"announced_path_ids":[${announcedIds.join(",")}]`);
  if (ids) w.ascii(`,"withdrawn_path_ids":[${(ids as number[]).join(",")}]`);
  const decoded = u.attributes();
  w.ascii(`,"attributes":`);
  writeAttributesJson(w, routeAttributes(decoded.attributes, u.options));
  const eor = u.endOfRib();
  if (eor) w.ascii(`,"end_of_rib":{"afi":${eor.afi},"safi":${eor.safi}}`);
  if (decoded.errors.length) {
    w.text(
      `,"errors":${JSON.stringify(decoded.errors.map(errorJson))},"error_action":${JSON.stringify(decoded.action ?? null)}`,
    );
  }
}

function capabilityJson(c: Capability): JsonObject {
  const o: JsonObject = {};
  for (const [k, v] of Object.entries(c)) o[k] = Buffer.isBuffer(v) ? v.toString("hex") : (v as Json);
  return o;
}

export function openJson(m: OpenMessage): JsonObject {
  return {
    type: "OPEN",
    version: m.version,
    asn: openAsn(m),
    my_asn: m.myAsn,
    hold_time: m.holdTime,
    bgp_id: m.bgpId,
    capabilities: m.capabilities.map(capabilityJson),
  };
}

/** Any BGP message as a JSON object (type first); decode output writes UPDATEs with writeUpdateFields. */
export function bgpMessageJson(m: BgpMessage): JsonObject {
  switch (m.type) {
    case "UPDATE": {
      const { writer, text } = memoryWriter();
      writer.char(123);
      writeUpdateFields(writer, m);
      writer.char(125);
      return JSON.parse(text()) as JsonObject;
    }
    case "OPEN":
      return openJson(m);
    case "NOTIFICATION": {
      const names = notificationNames(m.code, m.subcode);
      const o: JsonObject = {
        type: "NOTIFICATION",
        code: m.code,
        subcode: m.subcode,
        code_name: names.codeName,
        subcode_name: names.subcodeName,
        data: m.data.toString("hex"),
      };
      if (m.shutdownMessage !== undefined) o.shutdown_message = m.shutdownMessage;
      return o;
    }
    case "ROUTE-REFRESH":
      return { type: "ROUTE-REFRESH", afi: m.afi, safi: m.safi, subtype: m.subtype };
    case "KEEPALIVE":
      return { type: "KEEPALIVE" };
  }
}
