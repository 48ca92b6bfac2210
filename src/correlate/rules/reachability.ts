/**
 * ServiceUnreachable (critical): a LoadBalancer address with ready endpoints that no route covers at
 * all (no /32, no aggregate): nobody outside the cluster can reach it.
 *
 * AggregateOnly (warning): a Local service whose ready nodes do not announce its /32, so it is
 * reachable only through a pool aggregate announced by nodes without endpoints: ECMP sprays its
 * traffic onto nodes that drop it.
 *
 * Both are verdicts about missing routes, so they wait until every view's initial table is in.
 */
import type { Condition } from "../condition.js";
import { hostPrefix, list, loadBalancers, serviceLabels, type RuleContext } from "./context.js";

export function reachability({ view, facts, complete }: RuleContext): Condition[] {
  if (!complete) return [];
  const out: Condition[] = [];
  for (const svc of loadBalancers(view)) {
    const hasReadyEndpoint = svc.endpoints.some((e) => e.ready);
    if (!hasReadyEndpoint) continue;
    for (const ip of svc.ips) {
      const prefix = hostPrefix(ip);
      const exact = facts.advertisements(prefix);
      const covering = facts.covering(ip);
      if (exact.length === 0 && covering.length === 0) {
        out.push({
          alertname: "ServiceUnreachable",
          severity: "critical",
          labels: { ...serviceLabels(svc), prefix },
          annotations: {
            summary: `${svc.namespace}/${svc.name} (${ip}) has ready endpoints but no route covers it`,
            description:
              `No view (direct BGP sessions, the ToR's BMP Adj-RIB-In, post-policy or Loc-RIB) has a route for ${prefix} ` +
              `or any shorter prefix covering it, although the service has ready endpoints on ${list(svc.readyNodes)}. ` +
              `Traffic to ${ip} from outside the cluster has nowhere to go.`,
            fix:
              `Make Calico advertise the service range: add the MetalLB pool's CIDR to BGPConfiguration ` +
              `spec.serviceLoadBalancerIPs (\`calicoctl get bgpconfig default -o yaml\`), and check the nodes' BGP ` +
              `sessions to the ToR (\`calicoctl node status\`).`,
          },
        });
        continue;
      }
      if (svc.policy !== "Local" || svc.readyNodes.size === 0) continue;
      const announcing = facts.announcingNodes(prefix);
      const fromReady = [...announcing.keys()].filter((n) => svc.readyNodes.has(n));
      if (fromReady.length > 0 || covering.length === 0) continue;
      const aggregate = covering[0]!;
      const empty = new Set(
        aggregate.advertisements.map((a) => a.node ?? a.address).filter((n) => !svc.readyNodes.has(n)),
      );
      if (empty.size === 0) continue;
      out.push({
        alertname: "AggregateOnly",
        severity: "warning",
        labels: { ...serviceLabels(svc), prefix },
        annotations: {
          summary: `${svc.namespace}/${svc.name} (${ip}) is reachable only through the aggregate ${aggregate.prefix}, announced by nodes without endpoints`,
          description:
            `Service ${svc.namespace}/${svc.name} has externalTrafficPolicy: Local and ready endpoints on ` +
            `${list(svc.readyNodes)}, but none of them announces ${prefix}. The only route is ${aggregate.prefix}, ` +
            `announced by ${list(empty)} (which have no endpoint): the ToR spreads the traffic over them with ECMP ` +
            `and they drop it.`,
          fix:
            `Calico announces /32s for Local services only when the service range is in BGPConfiguration ` +
            `spec.serviceLoadBalancerIPs; check it contains ${ip}, and that calico-node on ${list(svc.readyNodes)} ` +
            `sees the service's endpoints.`,
        },
      });
    }
  }
  return out;
}
