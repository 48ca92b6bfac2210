/** GET / — a plain HTML page of the daemon's state for a person with a browser (the API has the same, as JSON). */
import type { Alert } from "../alerts/lifecycle.js";
import type { ServiceStatus } from "../correlate/engine.js";
import { formatTimestamp } from "../core/time.js";

export interface StatusData {
  sessions: {
    address: string;
    state: string;
    asn?: number;
    prefixes: { ipv4: number; ipv6: number };
    synced: boolean;
  }[];
  routers: { address: string; sysName?: string; peers: unknown[] }[];
  services: ServiceStatus[];
  firing: Alert[];
}

const esc = (s: unknown): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

function table(head: string[], rows: unknown[][]): string {
  if (rows.length === 0) return "<p>none</p>";
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</table>`;
}

export function statusPage(d: StatusData): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>routewatch</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style></head><body>
<h1>routewatch</h1>
<h2>Firing alerts</h2>${table(
    ["since", "alert", "severity", "service", "node", "prefix", "summary"],
    d.firing.map((a) => [
      formatTimestamp(a.activeSinceMicros),
      a.labels.alertname,
      a.labels.severity,
      a.labels.service ? `${a.labels.namespace}/${a.labels.service}` : "",
      a.labels.node ?? "",
      a.labels.prefix ?? "",
      a.annotations.summary,
    ]),
  )}
<h2>Services</h2>${table(
    ["service", "IP", "policy", "endpoint nodes", "BGP", "BMP post", "Loc-RIB", "ECMP", "verdict"],
    d.services.map((s) => [
      `${s.namespace}/${s.name}`,
      s.ips.join(", "),
      s.policy,
      s.endpointNodes.join(", "),
      (s.advertisers.bgp ?? []).join(", "),
      (s.advertisers["bmp-post"] ?? []).join(", "),
      (s.advertisers["bmp-locrib"] ?? []).join(", "),
      s.ecmp.width,
      s.verdict.join(", "),
    ]),
  )}
<h2>BGP sessions</h2>${table(
    ["peer", "state", "ASN", "IPv4", "IPv6", "initial table"],
    d.sessions.map((s) => [
      s.address,
      s.state,
      s.asn ?? "",
      s.prefixes.ipv4,
      s.prefixes.ipv6,
      s.synced ? "complete" : "loading",
    ]),
  )}
<h2>BMP routers</h2>${table(
    ["router", "sysName", "peers"],
    d.routers.map((r) => [r.address, r.sysName ?? "", r.peers.length]),
  )}
<p>JSON: <a href="/api/v1/peers">peers</a> · <a href="/api/v1/services">services</a> · <a href="/api/v1/alerts">alerts</a> · <a href="/api/v1/routes">routes</a> · <a href="/metrics">metrics</a></p>
</body></html>
`;
}
