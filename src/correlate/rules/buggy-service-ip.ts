/**
 * BuggyServiceIP (warning): a service got an IPv4 address ending in .0 or .255 from a pool that does
 * not set avoidBuggyIPs. Some clients and middleboxes treat such addresses as network or broadcast
 * addresses and drop the traffic.
 */
import { parsePrefix, prefixCovers } from "../../../codec/ip.js";
import type { Condition } from "../condition.js";
import { hostPrefix, loadBalancers, serviceLabels, type RuleContext } from "./context.js";

export function buggyServiceIp({ view }: RuleContext): Condition[] {
  const out: Condition[] = [];
  for (const svc of loadBalancers(view)) {
    for (const ip of svc.ips) {
      if (ip.includes(":") || !(ip.endsWith(".0") || ip.endsWith(".255"))) continue;
      const address = parsePrefix(ip);
      const pool =
        view.pools.find((p) => p.name === svc.pool) ??
        view.pools.find((p) => p.cidrs.some((c) => prefixCovers(parsePrefix(c), address)));
      if (pool?.avoidBuggyIPs) continue;
      const poolText = pool ? `${pool.namespace}/${pool.name}` : "unknown";
      out.push({
        alertname: "BuggyServiceIP",
        severity: "warning",
        labels: { ...serviceLabels(svc), prefix: hostPrefix(ip), pool: pool?.name ?? "" },
        annotations: {
          summary: `${svc.namespace}/${svc.name} got ${ip}, an address ending in .${ip.split(".")[3]}`,
          description:
            `MetalLB pool ${poolText} does not set avoidBuggyIPs, so it handed out ${ip}. Clients and devices that ` +
            `treat .0 and .255 as network or broadcast addresses (some consumer routers, older Windows stacks, ACLs) ` +
            `drop traffic to it.`,
          fix: `Set spec.avoidBuggyIPs: true on the IPAddressPool and give the service another address (delete and recreate it, or set spec.loadBalancerIP).`,
        },
      });
    }
  }
  return out;
}
