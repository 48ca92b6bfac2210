/**
 * OrphanRoute (warning): a host route inside a MetalLB pool or a Calico service range that no
 * service owns: a leftover from a deleted service, or an address announced by hand. Traffic to it
 * goes to a node that has nothing behind it.
 */
import { parsePrefix, prefixCovers, type PrefixBytes } from "../../../codec/ip.js";
import type { Condition } from "../condition.js";
import { hostPrefix, loadBalancers, list, type RuleContext } from "./context.js";

function ranges(ctx: RuleContext): { text: string; bytes: PrefixBytes }[] {
  const texts = [
    ...ctx.view.pools.flatMap((p) => p.cidrs),
    ...ctx.view.calico.serviceLoadBalancerIPs,
    ...ctx.view.calico.serviceExternalIPs,
  ];
  return [...new Set(texts)].flatMap((text) => {
    try {
      return [{ text, bytes: parsePrefix(text) }];
    } catch {
      return [];
    }
  });
}

export function orphanRoute(ctx: RuleContext): Condition[] {
  const serviceRanges = ranges(ctx);
  if (serviceRanges.length === 0) return [];
  const owned = new Set(loadBalancers(ctx.view).flatMap((s) => s.ips.map(hostPrefix)));
  const out: Condition[] = [];
  for (const prefix of ctx.hostRoutes) {
    if (owned.has(prefix)) continue;
    const p = parsePrefix(prefix);
    const range = serviceRanges.find((r) => prefixCovers(r.bytes, p));
    if (!range) continue;
    const ads = ctx.facts.advertisements(prefix);
    const byAdvertiser = new Map<string, Set<string>>();
    for (const a of ads) {
      const who = a.node ?? a.address;
      let s = byAdvertiser.get(who);
      if (!s) byAdvertiser.set(who, (s = new Set()));
      s.add(a.source);
    }
    for (const [node, sources] of byAdvertiser) {
      out.push({
        alertname: "OrphanRoute",
        severity: "warning",
        labels: { node, prefix },
        annotations: {
          summary: `${node} announces ${prefix}, inside service range ${range.text}, but no service owns it`,
          description:
            `${prefix} lies in ${range.text} (a MetalLB pool or Calico service range) and is announced by ${node} ` +
            `(seen in: ${list(sources)}), but no LoadBalancer service has this address. Traffic to it reaches ` +
            `${node} and is dropped; if MetalLB later gives the address to a new service, this route steals part of its traffic.`,
          fix:
            `Find what announces it on ${node} (\`birdc show route ${prefix} all\`): a service deleted while ` +
            `calico-node was down, or a static route in a BIRD template. Restart calico-node on ${node} or remove the route.`,
        },
      });
    }
  }
  return out;
}
