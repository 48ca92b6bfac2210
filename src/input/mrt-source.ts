/**
 * MRT files (RFC 6396) as input items: BGP4MP(_ET) messages and state changes, TABLE_DUMP_V2 and
 * TABLE_DUMP RIB entries. Records are read in batches from the reader's buffer; a record cut short at
 * the end of the file is reported and ends the input.
 */
import { CodecError } from "../../codec/errors.js";
import {
  decodeMrtRecord,
  decodeRibAttributes,
  decodeTableDumpAttributes,
  MRT_HEADER_LEN,
  MrtReader,
  type PeerIndexTable,
} from "../../codec/mrt/index.js";
import type { ByteReader } from "./byte-reader.js";
import { codecProblem, type ItemSink } from "./items.js";

const V1_OPTIONS = Object.freeze({ as4: false });
const V2_OPTIONS = Object.freeze({ as4: true });

/** Whether a whole record starts at `off` in buf[.., end). */
function fits(buf: Buffer, off: number, end: number): boolean {
  return off + MRT_HEADER_LEN <= end && off + MRT_HEADER_LEN + buf.readUInt32BE(off + 8) <= end;
}

export async function readMrtItems(reader: ByteReader, sink: ItemSink): Promise<void> {
  let peerIndex: PeerIndexTable | undefined;
  let skipped = 0;
  while (await reader.ensure(MRT_HEADER_LEN)) {
    const need = MRT_HEADER_LEN + reader.buf.readUInt32BE(reader.start + 8);
    if (!(await reader.ensure(need))) {
      sink({
        kind: "problem",
        errorKind: "mrt.truncated",
        offset: reader.consumedBefore,
        message: `MRT record at offset ${reader.consumedBefore} truncated: it declares ${need} bytes, the file ends after ${reader.available}`,
      });
      return;
    }
    const records = new MrtReader(reader.buf.subarray(0, reader.end), reader.start);
    // Read every record that is whole in the buffer; the rest waits for the next read.
    for (let at = reader.start; fits(reader.buf, at, reader.end); at = records.offset) {
      let rec;
      try {
        rec = records.next()!;
      } catch (e) {
        // A record too short for its own header fields: the framing cannot be trusted past it.
        if (!(e instanceof CodecError)) throw e;
        sink(codecProblem(e, reader.offsetOf(at)));
        return;
      }
      const offset = reader.offsetOf(rec.offset);
      let decoded;
      try {
        decoded = decodeMrtRecord(rec);
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        sink({
          kind: "problem",
          errorKind: e.kind,
          offset,
          tsMicros: rec.tsMicros,
          message: `record at offset ${offset}: ${e.message}`,
        });
        continue;
      }
      if (!decoded) {
        skipped++;
        continue;
      }
      const ts = rec.tsMicros;
      switch (decoded.kind) {
        case "message":
          sink({
            kind: "bgp",
            tsMicros: ts,
            src: decoded.local ? decoded.localIp : decoded.peerIp,
            dst: decoded.local ? decoded.peerIp : decoded.localIp,
            srcAs: decoded.local ? decoded.localAs : decoded.peerAs,
            dstAs: decoded.local ? decoded.peerAs : decoded.localAs,
            bytes: decoded.buf,
            offset: decoded.bgpStart,
            options: decoded.options,
          });
          break;
        case "state":
          sink({
            kind: "state",
            tsMicros: ts,
            peer: decoded.peerIp,
            local: decoded.localIp,
            peerAs: decoded.peerAs,
            localAs: decoded.localAs,
            oldState: decoded.oldState,
            newState: decoded.newState,
          });
          break;
        case "peer-index":
          peerIndex = decoded;
          break;
        case "rib":
          for (const entry of decoded.entries) {
            const peer = peerIndex?.peers[entry.peerIndex];
            if (!peer) {
              sink({
                kind: "problem",
                errorKind: "mrt.tdv2.peer-index",
                offset,
                tsMicros: ts,
                message: `RIB entry for ${decoded.prefix} names peer index ${entry.peerIndex}, not in the PEER_INDEX_TABLE`,
              });
              continue;
            }
            sink({
              kind: "rib",
              tsMicros: ts,
              originatedMicros: entry.originatedTimeSec * 1e6,
              peer: peer.address,
              peerAs: peer.asn,
              peerBgpId: peer.bgpId,
              ...(peerIndex!.viewName ? { view: peerIndex!.viewName } : {}),
              prefix: decoded.prefix,
              ...(entry.pathId !== undefined ? { pathId: entry.pathId } : {}),
              afi: decoded.afi,
              safi: decoded.safi,
              attributes: () => decodeRibAttributes(decoded, entry),
              options: V2_OPTIONS,
            });
          }
          break;
        case "rib-generic":
          skipped++;
          break;
        case "table-dump":
          sink({
            kind: "rib",
            tsMicros: ts,
            originatedMicros: decoded.originatedTimeSec * 1e6,
            peer: decoded.peerIp,
            peerAs: decoded.peerAs,
            prefix: decoded.prefix,
            afi: decoded.afi,
            safi: 1,
            attributes: () => decodeTableDumpAttributes(decoded),
            options: V1_OPTIONS,
          });
          break;
      }
    }
    reader.skip(records.offset - reader.start);
  }
  if (reader.available > 0) {
    sink({
      kind: "problem",
      errorKind: "mrt.truncated",
      offset: reader.consumedBefore,
      message: `MRT header at offset ${reader.consumedBefore} truncated: ${reader.available} of 12 bytes left`,
    });
  }
  if (skipped > 0) {
    sink({
      kind: "problem",
      warning: true,
      errorKind: "mrt.skipped",
      message: `${skipped} MRT records of types routewatch does not read were skipped`,
    });
  }
}
