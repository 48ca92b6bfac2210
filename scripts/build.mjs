// Bundles the CLI with esbuild: dist/cli.js plus chunks that each command loads on demand, so
// `routewatch decode` does not pay for the Kubernetes client or the metrics library.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildCli(entries = { cli: "src/cli.ts" }) {
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
    outdir: join(root, "dist"),
    // Chunk names are content hashes: remove stale ones by rebuilding into a clean dist if needed.
    chunkNames: "chunks/[name]-[hash]",
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const extra = process.argv.includes("--bench") ? { bench: "bench/run.ts" } : {};
  await buildCli({ cli: "src/cli.ts", ...extra });
}
