/**
 * The table snapshot at the start of a rotated BGP recording: it encodes what the RIB holds (IPv4 and
 * IPv6, ADD-PATH, 2-octet sessions) so that bgpdump and routewatch read it back, and a rotated file
 * replayed on its own reaches the verdicts the whole recording reaches.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  attr,
  decodeMessage,
  encodeKeepalive,
  encodeOpen,
  encodeUpdate,
  type BgpDecodeOptions,
  type UpdateMessage,
} from "../../../codec/bgp/index.js";
import { routeAttributes } from "../../../codec/bgp/attributes.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { buildConfig } from "../../../src/core/config.js";
import { memoryWriter } from "../../../src/core/line-writer.js";
import { createLogger } from "../../../src/core/log.js";
import type { PeerRef } from "../../../src/core/types.js";
import { openInput } from "../../../src/input/open.js";
import { readItems } from "../../../src/input/read-items.js";
import type { RibItem } from "../../../src/input/items.js";
import { Recorder } from "../../../src/record/recorder.js";
import { replay } from "../../../src/record/replay.js";
import { jsonReplayOutput } from "../../../src/record/replay-output.js";
import { encodeRibSnapshot, SNAPSHOT_VIEW } from "../../../src/record/rib-snapshot.js";
import { Rib } from "../../../src/rib/rib.js";
import { labInventory } from "../../helpers/kube-objects.js";

const T0 = Date.parse("2026-11-25T14:00:00Z") * 1000;
const S = 1e6;
const dir = mkdtempSync(join(tmpdir(), "routewatch-snapshot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AS4: BgpDecodeOptions = { as4: true };
const peerRef = (n: number): PeerRef => ({
  id: `bgp|127.0.1.${n}`,
  source: "bgp",
  address: `127.0.1.${n}`,
  asn: 64512,
  bgpId: `127.0.1.${n}`,
});
const asUpdate = (bytes: Buffer, options: BgpDecodeOptions = AS4): UpdateMessage =>
  decodeMessage(bytes, 0, options) as UpdateMessage;

async function ribItems(path: string): Promise<RibItem[]> {
  const input = await openInput(path);
  const out: RibItem[] = [];
  try {
    await readItems(input, { bmpPorts: [] }, (i) => {
      if (i.kind === "rib") {
        const decoded = i.attributes();
        out.push({ ...i, attributes: () => decoded });
      }
    });
  } finally {
    input.close();
  }
  return out;
}

describe("encodeRibSnapshot", () => {
  it("writes every path of every table so that routewatch and bgpdump read the same routes back", async () => {
    const rib = new Rib();
    const [p1, p2, p3] = [peerRef(1), peerRef(2), { ...peerRef(3), asn: 65003 }];
    for (const p of [p1, p2, p3]) rib.addPeer(p);
    const communities = [
      attr.origin(0),
      attr.asPath([{ type: 2, asns: [4200000001] }]),
      attr.communities([0xfde80064]),
    ];
    rib.apply(
      p1,
      asUpdate(
        encodeUpdate({
          attributes: [...communities, attr.nextHop("127.0.1.1")],
          nlri: [{ prefix: "10.208.1.5/32" }, { prefix: "10.208.1.0/24" }],
        }),
      ),
      T0,
    );
    rib.apply(
      p2,
      asUpdate(
        encodeUpdate({
          attributes: [
            attr.origin(0),
            attr.asPath([]),
            attr.mpReach(2, 1, ["fd00::2", "fe80::2"], [{ prefix: "fd00:208::5/128" }]),
          ],
        }),
      ),
      T0 + 1 * S,
    );
    // ADD-PATH: two paths of one prefix from node1.
    const addPath: BgpDecodeOptions = { as4: true, addPathAll: true };
    rib.apply(
      p1,
      asUpdate(
        encodeUpdate(
          {
            attributes: [attr.origin(0), attr.asPath([]), attr.nextHop("127.0.1.1")],
            nlri: [
              { prefix: "10.208.1.6/32", pathId: 7 },
              { prefix: "10.208.1.6/32", pathId: 8 },
            ],
          },
          addPath,
        ),
        addPath,
      ),
      T0 + 2 * S,
    );
    // A 2-octet session: the snapshot still carries 4-octet AS numbers.
    const as2: BgpDecodeOptions = { as4: false };
    rib.apply(
      p3,
      asUpdate(
        encodeUpdate(
          {
            attributes: [
              attr.origin(1),
              attr.asPath([{ type: 2, asns: [65003] }]),
              attr.nextHop("127.0.1.3"),
            ],
            nlri: [{ prefix: "10.208.1.7/32" }],
          },
          as2,
        ),
        as2,
      ),
      T0 + 3 * S,
    );

    const file = join(dir, "snapshot.mrt");
    const tables = [p1, p2, p3].map((peer) => ({ peer, paths: rib.paths(peer.id) }));
    writeFileSync(file, encodeRibSnapshot(T0 + 10 * S, "127.0.0.10", tables));

    const expected = tables.flatMap((t) =>
      [...rib.paths(t.peer.id)].map((p) => ({
        peer: t.peer.address,
        prefix: p.prefix,
        pathId: p.pathId,
        attrs: p.attrs.attrs,
      })),
    );
    const got = (await ribItems(file)).map((i) => ({
      peer: i.peer,
      prefix: i.prefix,
      pathId: i.pathId ?? 0,
      attrs: routeAttributes(i.attributes().attributes, i.options),
      view: i.view,
    }));
    expect(got.every((g) => g.view === SNAPSHOT_VIEW)).toBe(true);
    const strip = (r: { peer: string; prefix: string; pathId: number; attrs: unknown }) => ({
      peer: r.peer,
      prefix: r.prefix,
      pathId: r.pathId,
      attrs: r.attrs,
    });
    const order = (a: { peer: string; prefix: string; pathId: number }, b: typeof a) =>
      `${a.peer} ${a.prefix} ${a.pathId}` < `${b.peer} ${b.prefix} ${b.pathId}` ? -1 : 1;
    expect(got.map(strip).sort(order)).toEqual(expected.sort(order));
    expect(expected).toHaveLength(6);

    // bgpdump, the reference reader: one TABLE_DUMP2 line per path, 4-octet AS path included.
    const lines = execFileSync("bgpdump", ["-m", file], { encoding: "utf8" }).trim().split("\n");
    expect(lines.map((l) => l.split("|").slice(3, 7).join("|")).sort()).toEqual(
      [
        "127.0.1.1|64512|10.208.1.0/24|4200000001",
        "127.0.1.1|64512|10.208.1.5/32|4200000001",
        // ADD-PATH lines (RFC 8050) carry the path id after the prefix.
        "127.0.1.1|64512|10.208.1.6/32|7",
        "127.0.1.1|64512|10.208.1.6/32|8",
        "127.0.1.2|64512|fd00:208::5/128|",
        "127.0.1.3|65003|10.208.1.7/32|65003",
      ].sort(),
    );
    expect(lines.every((l) => /^TABLE_DUMP2(_AP)?\|1795615210\|B\|/.test(l))).toBe(true);
  });
});

describe("a rotated recording", () => {
  const config = buildConfig({ routerId: "127.0.0.10", alerts: { grace: 3 }, bgp: { syncQuiet: 2 } });
  const open = (n: number): Buffer =>
    encodeOpen({
      asn: 64512,
      holdTime: 90,
      bgpId: `127.0.1.${n}`,
      capabilities: [{ name: "as4", code: 65, asn: 64512 }],
    });
  const announce = (n: number, prefixes: string[]): Buffer =>
    encodeUpdate({
      attributes: [attr.origin(0), attr.asPath([]), attr.nextHop(`127.0.1.${n}`)],
      nlri: prefixes.map((prefix) => ({ prefix })),
    });

  /**
   * The three lab nodes announce what the inventory says they should (web's /32 from node1, api's
   * from node2 and node3); after the first file rotated (60 s), node3 announces web's /32 too, then
   * withdraws it. Written by the Recorder as the live daemon does, the RIB fed the same UPDATEs.
   * Returns the directory and its BGP files in time order.
   */
  function record(withSnapshot: boolean): { dir: string; files: string[] } {
    const rec = mkdtempSync(join(dir, "rec-"));
    const clock = new VirtualClock(T0);
    const rib = new Rib();
    const recorder = new Recorder(
      { ...config.record, dir: rec, rotateSeconds: 60 },
      clock,
      createLogger("silent"),
      undefined,
      () => ({
        routerId: config.routerId,
        tables: withSnapshot ? rib.peers().map((peer) => ({ peer, paths: rib.paths(peer.id) })) : [],
      }),
    );
    const send = (n: number, at: number, bytes: Buffer): void => {
      clock.advanceTo(T0 + at * S);
      recorder.bgpMessage({
        tsMicros: T0 + at * S,
        peer: `127.0.1.${n}`,
        local: "127.0.0.10",
        peerAs: 64512,
        localAs: 64512,
        bytes,
        options: AS4,
      });
      if (bytes[18] === 2) rib.apply(peerRef(n), asUpdate(bytes), T0 + at * S);
    };
    for (const n of [1, 2, 3]) {
      rib.addPeer(peerRef(n));
      send(n, 1, open(n));
      send(n, 1.01, encodeKeepalive());
      send(n, 1.1, announce(n, ["10.208.1.0/24", n === 1 ? "10.208.1.5/32" : "10.208.1.6/32"]));
      send(n, 1.2, encodeUpdate({}));
    }
    for (let t = 30; t <= 90; t += 30) for (const n of [1, 2, 3]) send(n, t, encodeKeepalive());
    send(3, 100, announce(3, ["10.208.1.5/32"]));
    send(3, 110, encodeUpdate({ withdrawn: [{ prefix: "10.208.1.5/32" }] }));
    recorder.stop();
    const files = readdirSync(rec)
      .filter((f) => f.endsWith(".bgp.mrt"))
      .sort()
      .map((f) => join(rec, f));
    return { dir: rec, files };
  }

  async function replayed(inputs: string[]): Promise<string[]> {
    const inventory = join(dir, "inventory.json");
    writeFileSync(inventory, labInventory(0));
    const { writer, text } = memoryWriter();
    const out = jsonReplayOutput(writer);
    const result = await replay(
      { inputs, inventory, config, speed: "max", ports: { bmpPorts: [] }, log: createLogger("silent") },
      out,
    );
    out.summary(result);
    // Alerts and the routes at the end; the summary's start differs with the input's.
    return text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((l) =>
        l.event === "summary" ? JSON.stringify({ firing: l.firing, routes: l.routes }) : JSON.stringify(l),
      );
  }

  it("starts each rotated BGP file with the sessions' tables, so the file alone replays to the same verdicts", async () => {
    const { dir: whole, files } = record(true);
    expect(files).toHaveLength(2);
    const all = await replayed([whole]);
    expect(all.filter((l) => /"event":"(firing|resolved)"/.test(l))).toHaveLength(2);
    expect(all.join("\n")).toContain("RouteWithoutEndpoint");
    expect(await replayed([files[1]!])).toEqual(all);
    const first = execFileSync("bgpdump", ["-m", files[1]!], { encoding: "utf8" }).trim().split("\n");
    expect(first.filter((l) => l.startsWith("TABLE_DUMP2|"))).toHaveLength(6);
  });

  it("without the tables, the rotated file alone knows only later routes, and judges no missing route on them", async () => {
    const { files } = record(false);
    const alone = await replayed([files[1]!]);
    const { dir: whole } = record(true);
    const all = await replayed([whole]);
    const routes = (lines: string[]) => (JSON.parse(lines.at(-1)!) as { routes: number }).routes;
    expect(routes(alone)).toBe(0);
    expect(routes(all)).toBe(6);
    // The sessions began before the file: no EndpointWithoutRoute or ServiceUnreachable from their
    // unknown tables, only what the messages in it show (node3's stray /32).
    expect(alone.slice(0, -1)).toEqual(all.slice(0, -1));
  });
});
