/** The collector's small parts: router addresses and the allow list, statistic names, view ids. */
import { describe, expect, it } from "vitest";
import { decodeBmp, type BmpStat } from "../../../../codec/bmp/index.js";
import { RouterAllowList, socketAddress } from "../../../../src/session/bmp/address.js";
import { statValues } from "../../../../src/session/bmp/stats.js";
import { viewRef } from "../../../../src/session/bmp/views.js";
import { bmpMessages } from "./streams.js";

describe("router addresses", () => {
  it("an IPv4 client on a dual-stack listener is named by its IPv4 address", () => {
    expect(socketAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(socketAddress("::1")).toBe("::1");
    expect(socketAddress("2001:db8::ffff:1")).toBe("2001:db8::ffff:1");
    expect(socketAddress(undefined)).toBe("");
  });

  it("the allow list matches CIDRs of either family; empty allows any", () => {
    const allow = new RouterAllowList(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]);
    expect(["10.1.2.3", "2001:db8:1::9", "192.0.2.7"].map((a) => allow.allows(a))).toEqual([
      true,
      true,
      true,
    ]);
    expect(["11.0.0.1", "2001:db9::1", "192.0.2.8", "", "not-an-ip"].map((a) => allow.allows(a))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(new RouterAllowList([]).allows("203.0.113.1")).toBe(true);
  });
});

describe("statistics", () => {
  it("names the values of a real GoBGP report, and of per-AFI/SAFI and unknown stats", () => {
    const report = bmpMessages("gobgp-bmp-locrib.pcap")
      .map((m) => decodeBmp(m))
      .find((m) => m.type === "STATISTICS-REPORT" && m.peer.address === "127.0.4.1");
    if (report?.type !== "STATISTICS-REPORT") throw new Error("no report");
    const seen: [string, number][] = [];
    statValues(report.stats, (name, value) => seen.push([name, value]));
    // Values as tshark and the codec's golden tests read them (fixtures/README.md: types 7, 8, 11, 12).
    expect(seen).toEqual([
      ["adj-rib-in-routes", 3],
      ["loc-rib-routes", 3],
      ["treat-as-withdraw-updates", 1],
      ["treat-as-withdraw-prefixes", 1],
    ]);
    const more: BmpStat[] = [
      {
        type: 10,
        name: "per-afi-safi-loc-rib-routes",
        format: "afi-safi-gauge64",
        afi: 2,
        safi: 1,
        value: 7,
      },
      { type: 65531, name: "unknown", format: "bytes", data: Buffer.from([0, 0, 0, 9]) },
      { type: 65532, name: "unknown", format: "bytes", data: Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]) },
      { type: 65533, name: "unknown", format: "bytes", data: Buffer.from([1, 2, 3]) },
    ];
    const named: [string, number][] = [];
    statValues(more, (name, value) => named.push([name, value]));
    expect(named).toEqual([
      ["per-afi-safi-loc-rib-routes:ipv6-unicast", 7],
      ["type-65531", 9],
      ["type-65532", 2 ** 32 + 2],
    ]);
  });
});

describe("views", () => {
  it("gives every view of a peer its own id: pre, post, Adj-RIB-Out pre/post, Loc-RIB", () => {
    const rm = bmpMessages("gobgp-bmp-locrib.pcap")
      .map((m) => decodeBmp(m))
      .filter((m) => m.type === "ROUTE-MONITORING");
    const peer = rm.find((m) => m.peer.peerType === 0)!.peer;
    const loc = rm.find((m) => m.peer.peerType === 3)!.peer;
    const ids = [
      { ...peer, postPolicy: false },
      { ...peer, postPolicy: true },
      { ...peer, adjRibOut: true, postPolicy: false },
      { ...peer, adjRibOut: true, postPolicy: true },
      loc,
    ].map((h) => viewRef("r1", h).id);
    expect(ids).toEqual([
      "bmp-pre|r1|0:0|127.0.4.1",
      "bmp-post|r1|0:0|127.0.4.1",
      "bmp-out|r1|0:0|127.0.4.1|pre",
      "bmp-out|r1|0:0|127.0.4.1|post",
      "bmp-locrib|r1|0:0|127.0.3.1",
    ]);
    expect(viewRef("r1", loc)).toMatchObject({ source: "bmp-locrib", address: "127.0.3.1", asn: 65030 });
  });
});
