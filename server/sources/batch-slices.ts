/**
 * Batches waiting on the main thread, taken in slices of a few milliseconds each: a slice takes
 * as many waiting batches as fit in its time, then yields a turn of the event loop (timers, the
 * store's answers, socket.io) before the next.
 *
 * One batch per turn left cheap batches waiting behind a whole turn each: at 50,000 lines/s the
 * main thread held 20-60 of them, and a line's way to the live tail took 100-240 ms at p99.
 * Taking the whole backlog in one run (what Node does with a port's queued messages) held the
 * store's answers for up to 1.8 s at 150,000 lines/s. A slice bounds both.
 */
export const SLICE_MS = 8;

export interface SliceScheduler {
  readonly now: () => number;
  readonly nextTurn: (run: () => void) => void;
}

const EVENT_LOOP: SliceScheduler = { now: () => performance.now(), nextTurn: (run) => setImmediate(run) };

export class BatchSlices<T> {
  private readonly waiting: T[] = [];
  /** A slice is due or running: a batch pushed meanwhile is taken by it or the one it schedules. */
  private scheduled = false;

  /** @param onEmpty called each time a slice leaves nothing waiting */
  constructor(private readonly take: (batch: T) => void, private readonly onEmpty: () => void,
    private readonly scheduler: SliceScheduler = EVENT_LOOP) {}

  get length(): number {
    return this.waiting.length;
  }

  push(batch: T): void {
    this.waiting.push(batch);
    if (this.scheduled) return;
    this.scheduled = true;
    this.scheduler.nextTurn(this.slice);
  }

  private readonly slice = (): void => {
    const until = this.scheduler.now() + SLICE_MS;
    do this.take(this.waiting.shift()!);
    while (this.waiting.length > 0 && this.scheduler.now() < until);
    if (this.waiting.length > 0) {
      this.scheduler.nextTurn(this.slice);
    } else {
      this.scheduled = false;
      this.onEmpty();
    }
  };
}
