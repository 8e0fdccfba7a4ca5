/**
 * Live call updates over socket.io. A browser emits `calls:subscribe` (every call) or
 * `call:subscribe` {id} (one call's page); it gets `calls:update` {calls} with new and changed
 * calls and `calls:samples` {callId, samples}. Changes are coalesced: a call that changed ten times
 * between two pushes is sent once, and pushes happen a few times a second at most.
 */
import type { Socket } from 'socket.io';
import type { LiveHub } from '../live/hub.js';
import type { CallListener } from './correlator.js';
import { callJson, sampleJson } from '../json/call.js';
import type { Call, QualitySample } from './model.js';

export const CALLS_PUSH_INTERVAL_MS = 250;
/** Samples held per call between two pushes; past it the browser is told to refetch the timeline. */
const MAX_PENDING_SAMPLES_PER_CALL = 5000;
/** Single-call subscriptions one browser may hold (a page shows one; a few tabs share a socket). */
const MAX_CALL_SUBSCRIPTIONS = 32;

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

  constructor(hub: LiveHub, intervalMs = CALLS_PUSH_INTERVAL_MS) {
    hub.onConnect((socket) => this.attach(socket));
    this.timer = setInterval(() => this.push(), intervalMs);
    this.timer.unref();
  }

  onCall(call: Call): void {
    if (this.subscribers.size > 0) this.calls.set(call.id, call);
  }

  onSamples(callId: number, samples: readonly QualitySample[]): void {
    if (this.subscribers.size === 0) return;
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
    if (this.calls.size === 0 && this.samples.size === 0) return;
    const calls = [...this.calls.values()];
    const samples = this.samples;
    this.calls = new Map();
    this.samples = new Map();
    for (const sub of this.subscribers.values()) {
      if (!sub.all && sub.ids.size === 0) continue;
      const wanted = (id: number) => sub.all || sub.ids.has(id);
      const mine = calls.filter((c) => wanted(c.id));
      if (mine.length > 0) sub.socket.emit('calls:update', { calls: mine.map(callJson) });
      for (const [callId, p] of samples) {
        if (wanted(callId)) sub.socket.emit('calls:samples', { callId, samples: p.list.map(sampleJson), missed: p.missed });
      }
    }
  }
}
