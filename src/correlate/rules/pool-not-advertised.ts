/**
 * PoolNotAdvertised (warning): a MetalLB pool that neither Calico's serviceLoadBalancerIPs nor any
 * announced route covers: MetalLB (controller only) hands out its addresses, but nothing ever
 * announces them.
 */
import { parsePrefix, prefixCovers } from "../../../codec/ip.js";
import type { Condition } from "../condition.js";
import type { RuleContext } from "./context.js";

export function poolNotAdvertised({ view, facts, complete }: RuleContext): Condition[] {
  if (!complete) return [];
  const calico = view.calico.serviceLoadBalancerIPs.flatMap((c) => {
    try {
      return [parsePrefix(c)];
    } catch {
      return [];
    }
  });
  const out: Condition[] = [];
  for (const pool of view.pools) {
    for (const cidr of pool.cidrs) {
      const p = parsePrefix(cidr);
      if (calico.some((c) => prefixCovers(c, p))) continue;
      const network = cidr.slice(0, cidr.indexOf("/"));
      if (facts.exists(cidr) || facts.covering(network).some((r) => prefixCovers(parsePrefix(r.prefix), p)))
        continue;
      out.push({
        alertname: "PoolNotAdvertised",
        severity: "warning",
        labels: { namespace: pool.namespace, pool: pool.name, prefix: cidr },
        annotations: {
          summary: `MetalLB pool ${pool.namespace}/${pool.name} (${cidr}) is not advertised by Calico`,
          description:
            `Calico's BGPConfiguration spec.serviceLoadBalancerIPs does not include ${cidr} and no route covering it ` +
            `is announced. MetalLB in controller-only mode allocates service addresses from this pool, but Calico ` +
            `announces only the ranges listed in serviceLoadBalancerIPs, so services that get these addresses are unreachable.`,
          fix: `Add ${cidr} to spec.serviceLoadBalancerIPs of the default BGPConfiguration (\`calicoctl patch bgpconfig default ...\`).`,
        },
      });
    }
  }
  return out;
}
