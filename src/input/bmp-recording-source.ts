/** routewatch's BMP recordings (record/bmp-container.ts) as input items. */
import { CodecError } from "../../codec/errors.js";
import { BMP_CONTAINER_MAGIC, bmpRecordLength, decodeBmpRecord } from "../record/bmp-container.js";
import type { ByteReader } from "./byte-reader.js";
import { codecProblem, type ItemSink } from "./items.js";

const MAX_RECORD_HEADER = 8 + 1 + 16 + 1 + 16 + 4;

export async function readBmpRecordingItems(reader: ByteReader, sink: ItemSink): Promise<void> {
  await reader.ensure(BMP_CONTAINER_MAGIC.length);
  reader.skip(BMP_CONTAINER_MAGIC.length);
  for (;;) {
    // A record header is at most 46 bytes (two IPv6 addresses); fewer are left only at the end.
    await reader.ensure(MAX_RECORD_HEADER);
    let len: number;
    try {
      len = bmpRecordLength(reader.buf.subarray(0, reader.end), reader.start);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      sink(codecProblem(e, reader.consumedBefore));
      return;
    }
    if (len < 0 || !(await reader.ensure(len))) break;
    const r = decodeBmpRecord(reader.buf, reader.start);
    if (r.bytes.length === 0) {
      sink({
        kind: "closed",
        tsMicros: r.tsMicros,
        transport: "bmp",
        a: r.router,
        b: r.collector,
        reason: "router connection ended",
      });
    } else sink({ kind: "bmp", tsMicros: r.tsMicros, src: r.router, dst: r.collector, bytes: r.bytes });
    reader.skip(len);
  }
  if (reader.available > 0) {
    sink({
      kind: "problem",
      errorKind: "bmprec.truncated",
      offset: reader.consumedBefore,
      message: `BMP recording truncated at offset ${reader.consumedBefore} (${reader.available} bytes of a record; a crash while writing)`,
    });
  }
}
