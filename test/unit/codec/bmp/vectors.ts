/** Loads the BMP byte streams under vectors/ and tshark's decode of them (see vectors/extract.py). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeBmpHeader } from "../../../../codec/bmp/index.js";

const DIR = fileURLToPath(new URL("./vectors/", import.meta.url));

/** A BGP PDU tshark found: [type, length] or, for UPDATE, [type, length, announced, withdrawn, AS_PATH]. */
export type TsharkBgp = [number, number] | [number, number, string[], string[], number[]];

export interface TsharkMessage {
  fields: [string, string][];
  bgp: TsharkBgp[];
}

export interface Vector {
  name: string;
  /** Each BMP message of the stream, as its own Buffer (a view of the stream). */
  messages: Buffer[];
  tshark: TsharkMessage[];
}

/** Splits a BMP stream at the common header's length field. */
export function splitStream(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < stream.length;) {
    const { length } = decodeBmpHeader(stream, off);
    out.push(stream.subarray(off, off + length));
    off += length;
  }
  return out;
}

export function loadVector(name: string): Vector {
  const stream = readFileSync(`${DIR}${name}.bmp`);
  const tshark = JSON.parse(readFileSync(`${DIR}${name}.tshark.json`, "utf8")) as TsharkMessage[];
  return { name, messages: splitStream(stream), tshark };
}

/** The fields of one tshark message, looked up by name ("bmp." dropped). */
export class TsharkFields {
  constructor(readonly list: [string, string][]) {}

  all(name: string): string[] {
    return this.list.filter(([n]) => n === name).map(([, v]) => v);
  }

  /** The value of a field that must occur exactly once. */
  one(name: string): string {
    const values = this.all(name);
    if (values.length !== 1) throw new Error(`tshark field ${name} occurs ${values.length} times`);
    return values[0]!;
  }

  maybe(name: string): string | undefined {
    return this.all(name)[0];
  }

  /** Consecutive runs of fields, each starting at a field named `start` (e.g. one run per stat). */
  groups(start: string): TsharkFields[] {
    const out: TsharkFields[] = [];
    for (const pair of this.list) {
      if (pair[0] === start) out.push(new TsharkFields([]));
      out[out.length - 1]?.list.push(pair);
    }
    return out;
  }
}
