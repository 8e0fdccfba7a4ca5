// One socket.io connection for the whole app: health for the strip, log batches for the tail.
import { io, type Socket } from 'socket.io-client';
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

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';
type ConnectionListener = (state: ConnectionState) => void;

const SUBSCRIBE_ACK_TIMEOUT_MS = 3000;

export class LiveConnection {
  private readonly socket: Socket;
  private filter: LiveFilter | null = null;
  private readonly healthListeners = new Set<(h: Health) => void>();
  private readonly batchListeners = new Set<(b: LiveBatch) => void>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private state: ConnectionState = 'connecting';

  constructor() {
    this.socket = io({ path: '/socket.io' });
    this.socket.on('connect', () => {
      // The server forgets subscriptions with the connection: renew after every reconnect.
      if (this.filter) this.socket.emit('logs:subscribe', this.filter);
      this.setState('connected');
    });
    // socket.io retries on its own; listeners hear about changes, not about every retry.
    this.socket.on('disconnect', () => this.setState('disconnected'));
    this.socket.on('connect_error', () => this.setState('disconnected'));
    this.socket.on('health', (h: unknown) => {
      if (!isHealth(h)) return;
      for (const l of this.healthListeners) l(h);
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
    for (const l of this.healthListeners) l(h);
  }

  onHealth(l: (h: Health) => void): () => void {
    this.healthListeners.add(l);
    return () => this.healthListeners.delete(l);
  }

  onBatch(l: (b: LiveBatch) => void): () => void {
    this.batchListeners.add(l);
    return () => this.batchListeners.delete(l);
  }

  onConnection(l: ConnectionListener): () => void {
    this.connectionListeners.add(l);
    return () => this.connectionListeners.delete(l);
  }
}
