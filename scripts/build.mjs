// Bundles the CLI with esbuild: dist/cli.js plus chunks that each command loads on demand, so
// `routewatch decode` does not pay for the Kubernetes client or the metrics library.
import { build } from "esbuild";
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

/**
 * Builds into a private directory, then moves the files into dist/ (chunks first, entry points
 * last; each rename is atomic), so a CLI started meanwhile never loads a half-written bundle.
 */
export async function buildCli(entries = { cli: "src/cli.ts" }) {
  const tmp = join(dist, `.build-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, join(root, path)])),
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
    outdir: tmp,
    chunkNames: "chunks/[name]-[hash]",
  });
  mkdirSync(join(dist, "chunks"), { recursive: true });
  for (const f of readdirSync(join(tmp, "chunks")))
    renameSync(join(tmp, "chunks", f), join(dist, "chunks", f));
  for (const f of readdirSync(tmp)) if (f !== "chunks") renameSync(join(tmp, f), join(dist, f));
  rmSync(tmp, { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const extra = process.argv.includes("--bench") ? { bench: "bench/run.ts" } : {};
  await buildCli({ cli: "src/cli.ts", ...extra });
}
