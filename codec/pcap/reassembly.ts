/**
 * One direction of a TCP connection put back in order (RFC 9293 3.4 sequence numbers, modulo
 * 2^32). In-order payload goes straight to the sink as the captured view; a segment ahead of
 * the next expected byte waits (bounded) for the hole before it to fill; bytes already
 * delivered (retransmissions, overlaps) are trimmed. A hole is never filled by guessing: when
 * it is given up the sink hears how many bytes are missing.
 */

export interface DirectionSink {
  /** The direction starts; `midStream` when no SYN was seen, so the first byte may be mid-message. */
  begin(midStream: boolean): void;
  data(chunk: Buffer): void;
  gap(missing: number, reason: string): void;
  /** No more data will come (FIN reached, RST, or end of capture). */
  end(): void;
}

/** Out-of-order bytes held, shared by all directions to enforce the total bound. */
export interface BufferBudget {
  buffered: number;
}

const MAX_WINDOW = 2 ** 30;
const UNSEEN = "the peer acknowledged bytes the capture does not hold";

interface Held {
  seq: number;
  data: Buffer;
}

/** Signed distance from b to a in sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpDirection {
  started = false;
  finished = false;
  /** Initial sequence number, when the SYN was seen. */
  isn: number | undefined;
  /** Out-of-order bytes held by this direction. */
  buffered = 0;
  private next = 0;
  private finSeq: number | undefined;
  private held: Held[] = [];

  constructor(
    private readonly sink: DirectionSink,
    private readonly budget: BufferBudget,
    private readonly maxBuffered: number,
  ) {}

  /** A SYN: the data starts at isn + 1. */
  syn(seq: number): void {
    if (this.started) return;
    this.isn = seq;
    this.begin((seq + 1) >>> 0, false);
  }

  /** A segment whose payload starts at `seq` (SYN already accounted for). */
  segment(seq: number, payload: Buffer, fin: boolean): void {
    if (this.finished) return;
    if (!this.started) {
      // A bare ACK says nothing about where the data starts; a bare FIN ends a direction that sent nothing.
      if (payload.length === 0) {
        if (fin) this.finished = true;
        return;
      }
      this.begin(seq, true);
    }
    if (fin) this.finSeq ??= (seq + payload.length) >>> 0;
    const d = seqDiff(seq, this.next);
    if (d <= 0) {
      // Already delivered up to -d bytes of it: a retransmission or an overlap.
      if (-d < payload.length) {
        this.deliver(payload.subarray(-d));
        this.drain();
      }
    } else if (payload.length > 0) {
      this.hold(seq, payload);
      if (this.buffered > this.maxBuffered) {
        this.giveUp(`out-of-order bytes for this direction exceeded ${this.maxBuffered}`);
      }
    }
    this.checkFin();
  }

  /**
   * The `missing` bytes right after `seq`'s captured part will never be seen (snap length):
   * reports them now rather than waiting for a bound, when they are next in line.
   */
  skip(afterSeq: number, missing: number, reason: string): void {
    if (this.finished || !this.started || missing <= 0 || afterSeq !== this.next) return;
    this.sink.gap(missing, reason);
    this.next = (this.next + missing) >>> 0;
    this.drain();
    this.checkFin();
  }

  /**
   * The peer acknowledged everything before `ack`: bytes it received that the capture did not
   * hold will not be sent again, so the holes before `ack` are gaps now (Wireshark's "ACKed
   * unseen segment"), instead of waiting for a bound or the end of the stream.
   */
  acked(ack: number): void {
    if (this.finished || !this.started) return;
    // A FIN takes one sequence number but no byte; never count it as missing data.
    const end = this.finSeq !== undefined && seqDiff(ack, this.finSeq) > 0 ? this.finSeq : ack;
    const ahead = seqDiff(end, this.next);
    // Beyond the largest window (RFC 7323 2.3: 2^30) the number is not a real acknowledgment.
    if (ahead <= 0 || ahead > MAX_WINDOW) return;
    while (this.held.length > 0 && seqDiff(end, this.held[0]!.seq) > 0) this.giveUp(UNSEEN);
    const missing = seqDiff(end, this.next);
    if (missing > 0) {
      this.sink.gap(missing, UNSEEN);
      this.next = end;
      this.drain();
    }
    this.checkFin();
  }

  /** Gives up the hole before the first held segment and delivers what follows it. */
  giveUp(reason: string): void {
    const first = this.held[0];
    if (!first) return;
    this.sink.gap(seqDiff(first.seq, this.next) >>> 0, reason);
    this.next = first.seq;
    this.drain();
  }

  /** Ends the direction (RST or end of capture): every remaining hole is a gap. */
  close(reason: string): void {
    if (this.finished || !this.started) {
      this.finished = true;
      return;
    }
    while (this.held.length > 0) this.giveUp(reason);
    if (this.finSeq !== undefined && seqDiff(this.finSeq, this.next) > 0) {
      this.sink.gap(seqDiff(this.finSeq, this.next), reason);
    }
    this.finish();
  }

  /** Sequence number expected next (the end of what was delivered). */
  get nextSeq(): number {
    return this.next;
  }

  private begin(next: number, midStream: boolean): void {
    this.started = true;
    this.next = next;
    this.sink.begin(midStream);
  }

  private deliver(chunk: Buffer): void {
    this.next = (this.next + chunk.length) >>> 0;
    this.sink.data(chunk);
  }

  private hold(seq: number, data: Buffer): void {
    // Keep held sorted by sequence; arrivals are mostly in order, so search from the end.
    let i = this.held.length;
    while (i > 0 && seqDiff(this.held[i - 1]!.seq, seq) > 0) i--;
    const prev = this.held[i - 1];
    if (prev && prev.seq === seq && prev.data.length >= data.length) return; // duplicate
    this.held.splice(i, 0, { seq, data });
    this.buffered += data.length;
    this.budget.buffered += data.length;
  }

  /** Delivers held segments that the next expected byte has reached. */
  private drain(): void {
    while (this.held.length > 0) {
      const first = this.held[0]!;
      const d = seqDiff(first.seq, this.next);
      if (d > 0) break;
      this.held.shift();
      this.buffered -= first.data.length;
      this.budget.buffered -= first.data.length;
      if (-d < first.data.length) this.deliver(first.data.subarray(-d));
    }
  }

  private checkFin(): void {
    if (this.finSeq !== undefined && seqDiff(this.next, this.finSeq) >= 0) this.finish();
  }

  private finish(): void {
    this.budget.buffered -= this.buffered;
    this.buffered = 0;
    this.held = [];
    this.finished = true;
    this.sink.end();
  }
}
