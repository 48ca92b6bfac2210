/**
 * EndpointWithoutRoute (warning): a node has a ready endpoint of a Local service but does not
 * announce its /32 (/128) in any view where that node is visible and its table is complete. The
 * service works through the other nodes, with less capacity and no redundancy on this one.
 */
import type { Condition } from "../condition.js";
import { hostPrefix, list, loadBalancers, serviceLabels, type RuleContext } from "./context.js";

export function endpointWithoutRoute({ view, facts, knownViews }: RuleContext): Condition[] {
  const out: Condition[] = [];
  for (const svc of loadBalancers(view)) {
    if (svc.policy !== "Local") continue;
    for (const ip of svc.ips) {
      const prefix = hostPrefix(ip);
      const announcing = facts.announcingNodes(prefix);
      for (const node of svc.readyNodes) {
        // Only a complete table is evidence of absence (start-up is not an outage); a view the node
        // had a complete table in before stays evidence after its session is gone.
        const synced = new Set([...facts.nodeVisibility(node).synced, ...(knownViews.get(node) ?? [])]);
        if (synced.size === 0) continue;
        const where = announcing.get(node);
        if (where && [...where].some((s) => synced.has(s) || s === "bmp-locrib")) continue;
        out.push({
          alertname: "EndpointWithoutRoute",
          severity: "warning",
          labels: { ...serviceLabels(svc), node, prefix },
          annotations: {
            summary: `${node} has a ready endpoint of ${svc.namespace}/${svc.name} but does not announce ${prefix}`,
            description:
              `Service ${svc.namespace}/${svc.name} (externalTrafficPolicy: Local) has a ready endpoint on ${node}, but ` +
              `${node} does not announce ${prefix} in ${list(synced)} (views where its table was complete; a lost session ` +
              `announces nothing). Nodes announcing it: ${list(announcing.keys())}. The pods on ${node} get no external ` +
              `traffic; if they are the only endpoints, the service is down.`,
            fix:
              `Check that Calico's BGPConfiguration lists the service range in serviceLoadBalancerIPs and that calico-node ` +
              `on ${node} is healthy (\`calicoctl node status\`, \`birdc show route ${prefix}\` on ${node}). Check the ` +
              `EndpointSlice's nodeName matches the Node object's name.`,
          },
        });
      }
    }
  }
  return out;
}
