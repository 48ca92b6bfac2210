/**
 * tshark (Wireshark 4.0) as an independent BGP/BMP decoder for tests: runs `tshark -T json -x` on a
 * capture and parses its output keeping every key in order.
 *
 * Why not `--no-duplicate-keys`: tshark's JSON repeats keys (one per field occurrence), and that
 * option merges the repeats of each key into one array, which loses how different keys interleave
 * (a COMMUNITIES attribute lists well-known values under `community_wellknown` and the others under
 * `community`, in wire order only as long as the keys stay apart). This parser keeps the entries as
 * tshark wrote them. `-x` adds `<field>_raw` entries ([hex, offset, length, bitmask, type]) that give
 * the bytes of fields tshark shows only by name (unknown attributes and capabilities).
 *
 * Every accessor marks what it read, so a test can list the fields tshark showed that it never
 * looked at (`unread`) and fail instead of silently comparing less than there is.
 */
import { execFile } from "node:child_process";

export type TValue = string | number | boolean | null | TObject | TValue[];

export class TObject {
  private readonly read = new Set<number>();

  constructor(readonly entries: [string, TValue][]) {}

  /** Every value of `key`, in order (marked read). */
  all(key: string): TValue[] {
    const out: TValue[] = [];
    this.entries.forEach(([k, v], i) => {
      if (k === key) {
        out.push(v);
        this.read.add(i);
      }
    });
    return out;
  }

  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }

  /** The one string value of `key`; throws when it is missing, repeated or not a string. */
  str(key: string): string {
    const v = this.maybe(key);
    if (v === undefined) throw new Error(`tshark shows no ${key}`);
    return v;
  }

  /** The string value of `key` when there is one; throws when it is repeated or not a string. */
  maybe(key: string): string | undefined {
    const vs = this.all(key);
    if (vs.length > 1) throw new Error(`tshark shows ${key} ${vs.length} times`);
    const v = vs[0];
    if (v !== undefined && typeof v !== "string") throw new Error(`tshark's ${key} is not a field`);
    return v;
  }

  num(key: string): number {
    return Number(this.str(key));
  }

  strs(key: string): string[] {
    return this.all(key).map((v) => {
      if (typeof v !== "string") throw new Error(`tshark's ${key} is not a field`);
      return v;
    });
  }

  objs(key: string): TObject[] {
    return this.all(key).map((v) => {
      if (!(v instanceof TObject)) throw new Error(`tshark's ${key} is not a subtree`);
      return v;
    });
  }

  obj(key: string): TObject {
    const os = this.objs(key);
    if (os.length !== 1) throw new Error(`tshark shows ${key} ${os.length} times`);
    return os[0]!;
  }

  maybeObj(key: string): TObject | undefined {
    const os = this.objs(key);
    if (os.length > 1) throw new Error(`tshark shows ${key} ${os.length} times`);
    return os[0];
  }

  /** The hex bytes of a field, from its `_raw` twin (tshark -x). */
  raw(key: string): string {
    const r = this.all(`${key}_raw`);
    this.all(key);
    if (r.length !== 1 || !Array.isArray(r[0]) || typeof r[0][0] !== "string")
      throw new Error(`tshark shows no single ${key}_raw (run with -x)`);
    return r[0][0];
  }

  /** All entries, marked read (for subtrees keyed by value, like tshark's NLRI). */
  each(): [string, TValue][] {
    this.entries.forEach((_, i) => this.read.add(i));
    return this.entries;
  }

  /** Marks keys as deliberately not compared. */
  skip(...keys: string[]): void {
    for (const key of keys) this.all(key);
  }

  /**
   * Keys tshark showed that nobody read, with their path: subtrees that were read are searched
   * too. `ignored` says which keys never need reading (lengths, markers, raw twins).
   */
  unread(ignored: (key: string) => boolean, path = ""): string[] {
    const out: string[] = [];
    this.entries.forEach(([k, v], i) => {
      if (ignored(k)) return;
      if (!this.read.has(i)) out.push(`${path}${k}`);
      else if (v instanceof TObject) out.push(...v.unread(ignored, `${path}${k}/`));
      else if (Array.isArray(v))
        for (const x of v) if (x instanceof TObject) out.push(...x.unread(ignored, `${path}${k}/`));
    });
    return out;
  }
}

