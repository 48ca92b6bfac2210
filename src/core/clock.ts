/**
 * Time, injected. Live runs use the wall clock; replay advances a virtual clock to each recorded
 * message's timestamp, so the same input produces the same timers firing in the same order.
 */

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Microseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds of this clock's time. */
  after(ms: number, fn: () => void): Timer;
}

export const realClock: Clock = {
  now: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

function earlier(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A clock that only moves when told to; timers fire in due order as it passes them. */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  /** Binary min-heap by (at, seq). */
  private heap: Pending[] = [];

  constructor(startMicros = 0) {
    this.current = startMicros;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): Timer {
    const p: Pending = {
      at: this.current + Math.max(0, Math.round(ms * 1000)),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.push(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  /** Moves time forward to `micros`, firing every timer due on the way (in time, then creation, order). */
  advanceTo(micros: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= micros) {
      const p = this.pop();
      if (p.cancelled) continue;
      this.current = Math.max(this.current, p.at);
      p.fn();
    }
    this.current = Math.max(this.current, micros);
  }

  /** When the next live timer is due, if any. */
  nextDue(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0]?.at;
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Pending {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && earlier(h[l]!, h[m]!)) m = l;
        if (r < h.length && earlier(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
