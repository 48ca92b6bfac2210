/**
 * Replay on a synthetic recording written with the MRT encoder: the verdicts follow the recorded
 * times (grace included), and the output is the same byte for byte every time.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  attr,
  CEASE_ADMIN_SHUTDOWN,
  encodeKeepalive,
  encodeOpen,
  encodeNotification,
  encodeShutdownNotification,
  encodeUpdate,
} from "../../../codec/bgp/index.js";
import { encodeBgp4mpMessage, encodeBgp4mpStateChange } from "../../../codec/mrt/index.js";
import { buildConfig } from "../../../src/core/config.js";
import { buildOurOpen } from "../../../src/session/bgp/open-policy.js";
import { memoryWriter } from "../../../src/core/line-writer.js";
import { createLogger } from "../../../src/core/log.js";
import { formatTimestamp } from "../../../src/core/time.js";
import { replay } from "../../../src/record/replay.js";
import { jsonReplayOutput } from "../../../src/record/replay-output.js";
import { labInventory } from "../../helpers/kube-objects.js";
import { ACK, FIN, ipv4Tcp, PSH, rawIpCapture, SYN, type Packet } from "../codec/pcap/build.js";

const T0 = Date.parse("2026-11-25T14:00:00Z") * 1000;
const S = 1e6;
const dir = mkdtempSync(join(tmpdir(), "routewatch-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function message(node: number, at: number, bgp: Buffer): Buffer {
  return encodeBgp4mpMessage({
    tsMicros: T0 + at * S,
    extendedTimestamp: true,
    peerAs: 64512,
    localAs: 64512,
    peerIp: `127.0.1.${node}`,
    localIp: "127.0.0.10",
    bgp,
  });
}

const open = (node: number): Buffer =>
  encodeOpen({
    asn: 64512,
    holdTime: 90,
    bgpId: `127.0.1.${node}`,
    capabilities: [{ name: "as4", code: 65, asn: 64512 }],
  });
const announce = (node: number, prefixes: string[]): Buffer =>
  encodeUpdate({
    attributes: [attr.origin(0), attr.asPath([]), attr.nextHop(`127.0.1.${node}`)],
    nlri: prefixes.map((prefix) => ({ prefix })),
  });
const withdraw = (prefixes: string[]): Buffer =>
  encodeUpdate({ withdrawn: prefixes.map((prefix) => ({ prefix })) });
const endOfRib = encodeUpdate({});
/** Cease / Connection Rejected (RFC 4486), as routewatch answers a peer it does not accept. */
const encodeNotificationCease = (): Buffer => encodeNotification(6, 5);

/**
 * Three nodes; web (Local, endpoint on node1) and api (Local, endpoints on node2 and node3) are
 * announced correctly; at 20 s node3 also announces web's /32 (RouteWithoutEndpoint), withdraws it at
 * 30 s; node2's session drops at 40 s (graceful restart not negotiated: routes gone).
 */
function recording(): string {
  const records: Buffer[] = [];
  for (const n of [1, 2, 3]) {
    records.push(message(n, 1, open(n)), message(n, 1.01, encodeKeepalive()));
    const own = n === 1 ? ["10.208.1.5/32"] : ["10.208.1.6/32"];
    records.push(
      message(n, 1.1, announce(n, ["10.208.1.0/24", `192.168.${n}.0/26`, ...own])),
      message(n, 1.2, endOfRib),
    );
  }
  records.push(message(3, 20, announce(3, ["10.208.1.5/32"])), message(3, 30, withdraw(["10.208.1.5/32"])));
  records.push(
    encodeBgp4mpStateChange({
      tsMicros: T0 + 40 * S,
      extendedTimestamp: true,
      peerAs: 64512,
      localAs: 64512,
      peerIp: "127.0.1.2",
      localIp: "127.0.0.10",
      oldState: 6,
      newState: 1,
    }),
  );
  const file = join(dir, "rec.bgp.mrt");
  writeFileSync(file, Buffer.concat(records));
  return file;
}

const CONFIG = buildConfig({ routerId: "127.0.0.10", alerts: { grace: 3 }, bgp: { syncQuiet: 2 } });

/**
 * One BGP session between node `node` and routewatch (127.0.0.10:179), both directions, as packets:
 * from its start (SYN, OPENs, the node's table, End-of-RIB), or with `opts.before` from whatever
 * the test sends next (the session was up before the capture began).
 */
