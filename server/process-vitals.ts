/**
 * The collector's own vital signs for /api/health: memory and how late the event loop runs. A
 * late loop is what a user feels first (a slow dashboard, live lines arriving in lumps) and what
 * the soak watches for a slow drift; Prometheus has the same through prom-client's default metrics.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Event-loop delay is reported per window of this length (the last full one). */
const WINDOW_MS = 60_000;

export interface EventLoopLag { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number; readonly windowS: number }

export interface ProcessVitals {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  /** The last full minute; the current partial one until a minute has passed. */
  readonly eventLoopLag: EventLoopLag;
}

export class ProcessVitalsMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private last: EventLoopLag | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.last = lagOf(this.histogram, WINDOW_MS);
      this.histogram.reset();
    }, WINDOW_MS).unref();
  }

  read(): ProcessVitals {
    const m = process.memoryUsage();
    return {
      rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external),
      eventLoopLag: this.last ?? lagOf(this.histogram, Math.round(process.uptime() * 1000)),
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

function lagOf(h: IntervalHistogram, windowMs: number): EventLoopLag {
  // The histogram reports nanoseconds, and an empty one reports a huge minimum: read it as zero.
  const ms = (ns: number) => (h.count === 0 || !Number.isFinite(ns) ? 0 : Math.round(ns / 1e4) / 100);
  return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), windowS: Math.round(windowMs / 1000) };
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20 * 10) / 10;
}
