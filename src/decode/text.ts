/**
 * `decode --format text`: one line per route in the spirit of `bgpdump -m`
 * (`ts|source|A|peer|peer_as|prefix|as_path|origin|next_hop|local_pref|med|communities|large_communities|AG/NAG|aggregator`),
 * and one line for every other message.
 */
import {
  asPathToString,
  communityToString,
  largeCommunityToString,
  notificationNames,
  openAsn,
  type BgpMessage,
  type RouteAttributes,
} from "../../codec/bgp/index.js";

/**
 * The part of a route line after the prefix: `as_path|origin|next_hop|local_pref|med|communities|
 * large_communities|AG/NAG|aggregator`, the same for every prefix of an UPDATE (so built once).
 */
export function routeTail(a: RouteAttributes, mp: boolean): string {
  return [
    a.asPath ? asPathToString(a.asPath) : "",
    a.origin ?? "",
    (mp ? a.mpNextHops?.[0] : a.nextHop) ?? a.nextHop ?? a.mpNextHops?.[0] ?? "",
    a.localPref ?? "",
    a.med ?? "",
    a.communities ? a.communities.map(communityToString).join(" ") : "",
    a.largeCommunities ? a.largeCommunities.map(largeCommunityToString).join(" ") : "",
    a.atomicAggregate ? "AG" : "NAG",
    a.aggregator ? `${a.aggregator.asn} ${a.aggregator.address}` : "",
  ].join("|");
}

/** The one-line summary of a message that is not an UPDATE. */
export function messageLine(head: string, m: BgpMessage): string {
  switch (m.type) {
    case "OPEN":
      return `${head}|OPEN|as ${openAsn(m)}|hold ${m.holdTime}|id ${m.bgpId}|${m.capabilities.map((c) => c.name).join(",")}`;
    case "NOTIFICATION": {
      const n = notificationNames(m.code, m.subcode);
      return `${head}|NOTIFICATION|${m.code}/${m.subcode} ${n.codeName} / ${n.subcodeName}${m.shutdownMessage !== undefined ? `|"${m.shutdownMessage}"` : ""}`;
    }
    case "ROUTE-REFRESH":
      return `${head}|ROUTE-REFRESH|afi ${m.afi} safi ${m.safi} subtype ${m.subtype}`;
    case "KEEPALIVE":
      return `${head}|KEEPALIVE`;
    case "UPDATE":
      return `${head}|UPDATE`;
  }
}
