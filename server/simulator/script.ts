/** A source that plays a fixed list of timed actions (syslog lines, reports) in time order. */
import type { Datagram, Source } from './runtime.js';

export interface ScriptEvent {
  readonly atMs: number;
  /** Runs at `atMs`; builds its datagrams then, so it sees the counters of that moment. */
  readonly run: (out: Datagram[]) => void;
}

export class ScriptSource implements Source {
  at: number;
  private next = 0;
  private readonly events: readonly ScriptEvent[];

  constructor(events: readonly ScriptEvent[]) {
    // Stable sort: events planned for the same instant keep the order they were written in.
    this.events = [...events].sort((a, b) => a.atMs - b.atMs);
    this.at = this.events[0]?.atMs ?? Infinity;
  }

  step(out: Datagram[]): void {
    const e = this.events[this.next++]!;
    e.run(out);
    this.at = this.events[this.next]?.atMs ?? Infinity;
  }
}
