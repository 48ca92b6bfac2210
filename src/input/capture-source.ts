/**
 * pcap/pcapng captures as input items: each TCP direction's BGP or BMP messages, with decoding
 * options negotiated from the session's OPENs (or guessed when the capture starts mid-session).
 */
import { CodecError } from "../../codec/errors.js";
import { decodeCapture } from "../../codec/pcap/index.js";
import { BgpSessionContexts } from "./bgp-context.js";
import type { ByteReader } from "./byte-reader.js";
import { codecProblem, type ItemSink } from "./items.js";

/** Problems that are facts about the capture rather than errors in the routers' messages. */
const WARNING_KINDS = new Set(["unsupported-link", "fragment"]);

export async function readCaptureItems(
  reader: ByteReader,
  ports: { bmpPorts: readonly number[]; bgpPorts?: readonly number[] },
  sink: ItemSink,
): Promise<void> {
  // The capture decoder works on the whole file; read it into the reader's buffer.
  while (await reader.ensure(reader.available + reader.buf.length)) {
    /* keep reading */
  }
  const buf = reader.buf.subarray(reader.start, reader.end);
  const sessions = new BgpSessionContexts();
  try {
    for (const ev of decodeCapture(
      buf,
      ports.bgpPorts ? { bmpPorts: ports.bmpPorts, bgpPorts: ports.bgpPorts } : { bmpPorts: ports.bmpPorts },
    )) {
      if (ev.kind === "closed") {
        sink({
          kind: "closed",
          tsMicros: ev.tsMicros,
          frame: ev.frame,
          transport: ev.transport,
          a: ev.src,
          b: ev.dst,
          by: ev.closedBy === 0 ? ev.src : ev.dst,
          reason: ev.reason,
        });
        continue;
      }
      if (ev.kind !== "message") {
        sink({
          kind: "problem",
          errorKind: `pcap.${ev.kind}`,
          tsMicros: ev.tsMicros,
          frame: ev.frame,
          message: `frame ${ev.frame}: ${ev.message}`,
          ...(WARNING_KINDS.has(ev.kind) ? { warning: true } : {}),
        });
        continue;
      }
      if (ev.transport === "bmp") {
        sink({
          kind: "bmp",
          tsMicros: ev.tsMicros,
          frame: ev.frame,
          src: ev.src,
          dst: ev.dst,
          bytes: ev.bytes,
        });
        continue;
      }
      const from = `${ev.src}:${ev.srcPort}`;
      const to = `${ev.dst}:${ev.dstPort}`;
      const ctx = sessions.optionsFor(String(ev.connection), from, to, ev.bytes);
      if (ctx.firstGuess) {
        sink({
          kind: "problem",
          warning: true,
          errorKind: "pcap.mid-session",
          tsMicros: ev.tsMicros,
          frame: ev.frame,
          message:
            `frame ${ev.frame}: BGP session ${from} -> ${to} started before the capture (no OPENs seen): ` +
            `decoding with 4-octet AS where the AS_PATH parses that way, and no ADD-PATH`,
        });
      }
      sink({
        kind: "bgp",
        tsMicros: ev.tsMicros,
        frame: ev.frame,
        src: ev.src,
        dst: ev.dst,
        bytes: ev.bytes,
        offset: 0,
        options: ctx.options,
        ...(ctx.guessed ? { guessed: true } : {}),
      });
    }
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    sink(codecProblem(e, e.offset));
  }
}
