/**
 * Groups parsed lines into transactions. One write is in flight at a time; lines that arrive
 * meanwhile wait in a bounded queue, as columns in blocks of one transaction each (see
 * log-columns.ts), and past its bound they are dropped and counted, never lost silently. A failed
 * write (disk full, I/O error) keeps its block and is retried.
 */
import type { Counters } from '../counters.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import { LogColumnsBuilder, type LogColumns } from './log-columns.js';
import type { LogRecord, Store } from './types.js';

export interface BatchWriterOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueued: number;
  /** Raw bytes of the lines waiting and being written, at most: lines are up to 64 KiB, so a bound in lines alone bounds no memory. */
  readonly maxQueuedBytes: number;
}

const RETRY_DELAY_MS = 1000;

export class BatchWriter {
  /** Full blocks waiting, oldest first; `open` fills behind them. */
  private readonly blocks: LogColumns[] = [];
  private readonly open = new LogColumnsBuilder();
  private blockedLines = 0;
  /** Raw bytes of every line not yet committed: the open block, the full ones and the one being written. */
  private pendingBytes = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Lines of the write in flight. */
  private writing = 0;
  /** When the write in flight began (monotonic ms), so a store that stops answering shows as stalled. */
  private writeStartedAt: number | null = null;
  lastError: string | null = null;
  /** True while the last log write failed (disk full, I/O error); the next write that succeeds clears it. */
  degraded = false;
  /** Every line up to this id is committed (ids are handed out in order and written in order). */
  lastStoredId = 0;
  /** The queue's bounds, for health: how close a burst came to losing lines. */
  readonly bounds: { readonly lines: number; readonly bytes: number };
  /** Told how long each successful write took (ms): the metrics' store latency. */
  onWrite: ((ms: number) => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly devices: DeviceRegistry,
    private readonly counters: Counters,
    private readonly options: BatchWriterOptions,
  ) {
    this.bounds = { lines: options.maxQueued, bytes: options.maxQueuedBytes };
  }

  /** True while any new line would be dropped: the queue is at one of its bounds. */
  get full(): boolean {
    // The batch being written counts too: a failed write puts it back in front of the queue.
    return this.waiting + this.writing >= this.options.maxQueued || this.pendingBytes >= this.options.maxQueuedBytes;
  }

  /** False when the queue is full and the line was dropped (and counted). */
  enqueue(record: LogRecord): boolean {
    if (this.full || this.pendingBytes + record.raw.length > this.options.maxQueuedBytes) {
      this.counters.source(record.source).dropped++;
      return false;
    }
    this.open.add(record);
    this.pendingBytes += record.raw.length;
    this.counters.source(record.source).queued++;
    if (this.open.length >= this.options.batchSize) {
      const block = this.open.take();
      this.blocks.push(block);
      this.blockedLines += block.n;
      this.kick();
    } else if (!this.timer && !this.closed) this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
    return true;
  }

  /** How long the write in flight has waited for the store; 0 when none is in flight. */
  get writeWaitingMs(): number {
    return this.writeStartedAt === null ? 0 : performance.now() - this.writeStartedAt;
  }

  /** Lines not yet committed: the queue and the batch being written. */
  get queued(): number {
    return this.waiting + this.writing;
  }

  /** Raw bytes of the lines not yet committed (the queue's other bound, `maxQueuedBytes`). */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Lines waiting behind the write in flight. */
  private get waiting(): number {
    return this.blockedLines + this.open.length;
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.inFlight) return;
    this.inFlight = this.writeNext().finally(() => {
      this.inFlight = null;
      if (this.waiting > 0 && !this.closed) {
        if (this.lastError) this.timer = setTimeout(() => this.kick(), RETRY_DELAY_MS);
        else this.kick();
      }
    });
  }

  private async writeNext(): Promise<void> {
    const full = this.blocks.shift();
    if (full) this.blockedLines -= full.n;
    const batch = full ?? this.open.take();
    const devices = this.devices.takeDirty();
    this.writing = batch.n;
    this.writeStartedAt = performance.now();
    try {
      await this.store.write({ logs: batch, devices, backlog: this.blockedLines });
      this.onWrite?.(performance.now() - this.writeStartedAt);
      this.lastError = null;
      this.degraded = false;
      for (const source of batch.text.source) {
        const c = this.counters.source(source as LogRecord['source']);
        c.queued--;
        c.stored++;
      }
      if (batch.n > 0) this.lastStoredId = batch.id[batch.n - 1]!;
      this.pendingBytes -= batch.raw.length;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.degraded = true;
      // Back in front so order is kept for the retry.
      this.blocks.unshift(batch);
      this.blockedLines += batch.n;
      this.devices.requeue(devices);
    } finally {
      this.writing = 0;
      this.writeStartedAt = null;
    }
  }

  /** Writes everything queued; resolves when it is committed. */
  async flush(): Promise<void> {
    while (this.inFlight || this.waiting > 0) {
      if (this.inFlight) await this.inFlight;
      else this.kick();
      if (this.lastError && !this.inFlight) throw new Error(`store write failed: ${this.lastError}`);
    }
    const devices = this.devices.takeDirty();
    if (devices.length > 0) await this.store.write({ logs: this.open.take(), devices });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
  }
}
