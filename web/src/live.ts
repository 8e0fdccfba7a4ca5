// One socket.io connection for the whole app: health for the strip, log batches for the tail.
import { io, type Socket } from 'socket.io-client';
import { isCallSummary, isSample, type CallSummary, type Sample } from './calls-api.js';
import { isHealth, isLogBatch, splitLines, type Health, type LogLine } from './types.js';

export interface LiveFilter {
  device?: string;
  modules?: string[];
  severity?: number;
}

export interface LiveBatch {
  lines: LogLine[];
  missed: number;
  invalid: number;
}

export interface CallSamples {
  callId: number;
  samples: Sample[];
  /** Samples the server could not hold for this browser: refetch the timeline. */
  missed: number;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';
type ConnectionListener = (state: ConnectionState) => void;

const SUBSCRIBE_ACK_TIMEOUT_MS = 3000;

export class LiveConnection {
  private readonly socket: Socket;
  private filter: LiveFilter | null = null;
  private readonly healthListeners = new Set<(h: Health) => void>();
  private readonly batchListeners = new Set<(b: LiveBatch) => void>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private readonly callListeners = new Set<(calls: CallSummary[]) => void>();
  private readonly sampleListeners = new Set<(s: CallSamples) => void>();
  /** Pages that want every call's changes (the count decides subscribe/unsubscribe). */
  private allCallsWanted = 0;
  private readonly callsWanted = new Map<number, number>();
  private state: ConnectionState = 'connecting';
  private lastHealth: Health | null = null;

  constructor() {
    this.socket = io({ path: '/socket.io' });
    this.socket.on('connect', () => {
      // The server forgets subscriptions with the connection: renew after every reconnect.
      if (this.filter) this.socket.emit('logs:subscribe', this.filter);
      if (this.allCallsWanted > 0) this.socket.emit('calls:subscribe');
      for (const id of this.callsWanted.keys()) this.socket.emit('call:subscribe', { id });
      this.setState('connected');
    });
    // socket.io retries on its own; listeners hear about changes, not about every retry.
    this.socket.on('disconnect', () => this.setState('disconnected'));
    this.socket.on('connect_error', () => this.setState('disconnected'));
    this.socket.on('health', (h: unknown) => {
      if (!isHealth(h)) return;
      this.lastHealth = h;
      for (const l of this.healthListeners) l(h);
    });
    this.socket.on('calls:update', (u: unknown) => {
      const calls = typeof u === 'object' && u !== null && Array.isArray((u as { calls?: unknown }).calls) ? (u as { calls: unknown[] }).calls : [];
      const valid = calls.filter(isCallSummary);
      if (valid.length > 0) for (const l of this.callListeners) l(valid);
    });
    this.socket.on('calls:samples', (u: unknown) => {
      if (typeof u !== 'object' || u === null) return;
      const { callId, samples, missed } = u as { callId?: unknown; samples?: unknown; missed?: unknown };
      if (typeof callId !== 'number' || !Array.isArray(samples)) return;
      const s: CallSamples = { callId, samples: samples.filter(isSample), missed: typeof missed === 'number' ? missed : 0 };
      for (const l of this.sampleListeners) l(s);
    });
    this.socket.on('logs:batch', (b: unknown) => {
      if (!isLogBatch(b)) return;
      const { lines, invalid } = splitLines(b.lines);
      for (const l of this.batchListeners) l({ lines, missed: b.missed, invalid });
    });
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const l of this.connectionListeners) l(state);
  }

  /**
   * Starts the live tail. Resolves with the server's `lastId`: lines up to it came before the
   * subscription (the caller reads them from history), later ones come live. Null when offline.
   */
  async subscribe(filter: LiveFilter): Promise<number | null> {
    this.filter = filter;
    if (!this.socket.connected) return null;
    try {
      const ack: unknown = await this.socket.timeout(SUBSCRIBE_ACK_TIMEOUT_MS).emitWithAck('logs:subscribe', filter);
      const lastId = (ack as { lastId?: unknown } | null)?.lastId;
      return typeof lastId === 'number' ? lastId : null;
    } catch {
      return null;
    }
  }

  unsubscribe(): void {
    this.filter = null;
    if (this.socket.connected) this.socket.emit('logs:unsubscribe');
  }

  /** Hands a health snapshot fetched over HTTP to the same listeners, so a page fills at once. */
  publishHealth(h: Health): void {
    this.lastHealth = h;
    for (const l of this.healthListeners) l(h);
  }

  /** Listens to health snapshots; one is known already, the listener hears it at once. */
  onHealth(l: (h: Health) => void): () => void {
    this.healthListeners.add(l);
    if (this.lastHealth) l(this.lastHealth);
    return () => this.healthListeners.delete(l);
  }

  /** Any other pushed event (`imports:update`); the handler checks the shape. Returns the function that stops listening. */
  on(event: string, handler: (data: unknown) => void): () => void {
    this.socket.on(event, handler);
    return () => { this.socket.off(event, handler); };
  }

  onBatch(l: (b: LiveBatch) => void): () => void {
    this.batchListeners.add(l);
    return () => this.batchListeners.delete(l);
  }

  /**
   * Calls that are created or change, pushed a few times a second at most. `id` narrows it to one
   * call (its samples come too). Returns the function that ends this interest.
   */
  watchCalls(l: (calls: CallSummary[]) => void, id?: number): () => void {
    this.callListeners.add(l);
    if (id === undefined) {
      if (this.allCallsWanted++ === 0 && this.socket.connected) this.socket.emit('calls:subscribe');
    } else {
      const n = this.callsWanted.get(id) ?? 0;
      this.callsWanted.set(id, n + 1);
      if (n === 0 && this.socket.connected) this.socket.emit('call:subscribe', { id });
    }
    return () => {
      this.callListeners.delete(l);
      if (id === undefined) {
        if (--this.allCallsWanted === 0 && this.socket.connected) this.socket.emit('calls:unsubscribe');
      } else {
        const n = (this.callsWanted.get(id) ?? 1) - 1;
        if (n > 0) this.callsWanted.set(id, n);
        else {
          this.callsWanted.delete(id);
          if (this.socket.connected) this.socket.emit('call:unsubscribe', { id });
        }
      }
    };
  }

  /** Quality samples of the calls watched with an id, as they are stored. */
  onSamples(l: (s: CallSamples) => void): () => void {
    this.sampleListeners.add(l);
    return () => this.sampleListeners.delete(l);
  }

  onConnection(l: ConnectionListener): () => void {
    this.connectionListeners.add(l);
    return () => this.connectionListeners.delete(l);
  }
}
