/** What every rule gets to look at. */
import type { ServiceState, ServiceView } from "../../inventory/types.js";
import type { RouteFacts } from "../facts.js";

export interface RuleContext {
  view: ServiceView;
  facts: RouteFacts;
  /** Host routes (/32, /128) present in any view, for rules that look for routes nobody expects. */
  hostRoutes: Iterable<string>;
  /**
   * Views in which each node once had a complete table. A node whose session is gone since then
   * announces nothing there, which is evidence too (unlike a node never seen).
   */
  knownViews: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * The routes are complete enough to say one is missing: every peer has its initial table, or
   * there are none left of peers that had (every session lost is evidence; none yet is start-up).
   */
  complete: boolean;
}

/** LoadBalancer services that have an address. */
export function loadBalancers(view: ServiceView): ServiceState[] {
  return view.services.filter((s) => s.type === "LoadBalancer" && s.ips.length > 0);
}

/** "10.208.1.5" -> "10.208.1.5/32"; IPv6 -> "/128". */
export function hostPrefix(ip: string): string {
  return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
}

export function serviceLabels(s: ServiceState): { namespace: string; service: string } {
  return { namespace: s.namespace, service: s.name };
}

/** "node1, node2" or "none". */
export function list(items: Iterable<string>): string {
  const a = [...items].sort();
  return a.length ? a.join(", ") : "none";
}
