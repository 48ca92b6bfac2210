/**
 * Raw BGP or BMP byte streams saved to a file (e.g. `nc -l 11019 > router.bmp`): messages back to
 * back, with no addresses or timestamps.
 */
import { CodecError } from "../../codec/errors.js";
import { bgpFrameLength, bmpFrameLength } from "../../codec/framer.js";
import { guessOptions } from "./bgp-context.js";
import type { ByteReader } from "./byte-reader.js";
import { codecProblem, type ItemSink } from "./items.js";

export async function readStreamItems(
  reader: ByteReader,
  transport: "bgp" | "bmp",
  sink: ItemSink,
): Promise<void> {
  const frameLength =
    transport === "bgp" ? bgpFrameLength({ as4: true, extendedMessage: true }) : bmpFrameLength;
  const headerLen = transport === "bgp" ? 19 : 6;
  while (await reader.ensure(headerLen)) {
    let len: number;
    try {
      len = frameLength(reader.buf.subarray(0, reader.end), reader.start);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      // Without a valid header the stream cannot be followed further.
      sink(codecProblem(e, reader.consumedBefore));
      return;
    }
    if (!(await reader.ensure(len))) break;
    const bytes = reader.buf.subarray(reader.start, reader.start + len);
    // One direction of a session and no OPEN pair: the AS_PATH width is guessed per message.
    if (transport === "bgp")
      sink({
        kind: "bgp",
        tsMicros: 0,
        src: "",
        dst: "",
        offset: 0,
        bytes,
        options: guessOptions(bytes),
        guessed: true,
      });
    else sink({ kind: "bmp", tsMicros: 0, src: "", dst: "", bytes });
    reader.skip(len);
  }
  if (reader.available > 0) {
    sink({
      kind: "problem",
      errorKind: `${transport}.truncated`,
      offset: reader.consumedBefore,
      message: `${transport.toUpperCase()} message at offset ${reader.consumedBefore} is cut short by the end of the file (${reader.available} bytes)`,
    });
  }
}
