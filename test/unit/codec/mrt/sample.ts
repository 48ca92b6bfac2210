/**
 * A small MRT file made with the writer that touches every record kind and every bgpdump column:
 * BGP4MP and BGP4MP_ET, 2- and 4-byte AS, ADD-PATH, *_LOCAL, IPv6 peering, state changes, non-UPDATE
 * messages, a PEER_INDEX_TABLE with IPv4 and IPv6 peers, RIB records (unicast, multicast, ADD-PATH,
 * generic), TABLE_DUMP v1 entries built by hand (RFC 6396 4.2), and a record of an unknown type.
 */
import {
  attr,
  encodeAttributes,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeUpdate,
  type PathAttribute,
} from "../../../../codec/bgp/index.js";
import { parseIp } from "../../../../codec/ip.js";
import {
  encodeBgp4mpMessage,
  encodeBgp4mpStateChange,
  encodeMrtRecord,
  encodePeerIndexTable,
  encodeRibAttributes,
  encodeRibEntries,
  MRT_BGP4MP,
  MRT_TABLE_DUMP,
  MRT_TABLE_DUMP_V2,
  TDV2_RIB_GENERIC,
} from "../../../../codec/mrt/index.js";

const T0 = 1_795_000_000_000_000;

const atomicAggregate: PathAttribute = { name: "ATOMIC_AGGREGATE", code: 6, flags: 0x40 };
const aggregator = (asn: number, address: string): PathAttribute => ({
  name: "AGGREGATOR",
  code: 7,
  flags: 0xc0,
  asn,
  address,
});
const as4Path = (asns: number[]): PathAttribute => ({
  name: "AS4_PATH",
  code: 17,
  flags: 0xc0,
  segments: [{ type: 2, asns }],
});

/** TABLE_DUMP (v1) entry: view, sequence, prefix, length, status, time, peer IP, peer AS, attributes. */
export function tableDumpV1(
  tsMicros: number,
  f: {
    view: number;
    sequence: number;
    prefix: string;
    status: number;
    originated: number;
    peerIp: string;
    peerAs: number;
  },
  attributes: Buffer,
): Buffer {
  const [addrText, lenText] = f.prefix.split("/");
  const addr = parseIp(addrText!)!;
  const peer = parseIp(f.peerIp)!;
  const body = Buffer.alloc(4 + addr.length + 6 + peer.length + 4 + attributes.length);
  let off = body.writeUInt16BE(f.view, 0);
  off = body.writeUInt16BE(f.sequence, off);
  off += addr.copy(body, off);
  body[off++] = Number(lenText);
  body[off++] = f.status;
  off = body.writeUInt32BE(f.originated, off);
  off += peer.copy(body, off);
  off = body.writeUInt16BE(f.peerAs, off);
  off = body.writeUInt16BE(attributes.length, off);
  attributes.copy(body, off);
  return encodeMrtRecord({ tsMicros, type: MRT_TABLE_DUMP, subtype: addr.length === 4 ? 1 : 2, body });
}