function captureSession(
  node: number,
  opts: { before?: boolean; announce?: string[]; address?: string } = {},
) {
  const side = [
    { addr: opts.address ?? `127.0.1.${node}`, port: 40000 + node, seq: 1000 },
    { addr: "127.0.0.10", port: 179, seq: 5000 },
  ];
  const packets: Packet[] = [];
  const push = (at: number, from: 0 | 1, flags: number, payload: Buffer = Buffer.alloc(0)): void => {
    const [a, b] = [side[from]!, side[1 - from]!];
    packets.push({
      tsMicros: T0 + at * S,
      data: ipv4Tcp({
        src: a.addr,
        dst: b.addr,
        sport: a.port,
        dport: b.port,
        seq: a.seq,
        ack: b.seq,
        flags,
        payload,
      }),
    });
    a.seq += payload.length + (flags & (SYN | FIN) ? 1 : 0);
  };
  const session = {
    packets,
    /** `from`: 0 the node, 1 routewatch. */
    send: (at: number, from: 0 | 1, message: Buffer) => (push(at, from, ACK | PSH, message), session),
    fin: (at: number, from: 0 | 1) => (push(at, from, FIN | ACK), session),
  };
  if (opts.before) return session;
  push(1, 0, SYN);
  push(1, 1, SYN | ACK);
  const own = node === 1 ? ["10.208.1.5/32"] : ["10.208.1.6/32"];
  return session
    .send(1, 0, open(node))
    .send(1, 1, encodeOpen(buildOurOpen(CONFIG).fields))
    .send(1.01, 0, encodeKeepalive())
    .send(1.01, 1, encodeKeepalive())
    .send(1.1, 0, announce(node, opts.announce ?? ["10.208.1.0/24", `192.168.${node}.0/26`, ...own]))
    .send(1.2, 0, endOfRib)
    .send(1.2, 1, endOfRib);
}

async function run(
  extra: { fromMicros?: number; toMicros?: number } = {},
  input = recording(),
): Promise<{ text: string; firing: number }> {
  const inventory = join(dir, "inventory.json");
  writeFileSync(inventory, labInventory(0));
  const { writer, text } = memoryWriter();
  const out = jsonReplayOutput(writer);
  const result = await replay(
    {
      inputs: [input],
      inventory,
      config: CONFIG,
      speed: "max",
      ports: { bmpPorts: [] },
      log: createLogger("silent"),
      ...extra,
    },
    out,
  );
  out.summary(result);
  return { text: text(), firing: result.firing.length };
}

describe("replay", () => {
  it("fires after the grace period at the recorded times, and resolves", async () => {
    const { text } = await run();
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines
      .filter((l) => l.event !== "summary")
      .map((l) => [l.ts, l.event, (l.alert as { labels: Record<string, string> }).labels]);
    expect(events).toEqual([
      [
        formatTimestamp(T0 + 23 * S + 100_000),
        "firing",
        {
          alertname: "RouteWithoutEndpoint",
          severity: "critical",
          namespace: "default",
          service: "web",
          node: "node3",
          prefix: "10.208.1.5/32",
        },
      ],
      [
        formatTimestamp(T0 + 30 * S + 100_000),
        "resolved",
        {
          alertname: "RouteWithoutEndpoint",
          severity: "critical",
          namespace: "default",
          service: "web",
          node: "node3",
          prefix: "10.208.1.5/32",
        },
      ],
      // node2's session is gone (no graceful restart): api's ready endpoint on node2 has no route;
      // node2 had a complete table before, so its silence now is evidence.
      [
        formatTimestamp(T0 + 43 * S + 100_000),
        "firing",
        {
          alertname: "EndpointWithoutRoute",
          severity: "warning",
          namespace: "shop",
          service: "api",
          node: "node2",
          prefix: "10.208.1.6/32",
        },
      ],
    ]);
    const summary = lines.at(-1)!;
    expect(summary.event).toBe("summary");
    // The end of the input (40 s) is held for the grace period: still firing then.
    expect(summary.firing).toEqual([
      {
        labels: {
          alertname: "EndpointWithoutRoute",
          severity: "warning",
          namespace: "shop",
          service: "api",
          node: "node2",
          prefix: "10.208.1.6/32",
        },
      },
    ]);
    // node1 and node3 remain: 3 routes each.
    expect(summary.routes).toBe(6);
  });

  it("gives the same output, byte for byte, every time", async () => {
    const a = await run();
    const b = await run();
    expect(b.text).toBe(a.text);
  });

  it("prints only the window --from/--to asks for, with the state before it applied", async () => {
    const { text } = await run({ fromMicros: T0 + 25 * S, toMicros: T0 + 35 * S });
    const events = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; ts?: string });
    expect(events.map((e) => e.event)).toEqual(["resolved", "summary"]);
    // The window ends before node2's session is lost: nothing fires at its end.
  });
});

