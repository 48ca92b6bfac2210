/** One peer's Adj-RIB: paths by prefix (and ADD-PATH path id), with per-family counts. */
import type { Path } from "../core/types.js";

export class PeerTable {
  /** Key: the prefix, or "prefix#pathId" for a non-zero path id. */
  private readonly paths = new Map<string, Path>();
  /** Path ids per prefix, kept only once a non-zero path id was seen (ADD-PATH). */
  private pathIds: Map<string, Set<number>> | undefined;
  ipv4 = 0;
  ipv6 = 0;

  get size(): number {
    return this.paths.size;
  }

  private static key(prefix: string, pathId: number): string {
    return pathId === 0 ? prefix : `${prefix}#${pathId}`;
  }

  get(prefix: string, pathId: number): Path | undefined {
    return this.paths.get(PeerTable.key(prefix, pathId));
  }

  /** Every path for a prefix (several with ADD-PATH). */
  lookup(prefix: string): Path[] {
    if (!this.pathIds) {
      const p = this.paths.get(prefix);
      return p ? [p] : [];
    }
    const ids = this.pathIds.get(prefix);
    const out: Path[] = [];
    const plain = this.paths.get(prefix);
    if (plain) out.push(plain);
    if (ids) for (const id of ids) out.push(this.paths.get(PeerTable.key(prefix, id))!);
    return out;
  }

  /** Stores a path; returns the one it replaced. */
  set(path: Path): Path | undefined {
    const key = PeerTable.key(path.prefix, path.pathId);
    const previous = this.paths.get(key);
    this.paths.set(key, path);
    if (!previous) {
      if (path.prefix.includes(":")) this.ipv6++;
      else this.ipv4++;
      if (path.pathId !== 0) {
        this.pathIds ??= new Map();
        let ids = this.pathIds.get(path.prefix);
        if (!ids) this.pathIds.set(path.prefix, (ids = new Set()));
        ids.add(path.pathId);
      }
    }
    return previous;
  }

  /** Removes a path; returns it. */
  delete(prefix: string, pathId: number): Path | undefined {
    const key = PeerTable.key(prefix, pathId);
    const previous = this.paths.get(key);
    if (!previous) return undefined;
    this.paths.delete(key);
    if (prefix.includes(":")) this.ipv6--;
    else this.ipv4--;
    if (pathId !== 0 && this.pathIds) {
      const ids = this.pathIds.get(prefix);
      ids?.delete(pathId);
      if (ids && ids.size === 0) this.pathIds.delete(prefix);
    }
    return previous;
  }

  values(): IterableIterator<Path> {
    return this.paths.values();
  }
}
