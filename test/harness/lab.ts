/**
 * Real routing daemons on loopback for integration tests: Calico-like BIRD 2 nodes, an FRR ToR that
 * streams BMP, GoBGP and ExaBGP. Configurations follow shared/lab/calico-lab.sh and fixtures/make/.
 *
 * Every lab gets its own address block (127.<base>.x.y) so test files can run in parallel; everything
 * started is stopped by `down()`, and every wait is bounded.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Polls `check` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `routewatch-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

function frrUid(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("frr:"));
  if (!line) throw new Error("user frr missing: apt-get install frr");
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Sends a signal to the pid in a pid file and waits (bounded) for it to exit. */
async function stopPidFile(pidFile: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!pid) return;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  try {
    await waitFor(`pid ${pid} to exit`, () => !alive(), 5000, 20);
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  rmSync(pidFile, { force: true });
}

export interface CalicoLabOptions {
  /** Address block: nodes 127.<base>.1.i, ToR 127.<base>.2.1. 20..250, one per test file. */
  base: number;
  nodes?: number;
  asn?: number;
  /** Address routewatch listens on (BGP and BMP). */
  collector: string;
  /** routewatch's BGP port: nodes peer with it ("monitor" session). Omitted: no monitor sessions. */
  bgpPort?: number;
  /** routewatch's BMP port: the ToR streams BMP to it. Omitted: no BMP. */
  bmpPort?: number;
  /** routewatch's ASN as the nodes configure it (default: the nodes' ASN, iBGP like Calico). */
  monitorAsn?: number;
  /** Start the FRR ToR (default true). */
  tor?: boolean;
  /** BIRD `graceful restart` on the monitor session (default true, as Calico). */
  gracefulRestart?: boolean;
  /** BIRD `add paths on` towards the monitor. */
  addPaths?: boolean;
  holdTime?: number;
  /** BIRD `error wait time MIN,MAX` (seconds before reconnecting after an error; BIRD's default 60,300). */
  errorWaitTime?: [number, number];
  /** Extra lines inside `router bgp` of the ToR, after the neighbors. */
  torExtra?: string[];
}

export interface CalicoLab {
  dir: string;
  /** Node addresses, index 1..n at [i - 1]. */
  nodes: string[];
  tor: string;
  announce(node: number, prefix: string): Promise<void>;
  withdraw(node: number, prefix: string): Promise<void>;
  /** SIGTERM: BIRD closes its sessions with a Cease NOTIFICATION. */
  stopNode(node: number): Promise<void>;
  /** SIGKILL: the TCP connections just drop (graceful restart keeps the routes on the other side). */
  killNode(node: number): Promise<void>;
  /** `recovery`: start as calico-node does after a restart (`bird -R`: graceful restart recovery). */
  startNode(node: number, options?: { recovery?: boolean }): Promise<void>;
  birdc(node: number, command: string): Promise<string>;
  /** BIRD's state of one of its protocols ("Established", "Active", ...). */
  protocolState(node: number, protocol: "monitor" | "tor"): Promise<string>;
  /** The ToR's IPv4 unicast table: prefix -> next hops of its best paths. */
  torRoutes(): Promise<Map<string, string[]>>;
  vtysh(command: string): Promise<string>;
  stopTor(): Promise<void>;
  startTor(): Promise<void>;
  down(): Promise<void>;
}

