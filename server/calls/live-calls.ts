/**
 * Live call updates over socket.io. A browser emits `calls:subscribe` (every call) or
 * `call:subscribe` {id} (one call's page); it gets `calls:update` {calls} with new and changed
 * calls and `calls:samples` {callId, samples}. Changes are coalesced: a call that changed ten times
 * between two pushes is sent once, and pushes happen a few times a second at most. In a fleet
 * (--redis) each push is also handed to the other collectors, whose browsers get it the same way.
 */
import type { Socket } from 'socket.io';
import type { FleetRelay } from '../live/fleet-relay.js';
import type { LiveHub } from '../live/hub.js';
import type { CallListener } from './correlator.js';
import { callJson, sampleJson } from '../json/call.js';
import type { CallJson, SampleJson } from '../json/types.js';
import type { Call, QualitySample } from './model.js';

export const CALLS_PUSH_INTERVAL_MS = 250;
/** Samples held per call between two pushes; past it the browser is told to refetch the timeline. */
const MAX_PENDING_SAMPLES_PER_CALL = 5000;
/** Single-call subscriptions one browser may hold (a page shows one; a few tabs share a socket). */
const MAX_CALL_SUBSCRIPTIONS = 32;

/** One push as JSON: what goes to browsers, and to the other collectors. */
interface CallsPush {
  readonly calls: CallJson[];
  readonly samples: Array<{ callId: number; samples: SampleJson[]; missed: number }>;
}

interface Subscriber {
  readonly socket: Socket;
  all: boolean;
  readonly ids: Set<number>;
}

export class LiveCalls implements CallListener {
  private readonly subscribers = new Map<string, Subscriber>();
  private calls = new Map<number, Call>();
  private samples = new Map<number, { list: QualitySample[]; missed: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly fleet: FleetRelay | null;
  private fromPeers: CallsPush[] = [];

  constructor(hub: LiveHub, intervalMs = CALLS_PUSH_INTERVAL_MS) {
    hub.onConnect((socket) => this.attach(socket));
    this.fleet = hub.fleetRelay;
    this.fleet?.onPeer('calls', (p) => { if (this.subscribers.size > 0) this.fromPeers.push(p as CallsPush); });
    this.timer = setInterval(() => this.push(), intervalMs);
    this.timer.unref();
  }

  /** Browsers here or, in a fleet, possibly on another collector. */
  private get watched(): boolean {
    return this.fleet !== null || this.subscribers.size > 0;
  }

  onCall(call: Call): void {
    if (this.watched) this.calls.set(call.id, call);
  }

  onSamples(callId: number, samples: readonly QualitySample[]): void {
    if (!this.watched) return;
    let p = this.samples.get(callId);
    if (!p) this.samples.set(callId, (p = { list: [], missed: 0 }));
    const room = Math.max(0, MAX_PENDING_SAMPLES_PER_CALL - p.list.length);
    p.list.push(...samples.slice(0, room));
    p.missed += Math.max(0, samples.length - room);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private attach(socket: Socket): void {
    const sub: Subscriber = { socket, all: false, ids: new Set() };
    this.subscribers.set(socket.id, sub);
    const ack = (fn: unknown, value: unknown) => { if (typeof fn === 'function') fn(value); };
    socket.on('calls:subscribe', (_: unknown, fn?: unknown) => { sub.all = true; ack(fn ?? _, { ok: true }); });
    socket.on('calls:unsubscribe', () => { sub.all = false; });
    socket.on('call:subscribe', (arg: unknown, fn?: unknown) => {
      const id = typeof arg === 'object' && arg !== null ? (arg as { id?: unknown }).id : undefined;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return ack(fn, { ok: false, error: 'call:subscribe needs {id: <call id>}' });
      if (sub.ids.size >= MAX_CALL_SUBSCRIPTIONS) return ack(fn, { ok: false, error: `at most ${MAX_CALL_SUBSCRIPTIONS} calls per connection` });
      sub.ids.add(id);
      ack(fn, { ok: true });
    });
    socket.on('call:unsubscribe', (arg: unknown) => {
      const id = typeof arg === 'object' && arg !== null ? (arg as { id?: unknown }).id : undefined;
      if (typeof id === 'number') sub.ids.delete(id);
    });
    socket.on('disconnect', () => this.subscribers.delete(socket.id));
  }

  private push(): void {
    const pushes = this.fromPeers;
    this.fromPeers = [];
    if (this.calls.size > 0 || this.samples.size > 0) {
      const own: CallsPush = {
        calls: [...this.calls.values()].map(callJson),
        samples: [...this.samples].map(([callId, p]) => ({ callId, samples: p.list.map(sampleJson), missed: p.missed })),
      };
      this.calls = new Map();
      this.samples = new Map();
      this.fleet?.share('calls', own);
      pushes.push(own);
    }
    for (const push of pushes) this.deliver(push);
  }

  private deliver(push: CallsPush): void {
    for (const sub of this.subscribers.values()) {
      if (!sub.all && sub.ids.size === 0) continue;
      const wanted = (id: number) => sub.all || sub.ids.has(id);
      const mine = push.calls.filter((c) => wanted(c.id));
      if (mine.length > 0) sub.socket.emit('calls:update', { calls: mine });
      for (const s of push.samples) if (wanted(s.callId)) sub.socket.emit('calls:samples', s);
    }
  }
}
