/**
 * Passive by construction, statically: only sender.ts writes to sockets or imports an encoder, and
 * the encoders it imports cannot produce a route. (Each socket test file also decodes every byte
 * the speaker sent and finds no UPDATE but End-of-RIB: see expectPassive in harness.ts.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeOpen, encodeOpen } from "../../../../codec/bgp/index.js";
import { buildConfig } from "../../../../src/core/config.js";
import { buildOurOpen } from "../../../../src/session/bgp/open-policy.js";

const DIR = join(import.meta.dirname, "../../../../src/session/bgp");
const sources = readdirSync(DIR)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ file: f, text: readFileSync(join(DIR, f), "utf8") }));

const ALLOWED_ENCODERS = [
  "encodeEndOfRib",
  "encodeKeepalive",
  "encodeNotification",
  "encodeOpen",
  "encodeRouteRefresh",
  "encodeShutdownNotification",
];

describe("the speaker's send path", () => {
  it("has sources to check", () => {
    expect(sources.map((s) => s.file)).toContain("sender.ts");
    expect(sources.length).toBeGreaterThan(5);
  });

  it("never names an UPDATE, attribute or NLRI encoder", () => {
    for (const { file, text } of sources) {
      for (const banned of ["encodeUpdate", "encodeAttribute", "encodeMessage", "writeNlri", "MSG_UPDATE"])
        expect(text.includes(banned), `${file} mentions ${banned}`).toBe(false);
    }
  });

  it("imports encoders only in sender.ts, and only those for OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, End-of-RIB", () => {
    for (const { file, text } of sources) {
      const encoders = [...text.matchAll(/\bencode[A-Z]\w*/g)].map((m) => m[0]);
      if (file === "sender.ts") expect([...new Set(encoders)].sort()).toEqual(ALLOWED_ENCODERS);
      else expect(encoders, `${file} uses an encoder`).toEqual([]);
    }
  });

  it("writes to sockets only in sender.ts", () => {
    for (const { file, text } of sources) {
      if (file === "sender.ts") continue;
      expect(/\.write\(|\.end\([^)]/.test(text), `${file} writes to a socket`).toBe(false);
    }
  });

  it("negotiates with the OPEN it actually sends", () => {
    for (const asn of [64512, 4200000001]) {
      const config = buildConfig({ asn, routerId: "10.0.0.1", bgp: { holdTime: 30 } });
      const ours = buildOurOpen(config);
      const bytes = encodeOpen(ours.fields);
      expect(decodeOpen(bytes, 19, bytes.length)).toEqual(ours.message);
    }
  });
});
