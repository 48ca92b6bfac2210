import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeFile, linesOf, messagesOf, problemsOf, tshark } from "./tshark.js";

const CAPTURES = join(import.meta.dirname, "../../../../fixtures/captures");
const fixtures = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng)$/.test(f));

describe("golden captures from real daemons: the same split as tshark", () => {
  it("has fixtures to check", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });
  it.concurrent.each(fixtures)("%s", async (name) => {
    const file = join(CAPTURES, name);
    const view = await tshark(file);
    const events = decodeFile(file);
    expect(view.lines.length).toBeGreaterThan(0);
    expect(linesOf(events)).toEqual(view.lines);
    // Timestamp of each message = time of the frame that completed it.
    for (const m of messagesOf(events)) expect(m.tsMicros).toBe(view.frames.get(m.frame)!.tsMicros);
    expect(problemsOf(events)).toEqual([]);
  });
});
