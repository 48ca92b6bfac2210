/**
 * Feeds an inventory file's events into a store as time passes: events at one timestamp are applied
 * together, and the store is marked synced once the file's sync time is reached. Driven either by
 * hand (`advanceTo`, for a replay stepping a virtual clock) or by a clock (`play`).
 */
import type { Clock, Timer } from "../core/clock.js";
import type { InventoryFile } from "./file-source.js";
import type { InventoryStore } from "./store.js";

export class InventoryReplay {
  private next = 0;
  private syncedDone = false;

  constructor(
    private readonly file: InventoryFile,
    private readonly store: InventoryStore,
  ) {}

  /** Applies every event at or before `micros`, and marks the store synced when its time has come. */
  advanceTo(micros: number): void {
    const events = this.file.events;
    while (this.next < events.length && events[this.next]!.tsMicros <= micros) {
      const ts = events[this.next]!.tsMicros;
      let end = this.next;
      while (end < events.length && events[end]!.tsMicros === ts) end++;
      this.store.apply(events.slice(this.next, end));
      this.next = end;
    }
    if (!this.syncedDone && micros >= this.file.syncedAtMicros) {
      this.syncedDone = true;
      this.store.markAllSynced();
    }
  }

  /** When something is next due (an event or the sync point); undefined when everything is done. */
  nextDue(): number | undefined {
    const event = this.file.events[this.next]?.tsMicros;
    const sync = this.syncedDone ? undefined : this.file.syncedAtMicros;
    if (event === undefined) return sync;
    return sync === undefined ? event : Math.min(event, sync);
  }

  get done(): boolean {
    return this.nextDue() === undefined;
  }

  /**
   * Applies what is due now, then schedules itself on `clock` for what comes later. Returns a timer
   * that stops it. With the wall clock a recorded timeline (in the past) is applied at once.
   */
  play(clock: Clock): Timer {
    let timer: Timer | undefined;
    let stopped = false;
    const step = (): void => {
      if (stopped) return;
      this.advanceTo(clock.now());
      const due = this.nextDue();
      if (due !== undefined) timer = clock.after((due - clock.now()) / 1000, step);
    };
    step();
    return {
      cancel: () => {
        stopped = true;
        timer?.cancel();
      },
    };
  }
}
