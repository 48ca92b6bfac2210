/** MRT files for the tests: the fixtures (plain, .gz or .bz2) and gen_mrt.py's synthetic stream. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const MRT_FIXTURES = path.join(REPO, "fixtures/mrt");

/** fixtures/mrt/* files that hold MRT data (anything but notes and scripts). */
export function mrtFixtureFiles(): string[] {
  if (!fs.existsSync(MRT_FIXTURES)) return [];
  return fs
    .readdirSync(MRT_FIXTURES)
    .filter((f) => !/\.(md|txt|json|sh|py|conf|toml|log)$/i.test(f) && !f.startsWith("."))
    .map((f) => path.join(MRT_FIXTURES, f))
    .filter((f) => fs.statSync(f).isFile())
    .sort();
}

/** A file's MRT bytes, decompressed the way bgpdump does for .gz and .bz2 names. */
export function readMrtFile(file: string): Buffer {
  const raw = fs.readFileSync(file);
  if (file.endsWith(".gz")) return zlib.gunzipSync(raw);
  if (file.endsWith(".bz2")) {
    const require = createRequire(import.meta.url);
    const bunzip = require("seek-bzip") as { decode(input: Buffer): Buffer };
    return bunzip.decode(raw);
  }
  return raw;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "routewatch-mrt-"));
}

/** gen_mrt.py from the lab (beside the repository as shared/), or undefined when it or python3 is missing. */
export function genMrtScript(): string | undefined {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  for (const p of [path.resolve(REPO, "../shared/lab/perf/gen_mrt.py"), "/work/shared/lab/perf/gen_mrt.py"]) {
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Runs gen_mrt.py into `out`; returns its "records announced withdrawn" counts. */
export function genMrt(
  script: string,
  out: string,
  updates: number,
): { records: number; announced: number; withdrawn: number } {
  const text = execFileSync("python3", [script, out, "--updates", String(updates)], { encoding: "utf8" });
  const [records, announced, withdrawn] = text.trim().split(/\s+/).map(Number);
  return { records: records!, announced: announced!, withdrawn: withdrawn! };
}
