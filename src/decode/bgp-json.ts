/**
 * BGP messages as plain JSON-ready objects: the `decode --format json` contract
 * (`type`, and for UPDATEs `announced` / `withdrawn` as "prefix/len" strings plus `attributes`).
 */
import {
  asPathToString,
  communityToString,
  extCommunityToString,
  largeCommunityToString,
  notificationNames,
  openAsn,
  routeAttributes,
  type BgpMessage,
  type Capability,
  type OpenMessage,
  type RouteAttributes,
  type UpdateMessage,
} from "../../codec/bgp/index.js";
import type { BgpError } from "../../codec/errors.js";
import { prefixToString } from "../../codec/ip.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * The route attributes as JSON text. Built by hand: this runs for every UPDATE and RIB entry of a
 * decode, and every value here is a number or a string that needs no escaping (addresses,
 * AS paths, community text, hex).
 */
export function attributesJsonText(a: RouteAttributes): string {
  let o = "";
  const add = (key: string, value: string): void => {
    o += o === "" ? `"${key}":${value}` : `,"${key}":${value}`;
  };
  if (a.origin !== undefined) add("origin", `"${a.origin}"`);
  if (a.asPath !== undefined) add("as_path", `"${asPathToString(a.asPath)}"`);
  if (a.nextHop !== undefined) add("next_hop", `"${a.nextHop}"`);
  if (a.mpNextHops !== undefined) add("mp_next_hops", stringList(a.mpNextHops));
  if (a.med !== undefined) add("med", String(a.med));
  if (a.localPref !== undefined) add("local_pref", String(a.localPref));
  if (a.atomicAggregate) add("atomic_aggregate", "true");
  if (a.aggregator) add("aggregator", `{"asn":${a.aggregator.asn},"address":"${a.aggregator.address}"}`);
  if (a.communities) add("communities", stringList(a.communities.map(communityToString)));
  if (a.largeCommunities)
    add("large_communities", stringList(a.largeCommunities.map(largeCommunityToString)));
  if (a.extCommunities) add("ext_communities", stringList(a.extCommunities.map(extCommunityToString)));
  if (a.originatorId !== undefined) add("originator_id", `"${a.originatorId}"`);
  if (a.clusterList) add("cluster_list", stringList(a.clusterList));
  if (a.otc !== undefined) add("otc", String(a.otc));
  if (a.unknown) {
    add(
      "unknown",
      `[${a.unknown.map((u) => `{"code":${u.code},"flags":${u.flags},"value":"${u.value.toString("hex")}"}`).join(",")}]`,
    );
  }
  return `{${o}}`;
}

/** A JSON array of strings that need no escaping. */
function stringList(values: readonly string[]): string {
  return values.length === 0 ? "[]" : `["${values.join('","')}"]`;
}

export function errorJson(e: BgpError): JsonObject {
  return { kind: e.kind, code: e.code, subcode: e.subcode, action: e.action, message: e.message };
}

/**
 * An UPDATE's JSON fields as text, without braces: `"type":"UPDATE","announced":[...],
 * "withdrawn":[...]` (+ `announced_path_ids` / `withdrawn_path_ids` with ADD-PATH), `"attributes"`,
 * `end_of_rib` and `errors` / `error_action` when there are any.
 */
export function updateFieldsJson(u: UpdateMessage, type = "UPDATE"): string {
  let announced = "";
  let announcedIds = "";
  let withdrawn = "";
  let withdrawnIds = "";
  u.forEachAnnounced((afi, buf, off, bits, pathId) => {
    announced +=
      announced === ""
        ? `"${prefixToString(afi, buf, off, bits)}"`
        : `,"${prefixToString(afi, buf, off, bits)}"`;
    if (pathId !== undefined) announcedIds += announcedIds === "" ? String(pathId) : `,${pathId}`;
  });
  u.forEachWithdrawn((afi, buf, off, bits, pathId) => {
    withdrawn +=
      withdrawn === ""
        ? `"${prefixToString(afi, buf, off, bits)}"`
        : `,"${prefixToString(afi, buf, off, bits)}"`;
    if (pathId !== undefined) withdrawnIds += withdrawnIds === "" ? String(pathId) : `,${pathId}`;
  });
  const decoded = u.attributes();
  let o = `"type":"${type}","announced":[${announced}],"withdrawn":[${withdrawn}]`;
  if (announcedIds !== "") o += `,"announced_path_ids":[${announcedIds}]`;
  if (withdrawnIds !== "") o += `,"withdrawn_path_ids":[${withdrawnIds}]`;
  o += `,"attributes":${attributesJsonText(routeAttributes(decoded.attributes, u.options))}`;
  const eor = u.endOfRib();
  if (eor) o += `,"end_of_rib":{"afi":${eor.afi},"safi":${eor.safi}}`;
  if (decoded.errors.length) {
    o += `,"errors":${JSON.stringify(decoded.errors.map(errorJson))},"error_action":${JSON.stringify(decoded.action ?? null)}`;
  }
  return o;
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

/** Any BGP message as JSON fields (type first). UPDATEs are cheaper as text: see updateFieldsJson. */
export function bgpMessageJson(m: BgpMessage): JsonObject {
  switch (m.type) {
    case "UPDATE":
      return JSON.parse(`{${updateFieldsJson(m)}}`) as JsonObject;
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