export async function startCalicoLab(opts: CalicoLabOptions): Promise<CalicoLab> {
  const n = opts.nodes ?? 3;
  const asn = opts.asn ?? 64512;
  const monitorAsn = opts.monitorAsn ?? asn;
  const base = opts.base;
  const withTor = opts.tor ?? true;
  const dir = workDir(`lab${base}`);
  const node = (i: number): string => `127.${base}.1.${i}`;
  const tor = `127.${base}.2.1`;
  const routes: Set<string>[] = [];

  const nodeDir = (i: number): string => join(dir, `node${i}`);
  const writeNodeConf = (i: number): void => {
    const lines = [
      `log "${nodeDir(i)}/bird.log" all;`,
      `router id ${node(i)};`,
      `protocol device { scan time 10; }`,
      `protocol static svc { ipv4;`,
      ...[...routes[i - 1]!].map((p) => `  route ${p} blackhole;`),
      `}`,
      `template bgp calico { local ${node(i)} as ${asn}; strict bind on; hold time ${opts.holdTime ?? 90};` +
        `${opts.gracefulRestart === false ? "" : " graceful restart;"}` +
        `${opts.errorWaitTime ? ` error wait time ${opts.errorWaitTime[0]},${opts.errorWaitTime[1]};` : ""}`,
      `  ipv4 { import all; export all; next hop self; }; }`,
    ];
    if (opts.bgpPort !== undefined) {
      const addPaths = opts.addPaths ? " ipv4 { import all; export all; next hop self; add paths on; };" : "";
      lines.push(
        `protocol bgp monitor from calico { neighbor ${opts.collector} port ${opts.bgpPort} as ${monitorAsn};${addPaths} }`,
      );
    }
    if (withTor) {
      lines.push(
        `protocol bgp tor from calico { neighbor ${tor} as ${asn}; ipv4 { import all; export all; next hop address 10.10.0.${i}; }; }`,
      );
    }
    writeFileSync(join(nodeDir(i), "bird.conf"), lines.join("\n") + "\n");
  };
  const birdc = async (i: number, command: string): Promise<string> =>
    (await run("birdc", ["-s", join(nodeDir(i), "bird.ctl"), ...command.split(" ")], { timeout: 10_000 }))
      .stdout;
  const startNode = async (i: number, o: { recovery?: boolean } = {}): Promise<void> => {
    const files = [
      "-c",
      join(nodeDir(i), "bird.conf"),
      "-s",
      join(nodeDir(i), "bird.ctl"),
      "-P",
      join(nodeDir(i), "bird.pid"),
    ];
    await run("bird", o.recovery ? ["-R", ...files] : files, { timeout: 10_000 });
    await waitFor(
      `BIRD node ${i} control socket`,
      () => birdc(i, "show status").then((s) => s.includes("Daemon is up")),
      10_000,
    );
  };
  const reconfigure = async (i: number): Promise<void> => {
    writeNodeConf(i);
    const out = await birdc(i, "configure");
    if (!/Reconfigured|Reconfiguration in progress|Reconfiguration confirmed/.test(out))
      throw new Error(`birdc configure: ${out}`);
  };

  const torDir = join(dir, "tor");
  const startTor = async (): Promise<void> => {
    const conf = [
      "frr defaults datacenter",
      "hostname tor",
      `log file ${torDir}/bgpd.log`,
      `router bgp ${asn}`,
      ` bgp router-id ${tor}`,
      " no bgp ebgp-requires-policy",
      " neighbor calico peer-group",
      ` neighbor calico remote-as ${asn}`,
      ` neighbor calico update-source ${tor}`,
      ...Array.from({ length: n }, (_, k) => ` neighbor ${node(k + 1)} peer-group calico`),
      ...(opts.torExtra ?? []),
      " address-family ipv4 unicast",
      "  neighbor calico soft-reconfiguration inbound",
      "  maximum-paths ibgp 16",
      " exit-address-family",
    ];
    if (opts.bmpPort !== undefined) {
      conf.push(
        " bmp targets monitor",
        "  bmp monitor ipv4 unicast pre-policy",
        "  bmp monitor ipv4 unicast post-policy",
        "  bmp stats interval 5000",
        `  bmp connect ${opts.collector} port ${opts.bmpPort} min-retry 200 max-retry 1000`,
        " exit",
      );
    }
    mkdirSync(torDir, { recursive: true });
    writeFileSync(join(torDir, "tor.conf"), conf.join("\n") + "\n");
    const { uid, gid } = frrUid();
    chownSync(torDir, uid, gid);
    chownSync(join(torDir, "tor.conf"), uid, gid);
    // -Z: no zebra; -P 0: no vty TCP port (several labs at once); -l: listen on the ToR address only.
    await run(
      "/usr/lib/frr/bgpd",
      [
        "-d",
        "-f",
        join(torDir, "tor.conf"),
        "-M",
        "bmp",
        "-Z",
        "-P",
        "0",
        "-l",
        tor,
        "-p",
        "179",
        "-i",
        join(torDir, "bgpd.pid"),
        "--vty_socket",
        torDir,
      ],
      { timeout: 10_000 },
    );
    await waitFor("FRR ToR vty", () => existsSync(join(torDir, "bgpd.vty")), 10_000);
  };
  const vtysh = async (command: string): Promise<string> =>
    (await run("vtysh", ["--vty_socket", torDir, "-c", command], { timeout: 10_000 })).stdout;

  const lab: CalicoLab = {
    dir,
    nodes: Array.from({ length: n }, (_, k) => node(k + 1)),
    tor,
    async announce(i, prefix) {
      routes[i - 1]!.add(prefix);
      await reconfigure(i);
    },
    async withdraw(i, prefix) {
      routes[i - 1]!.delete(prefix);
      await reconfigure(i);
    },
    stopNode: (i) => stopPidFile(join(nodeDir(i), "bird.pid"), "SIGTERM"),
    killNode: (i) => stopPidFile(join(nodeDir(i), "bird.pid"), "SIGKILL"),
    startNode,
    birdc,
    async protocolState(i, protocol) {
      const out = await birdc(i, `show protocols ${protocol}`);
      const line = out.split("\n").find((l) => l.startsWith(protocol));
      return line?.trim().split(/\s+/).at(-1) ?? "";
    },
    async torRoutes() {
      const json = JSON.parse(await vtysh("show bgp ipv4 unicast json")) as {
        routes?: Record<string, { bestpath?: boolean; multipath?: boolean; nexthops?: { ip: string }[] }[]>;
      };
      const out = new Map<string, string[]>();
      for (const [prefix, paths] of Object.entries(json.routes ?? {})) {
        const used = paths.filter((p) => p.bestpath || p.multipath);
        out.set(prefix, used.flatMap((p) => (p.nexthops ?? []).map((h) => h.ip)).sort());
      }
      return out;
    },
    vtysh,
    stopTor: () => stopPidFile(join(torDir, "bgpd.pid")),
    startTor,
    async down() {
      for (let i = 1; i <= n; i++) await stopPidFile(join(nodeDir(i), "bird.pid"));
      await stopPidFile(join(torDir, "bgpd.pid"));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    if (withTor) await startTor();
    for (let i = 1; i <= n; i++) {
      mkdirSync(nodeDir(i));
      // Calico's defaults: the pool aggregate and the node's pod block.
      routes.push(new Set(["10.208.1.0/24", `192.168.${i}.0/26`]));
      writeNodeConf(i);
      await startNode(i);
    }
  } catch (e) {
    await lab.down();
    throw e;
  }
  return lab;
}

/** A foreground daemon started by the tests, stopped with `stop()`. */
export interface Daemon {
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

function foreground(
  name: string,
  dir: string,
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  keepDir = false,
): Daemon {
  const child: ChildProcess = spawn(cmd, args, {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return {
    dir,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await waitFor(
          `${name} to exit`,
          () => child.exitCode !== null || child.signalCode !== null,
          5000,
          20,
        ).catch(() => child.kill("SIGKILL"));
      }
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface GobgpOptions {
  base: number;
  asn: number;
  routerId: string;
  /** gobgpd gRPC API port on 127.0.0.1 (unique per test file). */
  apiPort: number;
  /** Listen for BGP on routerId:listenPort (default: not at all, -1). */
  listenPort?: number;
  neighbors: {
    address: string;
    asn: number;
    port?: number;
    passive?: boolean;
    families?: ("ipv4" | "ipv6")[];
  }[];
  bmp?: { address: string; port: number; policy?: "pre" | "post" | "both" | "local" | "all" };
}

export interface Gobgp extends Daemon {
  cli(args: string[]): Promise<string>;
}

export function startGobgp(o: GobgpOptions): Gobgp {
  const dir = workDir(`gobgp${o.base}`);
  const toml = [
    "[global.config]",
    `  as = ${o.asn}`,
    `  router-id = "${o.routerId}"`,
    `  port = ${o.listenPort ?? -1}`,
    `  local-address-list = ["${o.routerId}"]`,
    ...o.neighbors.flatMap((nb) => [
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = "${nb.address}"`,
      `    peer-as = ${nb.asn}`,
      "  [neighbors.transport.config]",
      `    local-address = "${o.routerId}"`,
      `    remote-port = ${nb.port ?? 179}`,
      `    passive-mode = ${nb.passive ? "true" : "false"}`,
      "  [neighbors.timers.config]",
      "    connect-retry = 1",
      ...(nb.families ?? ["ipv4"]).flatMap((f) => [
        "  [[neighbors.afi-safis]]",
        "    [neighbors.afi-safis.config]",
        `      afi-safi-name = "${f}-unicast"`,
      ]),
    ]),
    ...(o.bmp
      ? [
          "[[bmp-servers]]",
          "  [bmp-servers.config]",
          `    address = "${o.bmp.address}"`,
          `    port = ${o.bmp.port}`,
          `    route-monitoring-policy = "${o.bmp.policy ?? "all"}"`,
          "    statistics-timeout = 5",
        ]
      : []),
  ].join("\n");
  writeFileSync(join(dir, "gobgp.toml"), toml + "\n");
  const d = foreground("gobgpd", dir, "gobgpd", [
    "-f",
    join(dir, "gobgp.toml"),
    "--api-hosts",
    `127.0.0.1:${o.apiPort}`,
    "-l",
    "info",
  ]);
  return {
    ...d,
    async cli(args) {
      return (await run("gobgp", ["-u", "127.0.0.1", "-p", String(o.apiPort), ...args], { timeout: 10_000 }))
        .stdout;
    },
  };
}

export interface ExabgpOptions {
  base: number;
  routerId: string;
  localAsn: number;
  neighbor: { address: string; asn: number; port?: number };
  families?: string[];
  /** Lines the API process prints (announce/withdraw commands); each after `stepMs`. */
  commands: string[];
  stepMs?: number;
  /** Extra neighbor-level lines, e.g. capability blocks. */
  extra?: string[];
}

/** ExaBGP in the foreground, fed API commands by a small script (see shared/lab/README.md). */
export function startExabgp(o: ExabgpOptions): Daemon {
  const dir = workDir(`exabgp${o.base}`);
  const script = join(dir, "api.py");
  writeFileSync(
    script,
    [
      "import sys, time",
      "time.sleep(1)",
      `for c in ${JSON.stringify(o.commands)}:`,
      "    sys.stdout.write(c + '\\n'); sys.stdout.flush()",
      `    time.sleep(${(o.stepMs ?? 200) / 1000})`,
      "while True: time.sleep(1)",
    ].join("\n") + "\n",
  );
  const conf = [
    "process api { run python3 " + script + "; encoder text; }",
    `neighbor ${o.neighbor.address} {`,
    `  router-id ${o.routerId};`,
    `  local-address ${o.routerId};`,
    `  local-as ${o.localAsn};`,
    `  peer-as ${o.neighbor.asn};`,
    ...(o.neighbor.port ? [`  connect ${o.neighbor.port};`] : []),
    `  family { ${(o.families ?? ["ipv4 unicast"]).map((f) => `${f};`).join(" ")} }`,
    ...(o.extra ?? []),
    "  api { processes [ api ]; }",
    "}",
  ].join("\n");
  writeFileSync(join(dir, "exabgp.conf"), conf + "\n");
  return foreground("exabgp", dir, "exabgp", [join(dir, "exabgp.conf")], {
    "exabgp.daemon.daemonize": "false",
    "exabgp.daemon.user": "root",
    "exabgp.log.destination": "stdout",
    "exabgp.cli.enable": "false",
    "exabgp.tcp.port": String(o.neighbor.port ?? 179),
  });
}

export interface Alertmanager extends Daemon {
  url: string;
  /** GET /api/v2/alerts (active, not silenced/inhibited). */
  alerts(): Promise<
    {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: string;
      endsAt: string;
      generatorURL?: string;
    }[]
  >;
}

/** Debian's prometheus-alertmanager on 127.0.0.1:`port`, with one receiver that sends nowhere. */
export function startAlertmanager(port: number, existingDir?: string): Alertmanager {
  const keepDir = existingDir !== undefined;
  const dir = existingDir ?? workDir(`am${port}`);
  writeFileSync(
    join(dir, "am.yml"),
    'route: { receiver: "null", group_wait: 1s, group_interval: 1s }\nreceivers: [ { name: "null" } ]\n',
  );
  const url = `http://127.0.0.1:${port}`;
  // The caller may restart it on the same dir (state kept): the dir is removed only when it made it.
  const d = foreground(
    "alertmanager",
    dir,
    "prometheus-alertmanager",
    [
      `--config.file=${join(dir, "am.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    {},
    keepDir,
  );
  return {
    ...d,
    url,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts?active=true&silenced=false&inhibited=false`, {
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`Alertmanager GET alerts: HTTP ${res.status}`);
      return (await res.json()) as Awaited<ReturnType<Alertmanager["alerts"]>>;
    },
  };
}
