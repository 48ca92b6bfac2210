/**
 * The MRT reader + BGP codec against bgpdump, an independent decoder: for every file, every row
 * bgpdump -m -l prints (timestamp, A/W/B/STATE, peer IP and AS, prefix, path id, AS path, origin,
 * next hop, local pref, MED, communities, large communities, atomic aggregate, aggregator) must be
 * the row computed from our decode, in the same order.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bgpdump, bgpdumpAvailable, BGPDUMP_MISSING, type BgpdumpRow } from "../../../helpers/bgpdump.js";
import { rowsFromMrt, withoutDanglingPeers } from "./bgpdump-rows.js";
import { genMrt, genMrtScript, mrtFixtureFiles, readMrtFile, tempDir } from "./files.js";
import { sampleRecords } from "./sample.js";

const HAVE_BGPDUMP = bgpdumpAvailable();

function countKinds(rows: BgpdumpRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = r.kind === "route" ? r.type : r.kind === "withdraw" ? "W" : "STATE";
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Compares in chunks so a mismatch names the first differing row, not a 10k-row diff. */
function expectSameRows(ours: BgpdumpRow[], theirs: BgpdumpRow[]): void {
  expect(countKinds(ours)).toEqual(countKinds(theirs));
  for (let i = 0; i < theirs.length; i += 500) {
    expect(ours.slice(i, i + 500), `rows ${i}..${i + 499}`).toEqual(theirs.slice(i, i + 500));
  }
  expect(ours.length).toBe(theirs.length);
}

describe.skipIf(!HAVE_BGPDUMP)("MRT decode agrees with bgpdump -m", () => {
  it("on the writer's sample file covering every record kind and column", () => {
    const file = path.join(tempDir(), "sample.mrt");
    fs.writeFileSync(file, Buffer.concat(sampleRecords()));
    const theirs = bgpdump(file);
    expect(countKinds(theirs)).toEqual({ STATE: 4, A: 12, W: 4, B: 8 });
    expectSameRows(rowsFromMrt(fs.readFileSync(file)), theirs);
  });

  const gen = genMrtScript();
  it.skipIf(!gen)("on gen_mrt.py's BGP4MP_MESSAGE_AS4 stream (2000 updates)", () => {
    const file = path.join(tempDir(), "gen.mrt");
    const counts = genMrt(gen!, file, 2000);
    const theirs = bgpdump(file);
    // gen_mrt.py's own counts are a third, independent witness.
    expect(countKinds(theirs)).toEqual({ A: counts.announced, W: counts.withdrawn });
    expectSameRows(rowsFromMrt(fs.readFileSync(file)), theirs);
  });

  const fixtures = mrtFixtureFiles();
  if (fixtures.length === 0) it.skip("no MRT files in fixtures/mrt yet", () => {});
  for (const file of fixtures) {
    it(`on fixture ${path.basename(file)}`, () => {
      let input = readMrtFile(file);
      let theirs: BgpdumpRow[];
      try {
        theirs = bgpdump(file);
      } catch (e) {
        // bgpdump aborts on RIB entries naming unknown peers (GoBGP's own routes): compare the rest.
        const cleaned = withoutDanglingPeers(input);
        if (cleaned.dropped === 0) throw e;
        const copy = path.join(tempDir(), path.basename(file).replace(/\.(gz|bz2)$/, ""));
        fs.writeFileSync(copy, cleaned.buf);
        theirs = bgpdump(copy);
        input = cleaned.buf;
      }
      const ours = rowsFromMrt(input);
      expect(ours.length, "bgpdump printed no rows: the file proves nothing").toBeGreaterThan(0);
      expectSameRows(ours, theirs);
    });
  }
});

if (!HAVE_BGPDUMP) it.skip(BGPDUMP_MISSING, () => {});
