/**
 * The virtual timeline: merges every phone's and every call's sources by time (a binary heap with
 * an insertion-order tie-break, so equal times always come out the same way) and hands datagrams
 * to a sink in time order. A call's sources are created only when its INVITE is due, so memory
 * follows concurrent calls, not the length of the run.
 */
import { callScript } from './call-script.js';
import { CallMedia, type ObservedBurst } from './media.js';
import { RecordingKindsSource } from './recording-kinds.js';
import { phoneScript } from './phone-script.js';
import type { SimCall, SimPhone, SimPlan } from './plan.js';
import type { RxStats } from './rx-stats.js';
import { DATAGRAM_KINDS, PhoneRuntime, type Datagram, type DatagramKind, type Source } from './runtime.js';

/** What the receiving side of a call saw; kept after the call so the event log can state it. */
export interface CallObservation {
  readonly rx: RxStats;
  readonly bursts: readonly ObservedBurst[];
}

/** The heap keeps each source's time in its own entry: comparing `at` across the several Source classes would be megamorphic. */
interface Entry {
  at: number;
  readonly order: number;
  readonly source: Source;
}

class SourceHeap {
  private readonly items: Entry[] = [];
  private counter = 0;

  push(source: Source): void {
    if (source.at === Infinity) return;
    this.siftUp({ at: source.at, order: this.counter++, source });
  }

  /** Puts a popped source back under its new time, reusing its entry. */
  reinsert(entry: Entry): void {
    if (entry.source.at === Infinity) return;
    entry.at = entry.source.at;
    this.siftUp(entry);
  }

  peekAt(): number {
    return this.items[0]?.at ?? Infinity;
  }

  pop(): Entry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    // Sift the last entry down from the root, moving children up into the hole.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const c = r < items.length && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[c]!, last)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = last;
    return top;
  }

  private siftUp(entry: Entry): void {
    const items = this.items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

export interface EngineOptions {
  readonly plan: SimPlan;
  /** Host the reports name as the collector (PUBLISH Request-URI). */
  readonly collectorHost: string;
  /** The port each phone's SIP comes from (fixed in a capture, the bound socket's port live). */
  readonly sipPortOf: (phone: SimPhone) => number;
}

export class SimulationEngine {
  readonly counts: Record<DatagramKind, number> = Object.fromEntries(DATAGRAM_KINDS.map((k) => [k, 0])) as Record<DatagramKind, number>;
  /** By call index, for every call started so far. */
  readonly observed = new Map<number, CallObservation>();
  private readonly heap = new SourceHeap();
  private readonly runtimes = new Map<number, PhoneRuntime>();
  private readonly calls: readonly SimCall[];
  private nextCall = 0;
  private readonly epochMs: number;

  constructor(private readonly o: EngineOptions) {
    const { plan } = o;
    this.epochMs = plan.options.startMs;
    this.calls = plan.calls;
    for (const p of plan.phones) {
      const rt = new PhoneRuntime(p, o.sipPortOf(p));
      this.runtimes.set(p.index, rt);
      this.heap.push(phoneScript(p, rt, this.epochMs, plan.options.durationMs, plan.options.seed, plan.options.crashEveryMs));
    }
  }

  /** Virtual time of the next datagram; Infinity when the run is over. */
  nextAtMs(): number {
    return Math.min(this.heap.peekAt(), this.calls[this.nextCall]?.inviteMs ?? Infinity);
  }

  get done(): boolean {
    return this.nextAtMs() === Infinity;
  }

  /** Appends datagrams due at or before `untilMs`, in time order, stopping after about `max`. */
  pull(untilMs: number, out: Datagram[], max = Infinity): void {
    const start = out.length;
    while (out.length - start < max) {
      const call = this.calls[this.nextCall];
      if (call && call.inviteMs <= this.heap.peekAt() && call.inviteMs <= untilMs) {
        this.startCall(call);
        continue;
      }
      const next = this.heap.peekAt();
      if (next > untilMs || next === Infinity) break;
      const entry = this.heap.pop()!;
      const first = out.length;
      entry.source.step(out);
      for (let i = first; i < out.length; i++) this.counts[out[i]!.kind]++;
      this.heap.reinsert(entry);
    }
  }

  private startCall(call: SimCall): void {
    this.nextCall++;
    const rt = this.runtimes.get(call.phone.index)!;
    const media = new CallMedia(call, rt, this.epochMs);
    this.observed.set(call.index, { rx: media.rx, bursts: media.bursts });
    this.heap.push(callScript(call, rt, media, this.epochMs, this.o.collectorHost));
    this.heap.push(media.tx);
    this.heap.push(media.receive);
    const kinds = this.o.plan.options.recordingKinds;
    if (kinds && kinds.length > 0) this.heap.push(new RecordingKindsSource(call, rt, kinds));
  }
}