describe("replay of a capture of routewatch's own sessions", () => {
  it("routewatch leaving (Cease, or closing the connection) keeps the routes; a node leaving loses its own", async () => {
    const node1 = captureSession(1); // routewatch shuts the session down, as it does when it stops
    node1.send(20, 1, encodeShutdownNotification(CEASE_ADMIN_SHUTDOWN, "routewatch is shutting down"));
    node1.fin(20.01, 1).fin(20.02, 0);
    const node2 = captureSession(2).fin(21, 1).fin(21.01, 0); // routewatch killed: its kernel closes
    const node3 = captureSession(3); // the node shuts the session down
    node3.send(22, 0, encodeShutdownNotification(CEASE_ADMIN_SHUTDOWN, "bird stopping"));
    node3.fin(22.01, 0).fin(22.02, 1);
    const packets = [...node1.packets, ...node2.packets, ...node3.packets].sort(
      (a, b) => a.tsMicros - b.tsMicros,
    );
    const file = join(dir, "own-sessions.pcap");
    writeFileSync(file, rawIpCapture(packets));

    const lines = (await run({}, file)).text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { ts: string; event: string; alert?: { labels: Record<string, string> } });
    // Only node3's loss is an event: api's endpoint on node3 has no route. routewatch's own side is
    // no peer, and its leaving does not take node1's and node2's routes away.
    expect(lines.filter((l) => l.event !== "summary").map((l) => [l.ts, l.event, l.alert!.labels])).toEqual([
      [
        formatTimestamp(T0 + 25 * S + 100_000),
        "firing",
        {
          alertname: "EndpointWithoutRoute",
          severity: "warning",
          namespace: "shop",
          service: "api",
          node: "node3",
          prefix: "10.208.1.6/32",
        },
      ],
    ]);
    expect(lines.at(-1)).toMatchObject({ event: "summary", routes: 6 });
  });
});

describe("replay of a capture that begins mid-session", () => {
  /** The alerts that fire when these sessions are replayed as one capture, and the warnings. */
  const alertsOf = async (sessions: { packets: Packet[] }[], name: string) => {
    const packets = sessions.flatMap((x) => x.packets).sort((a, b) => a.tsMicros - b.tsMicros);
    const file = join(dir, name);
    writeFileSync(file, rawIpCapture(packets));
    const lines = (await run({}, file)).text
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            ts: string;
            event: string;
            alert?: { labels: Record<string, string> };
            warnings?: string[];
          },
      );
    return {
      alerts: lines.filter((l) => l.event === "firing").map((l) => l.alert!.labels.alertname),
      timed: lines.filter((l) => l.event === "firing").map((l) => `${l.ts} ${l.alert!.labels.alertname}`),
      warnings: lines.at(-1)!.warnings!,
    };
  };

  // node1 announces only the aggregate: web's endpoint node has no /32 (EndpointWithoutRoute, AggregateOnly).
  it("judges a table it saw from the start", async () => {
    const whole = await alertsOf(
      [captureSession(1, { announce: ["10.208.1.0/24"] }), captureSession(2), captureSession(3)],
      "whole.pcap",
    );
    expect(whole.alerts.sort()).toEqual(["AggregateOnly", "EndpointWithoutRoute"]);
  });

  it("rests no missing-route verdict on a session Established before the capture, from its first moment", async () => {
    // node1's session was up already: its first packet, a KEEPALIVE, comes at 40 s (BIRD sends one a minute).
    const node1 = captureSession(1, { before: true }).send(40, 0, encodeKeepalive());
    const mid = await alertsOf([node1, captureSession(2), captureSession(3)], "mid.pcap");
    expect(mid.alerts).toEqual([]);
    expect(
      mid.warnings.some((w) => w.startsWith("127.0.1.1 -> 127.0.0.10: the session began before the input")),
    ).toBe(true);
  });

  it("does not take a connection refused with a NOTIFICATION for a session that was up", async () => {
    const sessions = () => [
      captureSession(1, { announce: ["10.208.1.0/24"] }),
      captureSession(2),
      captureSession(3),
    ];
    const whole = await alertsOf(sessions(), "whole-again.pcap");
    // A peer's first (and only) message, late in the capture: a NOTIFICATION refusing a connection.
    const refused = captureSession(9, { before: true, address: "127.0.9.9" }).send(
      30,
      0,
      encodeNotificationCease(),
    );
    const withRefused = await alertsOf([...sessions(), refused], "refused.pcap");
    expect(withRefused.timed).toEqual(whole.timed);
    expect(whole.timed).toHaveLength(2);
  });
});