export function sampleRecords(): Buffer[] {
  const recs: Buffer[] = [];
  const v4 = { peerAs: 65001, localAs: 64500, peerIp: "127.0.0.2", localIp: "127.0.0.1" };
  const v6 = { peerAs: 4_200_000_001, localAs: 64500, peerIp: "2001:db8::2", localIp: "2001:db8::1" };

  recs.push(encodeBgp4mpStateChange({ tsMicros: T0, ...v4, oldState: 1, newState: 2 }));
  recs.push(
    encodeBgp4mpStateChange({
      tsMicros: T0 + 5,
      extendedTimestamp: true,
      as4: false,
      ...v4,
      oldState: 5,
      newState: 6,
    }),
  );
  recs.push(
    encodeBgp4mpStateChange({ tsMicros: T0 + 7, extendedTimestamp: true, ...v6, oldState: 6, newState: 1 }),
  );
  // Zebra/FRR's short state change of an address-less peer: AS numbers and states only.
  recs.push(
    encodeMrtRecord({
      tsMicros: T0 + 8,
      type: MRT_BGP4MP,
      subtype: 0,
      body: Buffer.from("fde8fde800010008", "hex"),
    }),
  );
  recs.push(
    encodeMrtRecord({
      tsMicros: T0 + 9,
      type: MRT_BGP4MP,
      subtype: 5,
      body: Buffer.from("0000fde80000fde800060008", "hex"),
    }),
  );
  const open = encodeOpen({ asn: 65001, holdTime: 90, bgpId: "127.0.0.2", capabilities: [] });
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 10, ...v4, bgp: open }));
  recs.push(
    encodeBgp4mpMessage({ tsMicros: T0 + 11, extendedTimestamp: true, ...v4, bgp: encodeKeepalive() }),
  );

  // 4-byte AS, every bgpdump column, two prefixes.
  const rich = encodeUpdate({
    nlri: [{ prefix: "10.1.0.0/24" }, { prefix: "10.2.0.0/16" }],
    attributes: [
      attr.origin("IGP"),
      attr.asPath([65001, 4_200_000_000]),
      attr.nextHop("10.0.0.1"),
      attr.med(5),
      attr.localPref(200),
      attr.communities([0xfde80064, 0xffffff01, 0xffffff02, 0xffffff03, 0xffff029a]),
      attr.largeCommunities([
        [4_200_000_000, 1, 2],
        [65001, 0, 7],
      ]),
    ],
  });
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 123_456, extendedTimestamp: true, ...v4, bgp: rich }));

  // ADD-PATH, IPv6 peering: body withdrawals and NLRI plus MP_REACH with a link-local next hop;
  // sets and confederation segments; ATOMIC_AGGREGATE and AGGREGATOR.
  const addPathOpts = { as4: true, addPathAll: true };
  const ap = encodeUpdate(
    {
      withdrawn: [{ prefix: "10.9.0.0/24", pathId: 7 }],
      nlri: [{ prefix: "10.1.0.0/24", pathId: 3 }],
      attributes: [
        attr.origin("EGP"),
        attr.asPath([
          { type: 2, asns: [65001] },
          { type: 1, asns: [1, 2] },
          { type: 3, asns: [5, 6] },
          { type: 4, asns: [7, 8] },
        ]),
        attr.nextHop("10.0.0.1"),
        atomicAggregate,
        aggregator(4_200_000_000, "192.0.2.9"),
        attr.mpReach(2, 1, ["2001:db8::1", "fe80::1"], [{ prefix: "2001:db8:1::/48", pathId: 9 }]),
      ],
    },
    addPathOpts,
  );
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 1_000_000, ...v6, bgp: ap, addPath: true }));
  recs.push(
    encodeBgp4mpMessage({
      tsMicros: T0 + 1_000_001,
      extendedTimestamp: true,
      ...v4,
      bgp: ap,
      addPath: true,
      local: true,
    }),
  );

  // MP_UNREACH only, and MP_REACH for IPv4 multicast.
  const mpWithdraw = encodeUpdate({
    attributes: [attr.mpUnreach(2, 1, [{ prefix: "2001:db8:1::/48" }, { prefix: "::/0" }])],
  });
  recs.push(
    encodeBgp4mpMessage({ tsMicros: T0 + 2_000_000, extendedTimestamp: true, ...v6, bgp: mpWithdraw }),
  );
  const mcast = encodeUpdate({
    attributes: [
      attr.origin("IGP"),
      attr.asPath([65001]),
      attr.mpReach(1, 2, ["10.0.0.9"], [{ prefix: "232.1.0.0/16" }]),
    ],
  });
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 2_500_000, ...v4, bgp: mcast }));

  // 2-byte AS session: AS_TRANS in AS_PATH and AGGREGATOR, the real ones in AS4_PATH / AS4_AGGREGATOR.
  const old = encodeUpdate(
    {
      nlri: [{ prefix: "10.3.0.0/24" }, { prefix: "10.3.1.128/25" }],
      attributes: [
        attr.origin("INCOMPLETE"),
        attr.asPath([65001, 23456, 64999]),
        attr.nextHop("10.0.0.1"),
        aggregator(23456, "192.0.2.1"),
        { name: "AS4_AGGREGATOR", code: 18, flags: 0xc0, asn: 4_200_000_002, address: "192.0.2.1" },
        as4Path([4_200_000_000, 64999]),
      ],
    },
    { as4: false },
  );
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 3_000_000, as4: false, ...v4, bgp: old }));
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 3_000_001, as4: false, local: true, ...v4, bgp: old }));
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 3_500_000, ...v4, bgp: encodeNotification(6, 2) }));
  // No ORIGIN, no NEXT_HOP: what bgpdump prints for absent attributes.
  const bare = encodeUpdate({ nlri: [{ prefix: "10.4.0.0/16" }], attributes: [attr.asPath([65001])] });
  recs.push(encodeBgp4mpMessage({ tsMicros: T0 + 3_600_000, ...v4, bgp: bare }));

  // A table dump: peers, then RIB records of every IP subtype.
  const dumpTs = T0 + 10_000_000;
  recs.push(
    encodePeerIndexTable({
      tsMicros: dumpTs,
      collectorBgpId: "192.0.2.254",
      viewName: "master",
      peers: [
        { bgpId: "192.0.2.2", address: "127.0.0.2", asn: 65001, as4: false },
        { bgpId: "192.0.2.3", address: "2001:db8::3", asn: 4_200_000_000 },
      ],
    }),
  );
  const ribAttrs = (path: number[], nextHop: string, extra: PathAttribute[] = []): Buffer =>
    encodeRibAttributes([
      attr.origin("IGP"),
      attr.asPath(path),
      nextHop.includes(":") ? attr.mpReach(2, 1, nextHop.split(","), []) : attr.nextHop(nextHop),
      ...extra,
    ]);
  recs.push(
    encodeRibEntries({
      tsMicros: dumpTs,
      sequence: 0,
      prefix: "10.1.0.0/24",
      entries: [
        {
          peerIndex: 0,
          originatedTimeSec: 1_794_000_000,
          attributes: ribAttrs([65001], "10.0.0.1", [attr.med(10)]),
        },
        {
          peerIndex: 1,
          originatedTimeSec: 1_794_000_001,
          attributes: ribAttrs([4_200_000_000, 65001], "10.0.0.3", [
            attr.communities([(65001 << 16) + 5]),
            attr.localPref(50),
          ]),
        },
      ],
    }),
  );
  recs.push(
    encodeRibEntries({
      tsMicros: dumpTs,
      sequence: 1,
      prefix: "2001:db8:5::/48",
      entries: [
        {
          peerIndex: 1,
          originatedTimeSec: 1_794_000_002,
          attributes: ribAttrs([4_200_000_000], "2001:db8::3,fe80::3"),
        },
      ],
    }),
  );
  recs.push(
    encodeRibEntries({
      tsMicros: dumpTs,
      sequence: 2,
      prefix: "232.0.0.0/8",
      safi: 2,
      entries: [
        { peerIndex: 0, originatedTimeSec: 1_794_000_003, attributes: ribAttrs([65001], "10.0.0.1") },
      ],
    }),
  );
  recs.push(
    encodeRibEntries({
      tsMicros: dumpTs,
      sequence: 3,
      prefix: "10.7.0.0/24",
      addPath: true,
      entries: [
        {
          peerIndex: 0,
          pathId: 11,
          originatedTimeSec: 1_794_000_004,
          attributes: ribAttrs([65001], "10.0.0.1"),
        },
        {
          peerIndex: 0,
          pathId: 12,
          originatedTimeSec: 1_794_000_005,
          attributes: ribAttrs([65001, 65002], "10.0.0.2"),
        },
      ],
    }),
  );
  recs.push(
    encodeRibEntries({
      tsMicros: dumpTs,
      sequence: 4,
      prefix: "2001:db8:7::/48",
      addPath: true,
      entries: [
        {
          peerIndex: 1,
          pathId: 1,
          originatedTimeSec: 1_794_000_006,
          attributes: ribAttrs([4_200_000_000], "2001:db8::3"),
        },
      ],
    }),
  );
  // RIB_GENERIC (kept raw by both decoders) and a record type nobody reads (OSPFv2).
  recs.push(
    encodeMrtRecord({
      tsMicros: dumpTs,
      type: MRT_TABLE_DUMP_V2,
      subtype: TDV2_RIB_GENERIC,
      body: Buffer.from("00000005001946" + "0000", "hex"),
    }),
  );
  recs.push(encodeMrtRecord({ tsMicros: dumpTs, type: 11, subtype: 0, body: Buffer.from("hello") }));

  // TABLE_DUMP v1: 2-byte AS attributes.
  const v1Attrs = (nextHop: string): Buffer =>
    encodeAttributes(
      [
        attr.origin("IGP"),
        attr.asPath([65001, 65002]),
        attr.nextHop(nextHop),
        attr.communities([0xffffff01]),
      ],
      {
        as4: false,
      },
    );
  const v1 = { view: 0, status: 1, originated: 1_794_000_010, peerIp: "192.0.2.2", peerAs: 65001 };
  recs.push(
    tableDumpV1(dumpTs + 1_000_000, { ...v1, sequence: 0, prefix: "10.8.0.0/16" }, v1Attrs("10.0.0.8")),
  );
  recs.push(
    tableDumpV1(dumpTs + 1_000_000, { ...v1, sequence: 1, prefix: "10.8.1.0/24" }, v1Attrs("10.0.0.9")),
  );
  return recs;
}