/**
 * JSON with repeated keys, objects kept as ordered entry lists. Every key is first made unique
 * (a NUL and a counter appended; a JSON string followed by ":" is always a key), so the fast
 * built-in parser can do the work and keep insertion order (no key is integer-like).
 */
export function parseOrderedJson(text: string): TValue {
  let n = 0;
  const unique = text.replace(/"((?:[^"\\]|\\.)*)"(?=\s*:)/g, (_, k: string) => `"${k}\\u0000${n++}"`);
  const convert = (v: unknown): TValue => {
    if (Array.isArray(v)) return v.map(convert);
    if (v !== null && typeof v === "object")
      return new TObject(Object.entries(v).map(([k, x]) => [k.slice(0, k.lastIndexOf("\0")), convert(x)]));
    return v as TValue;
  };
  return convert(JSON.parse(unique));
}

/** One packet as tshark dissected it. */
export interface TsharkPacket {
  frame: number;
  /** frame.time_epoch in integer microseconds. */
  tsMicros: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** The packet's protocol layers: "bgp" and "bmp" (each repeated per message), "tcp", ... */
  layers: TObject;
}

/** "1795617207.011000000" to integer microseconds, without going through a float. */
export function epochToMicros(text: string): number {
  const [s, frac = ""] = text.split(".");
  return Number(s) * 1_000_000 + Number(frac.padEnd(6, "0").slice(0, 6));
}

/**
 * Runs `tshark -r FILE ARGS -T json -x` and returns its packets: only those with BGP or BMP in them
 * (-Y; reassembly still sees every packet and frame numbers stay the file's), and only the frame,
 * IP, TCP, BGP and BMP layers with everything under them (-J), which keeps the output small.
 */
export function tsharkPackets(file: string, args: readonly string[]): Promise<TsharkPacket[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "tshark",
      ["-r", file, ...args, "-Y", "bgp || bmp", "-T", "json", "-x", "-J", "frame ip ipv6 tcp bgp bmp"],
      { encoding: "utf8", maxBuffer: 1 << 30 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`tshark failed on ${file}: ${err.message} ${stderr}`));
          return;
        }
        try {
          const all = parseOrderedJson(stdout);
          if (!Array.isArray(all)) throw new Error(`tshark printed no packet list for ${file}`);
          resolve(all.map(packetOf));
        } catch (e) {
          reject(e as Error);
        }
      },
    );
  });
}

function packetOf(v: TValue): TsharkPacket {
  if (!(v instanceof TObject)) throw new Error("tshark packet is not an object");
  const layers = v.obj("_source").obj("layers");
  const frame = layers.obj("frame");
  const ip = layers.maybeObj("ip") ?? layers.maybeObj("ipv6");
  const tcp = layers.maybeObj("tcp");
  const v6 = layers.has("ipv6");
  return {
    frame: frame.num("frame.number"),
    tsMicros: epochToMicros(frame.str("frame.time_epoch")),
    src: ip?.str(v6 ? "ipv6.src" : "ip.src") ?? "",
    dst: ip?.str(v6 ? "ipv6.dst" : "ip.dst") ?? "",
    srcPort: tcp ? tcp.num("tcp.srcport") : 0,
    dstPort: tcp ? tcp.num("tcp.dstport") : 0,
    layers,
  };
}

/** tshark's version line; rejects when tshark is not installed (tests fail rather than skip). */
export function tsharkVersion(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("tshark", ["--version"], { encoding: "utf8" }, (err, stdout) => {
      if (err) reject(new Error(`tshark is not installed (apt-get install tshark): ${err.message}`));
      else resolve(stdout.split("\n")[0] ?? "");
    });
  });
}
