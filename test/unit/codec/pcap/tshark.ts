/**
 * Test helper: what tshark reports for a capture (its split into BGP/BMP messages, frame times,
 * TCP lengths), and the same split from decodeCapture, as lines that compare one to one.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  decodeCapture,
  type CaptureEvent,
  type CaptureClosed,
  type CaptureMessage,
  type CaptureOptions,
} from "../../../../codec/pcap/index.js";

export const BMP_PORTS = [11019, 1790, 5000];
const BGP_PORT = 179;

/** One message as "frame transport src:port>dst:port type". */
export type Line = string;

export interface FrameInfo {
  tsMicros: number;
  /** "address:port" of the sender (TCP frames). */
  from: string;
  /** TCP payload length from the headers (what was sent, captured or not). */
  tcpLen: number;
  frameLen: number;
  capLen: number;
  /** Frames of the PDU tshark reassembled in this frame, when it spans several. */
  segments: number[];
  /** Length field of each BGP (or, on a BMP port, BMP) message tshark found in the frame. */
  lengths: number[];
}

export interface TsharkView {
  lines: Line[];
  frames: Map<number, FrameInfo>;
}

const FIELDS = [
  "frame.number",
  "frame.time_epoch",
  "frame.len",
  "frame.cap_len",
  "bgp.type",
  "bmp.type",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.len",
  "tcp.segment",
  "bgp.length",
  "bmp.length",
];

/** "1795617207.011000000" to integer microseconds, without going through a float. */
export function epochToMicros(text: string): number {
  const [s, frac = ""] = text.split(".");
  return Number(s) * 1_000_000 + Number(frac.padEnd(6, "0").slice(0, 6));
}

/**
 * Runs tshark on `file`. `cutShort`: the file ends inside a packet, which tshark reports with
 * exit status 2 after printing what it read.
 */
export function tshark(file: string, extraArgs: string[] = [], cutShort = false): Promise<TsharkView> {
  const key = JSON.stringify([file, extraArgs, cutShort]);
  let view = cache.get(key);
  if (!view) cache.set(key, (view = runTshark(file, extraArgs, cutShort)));
  return view;
}

/** Files are read-only while tests run: one tshark run per file and arguments is enough. */
const cache = new Map<string, Promise<TsharkView>>();

function runTshark(file: string, extraArgs: string[], cutShort: boolean): Promise<TsharkView> {
  const args = ["-r", file, ...BMP_PORTS.flatMap((p) => ["-d", `tcp.port==${p},bmp`]), ...extraArgs];
  args.push("-T", "fields", "-E", "separator=/t", ...FIELDS.flatMap((f) => ["-e", f]));
  return new Promise((resolve, reject) => {
    execFile("tshark", args, { encoding: "utf8", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && !(cutShort && err.code === 2 && /cut short/.test(stderr))) {
        reject(new Error(`tshark failed on ${file}: ${err.message} ${stderr}`));
        return;
      }
      resolve(parse(stdout));
    });
  });
}

function parse(out: string): TsharkView {
  const lines: Line[] = [];
  const frames = new Map<number, FrameInfo>();
  for (const row of out.split("\n")) {
    if (row === "") continue;
    const [
      frame,
      time,
      frameLen,
      capLen,
      bgpTypes,
      bmpTypes,
      ip4src,
      ip4dst,
      ip6src,
      ip6dst,
      sport,
      dport,
      tcpLen,
      segments,
      bgpLens,
      bmpLens,
    ] = row.split("\t");
    const srcPort = Number(sport);
    const dstPort = Number(dport);
    const transport =
      srcPort === BGP_PORT || dstPort === BGP_PORT
        ? "bgp"
        : BMP_PORTS.includes(srcPort) || BMP_PORTS.includes(dstPort)
          ? "bmp"
          : undefined;
    const lengths = (transport === "bgp" ? bgpLens : bmpLens) ?? "";
    frames.set(Number(frame), {
      tsMicros: epochToMicros(time!),
      from: `${ip4src || ip6src}:${sport}`,
      frameLen: Number(frameLen),
      capLen: Number(capLen),
      tcpLen: Number(tcpLen || 0),
      segments: segments ? segments.split(",").map(Number) : [],
      lengths: lengths ? lengths.split(",").map(Number) : [],
    });
    if (!transport) continue;
    // Inside BMP, bgp.type lists the BGP messages BMP carries; the BMP messages are bmp.type.
    const types = (transport === "bgp" ? bgpTypes : bmpTypes) ?? "";
    if (types === "") continue;
    const src = ip4src || ip6src;
    const dst = ip4dst || ip6dst;
    for (const type of types.split(","))
      lines.push(`${frame} ${transport} ${src}:${srcPort}>${dst}:${dstPort} ${type}`);
  }
  return { lines, frames };
}

/** Payload bytes sent from "address:port" over the whole capture. */
export function bytesSentBy(view: TsharkView, from: string): number {
  let sum = 0;
  for (const f of view.frames.values()) if (f.from === from) sum += f.tcpLen;
  return sum;
}

export function messageType(m: CaptureMessage): number {
  return m.transport === "bgp" ? m.bytes[18]! : m.bytes[5]!;
}

export function lineOf(m: CaptureMessage): Line {
  return `${m.frame} ${m.transport} ${m.src}:${m.srcPort}>${m.dst}:${m.dstPort} ${messageType(m)}`;
}

/** A line without its frame number. */
export function withoutFrame(line: Line): string {
  return line.slice(line.indexOf(" ") + 1);
}

export function frameOf(line: Line): number {
  return Number(line.slice(0, line.indexOf(" ")));
}

export function decode(buf: Buffer, opts?: CaptureOptions): CaptureEvent[] {
  return [...decodeCapture(buf, { bmpPorts: BMP_PORTS, ...opts })];
}

export function decodeFile(file: string, opts?: CaptureOptions): CaptureEvent[] {
  return decode(readFileSync(file), opts);
}

export function messagesOf(events: CaptureEvent[]): CaptureMessage[] {
  return events.filter((e): e is CaptureMessage => e.kind === "message");
}

export function linesOf(events: CaptureEvent[]): Line[] {
  return messagesOf(events).map(lineOf);
}

export type Problem = Exclude<CaptureEvent, CaptureMessage | CaptureClosed>;

export function problemsOf(events: CaptureEvent[]): Problem[] {
  return events.filter((e): e is Problem => e.kind !== "message" && e.kind !== "closed");
}

/** The "closed" events (connections ended by FIN or RST inside the capture). */
export function closesOf(events: CaptureEvent[]): CaptureClosed[] {
  return events.filter((e): e is CaptureClosed => e.kind === "closed");
}
