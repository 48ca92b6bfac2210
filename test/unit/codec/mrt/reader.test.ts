import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../../../codec/errors.js";
import {
  encodeBgp4mpStateChange,
  encodeMrtRecord,
  MRT_BGP4MP,
  MRT_BGP4MP_ET,
  MrtReader,
  readMrt,
  type MrtRecord,
} from "../../../../codec/mrt/index.js";
import { bgpdump, bgpdumpAvailable } from "../../../helpers/bgpdump.js";
import { rowsFromMrt } from "./bgpdump-rows.js";
import { mrtFixtureFiles, readMrtFile, tempDir } from "./files.js";
import { sampleRecords } from "./sample.js";

function all(buf: Buffer): MrtRecord[] {
  return [...readMrt(buf)];
}

function catchError(f: () => unknown): CodecError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return e as CodecError;
  }
  throw new Error("expected a CodecError");
}

describe("readMrt", () => {
  it("walks a file record by record: offsets, header fields and body views", () => {
    const recs = sampleRecords();
    const file = Buffer.concat(recs);
    const read = all(file);
    expect(read).toHaveLength(recs.length);
    let off = 0;
    read.forEach((r, i) => {
      expect(r.offset).toBe(off);
      expect(r.end).toBe(off + recs[i]!.length);
      expect(r.type).toBe(recs[i]!.readUInt16BE(4));
      expect(r.subtype).toBe(recs[i]!.readUInt16BE(6));
      // The body is a view over the file, not a copy.
      expect(r.body.buffer).toBe(file.buffer);
      expect(r.body.byteOffset).toBe(file.byteOffset + r.bodyStart);
      off = r.end;
    });
    expect(off).toBe(file.length);
  });

  it("takes BGP4MP_ET microseconds from the body and starts the body after them (RFC 6396 3)", () => {
    const fields = {
      peerAs: 65001,
      localAs: 64500,
      peerIp: "10.0.0.2",
      localIp: "10.0.0.1",
      oldState: 1,
      newState: 2,
    };
    const plain = encodeBgp4mpStateChange({ tsMicros: 1_700_000_000_654_321, ...fields });
    const et = encodeBgp4mpStateChange({
      tsMicros: 1_700_000_000_654_321,
      extendedTimestamp: true,
      ...fields,
    });
    expect(et.length).toBe(plain.length + 4);
    expect(et.readUInt32BE(8)).toBe(plain.readUInt32BE(8) + 4); // the length counts the field
    const [p] = all(plain);
    const [e] = all(et);
    expect(p!.type).toBe(MRT_BGP4MP);
    expect(e!.type).toBe(MRT_BGP4MP_ET);
    expect(p!.tsMicros).toBe(1_700_000_000_000_000);
    expect(e!.tsMicros).toBe(1_700_000_000_654_321);
    expect(e!.body.equals(p!.body)).toBe(true);
  });

  it("supports next() as well as for..of, and returns undefined at the end", () => {
    const file = Buffer.concat(sampleRecords().slice(0, 3));
    const reader = new MrtReader(file);
    expect(reader.next()?.offset).toBe(0);
    expect(reader.next()).toBeDefined();
    expect(reader.next()).toBeDefined();
    expect(reader.next()).toBeUndefined();
    expect(reader.offset).toBe(file.length);
    expect(all(Buffer.alloc(0))).toEqual([]);
  });

  it("ends with mrt.truncated naming the offset, declared length and bytes left", () => {
    const recs = sampleRecords().slice(0, 4);
    const whole = Buffer.concat(recs);
    const lastStart = whole.length - recs[3]!.length;
    const declared = recs[3]!.readUInt32BE(8);
    for (let cut = lastStart + 1; cut < whole.length; cut++) {
      const reader = readMrt(whole.subarray(0, cut));
      for (let i = 0; i < 3; i++) expect(reader.next()?.offset).toBeDefined();
      const err = catchError(() => reader.next());
      expect(err.kind).toBe("mrt.truncated");
      expect(err.offset).toBe(lastStart);
      expect(err.message).toContain(`offset ${lastStart}`);
      if (cut >= lastStart + 12) {
        expect(err.message).toContain(`${declared} bytes`);
        expect(err.message).toContain(`${cut - lastStart - 12} left`);
      } else {
        expect(err.message).toContain(`${cut - lastStart} left`);
      }
      // The walk is over: the caller decides whether to report and stop.
      expect(reader.next()).toBeUndefined();
    }
  });

  it("rejects a BGP4MP_ET record too short for its microsecond field", () => {
    const rec = encodeMrtRecord({ tsMicros: 0, type: MRT_BGP4MP, subtype: 0, body: Buffer.alloc(3) });
    rec.writeUInt16BE(MRT_BGP4MP_ET, 4);
    const err = catchError(() => readMrt(rec).next());
    expect(err.kind).toBe("mrt.truncated");
    expect(err.message).toContain("microsecond");
  });

  it.skipIf(!bgpdumpAvailable())("stops where bgpdump stops on a file cut inside a record", () => {
    const recs = sampleRecords();
    const whole = Buffer.concat(recs);
    const cutAt = whole.length - recs.at(-1)!.length - 5; // inside the second-to-last record
    const file = path.join(tempDir(), "cut.mrt");
    fs.writeFileSync(file, whole.subarray(0, cutAt));
    const rowsBeforeCut = rowsFromMrt(whole.subarray(0, cutAt - recs.at(-2)!.length + 5));
    expect(bgpdump(file)).toEqual(rowsBeforeCut);
    expect(() => rowsFromMrt(whole.subarray(0, cutAt))).toThrow(CodecError);
  });

  const fixtures = mrtFixtureFiles();
  it.skipIf(fixtures.length === 0)("walks every fixture in fixtures/mrt to its last byte", () => {
    for (const f of fixtures) {
      const buf = readMrtFile(f);
      const recs = all(buf);
      expect(recs.length).toBeGreaterThan(0);
      expect(recs.at(-1)!.end).toBe(buf.length);
    }
  });
});
