/** Any supported file to input items, whatever its format. */
import type { OpenedInput } from "./open.js";
import type { ItemSink } from "./items.js";
import { readMrtItems } from "./mrt-source.js";
import { readStreamItems } from "./stream-source.js";
import { readCaptureItems } from "./capture-source.js";
import { readBmpRecordingItems } from "./bmp-recording-source.js";

export interface ReadOptions {
  /** TCP ports carrying BMP in captures (BGP is port 179). */
  bmpPorts: number[];
  /** TCP ports carrying BGP in captures (default 179). */
  bgpPorts?: number[];
}

export const DEFAULT_BMP_PORTS = [11019, 1790, 5000];

export async function readItems(input: OpenedInput, opts: ReadOptions, sink: ItemSink): Promise<void> {
  switch (input.format) {
    case "mrt":
      return readMrtItems(input.reader, sink);
    case "bgp-stream":
      return readStreamItems(input.reader, "bgp", sink);
    case "bmp-stream":
      return readStreamItems(input.reader, "bmp", sink);
    case "bmp-recording":
      return readBmpRecordingItems(input.reader, sink);
    case "pcap":
    case "pcapng":
      return readCaptureItems(input.reader, opts, sink);
  }
}
