/**
 * STATISTICS-REPORT values (RFC 7854 4.8, RFC 8671 5) as named numbers. Per-AFI/SAFI gauges get the
 * family in the name ("per-afi-safi-loc-rib-routes:ipv4-unicast"). A type IANA does not list is
 * named "type-N"; its value is read when it has a counter's 4 or a gauge's 8 bytes (FRR sends its
 * experimental type 65531 as a 4-byte counter), otherwise it is left out.
 */
import { familyName } from "../../../codec/bgp/index.js";
import type { BmpStat } from "../../../codec/bmp/index.js";

export function statValues(stats: readonly BmpStat[], visit: (name: string, value: number) => void): void {
  for (const s of stats) {
    const name = s.name === "unknown" ? `type-${s.type}` : s.name;
    switch (s.format) {
      case "counter32":
      case "gauge64":
        visit(name, s.value);
        break;
      case "afi-safi-gauge64":
        visit(`${name}:${familyName(s.afi, s.safi)}`, s.value);
        break;
      case "bytes":
        if (s.data.length === 4) visit(name, s.data.readUInt32BE(0));
        else if (s.data.length === 8) visit(name, s.data.readUInt32BE(0) * 2 ** 32 + s.data.readUInt32BE(4));
        break;
    }
  }
}
