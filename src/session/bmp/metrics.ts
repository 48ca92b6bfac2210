/** Scrape-time gauges of the BMP collector, read from the routers' state when Prometheus asks. */
import type { Metrics } from "../../core/metrics.js";
import type { BmpRouter } from "./router.js";

export function registerBmpGauges(metrics: Metrics, routers: () => Iterable<BmpRouter>): void {
  metrics.gauge("routewatch_bmp_routers", "Routers streaming BMP to routewatch", [], (set) => {
    let n = 0;
    for (const _ of routers()) n++;
    set({}, n);
  });
  metrics.gauge(
    "routewatch_bmp_peers",
    "Peers monitored over BMP, by router and state (up, down)",
    ["router", "state"],
    (set) => {
      for (const r of routers()) {
        const { up, down } = r.peerStates();
        set({ router: r.address, state: "up" }, up);
        set({ router: r.address, state: "down" }, down);
      }
    },
  );
  metrics.gauge(
    "routewatch_bmp_stat",
    "Latest BMP STATISTICS-REPORT value (RFC 7854 4.8) by router, monitored peer and stat name",
    ["router", "peer", "stat"],
    (set) => {
      for (const r of routers())
        r.forEachStat((peer, stat, value) => set({ router: r.address, peer, stat }, value));
    },
  );
}
