/**
 * The store stops answering for 10 s mid-ingest (a hung disk, a database server that froze): the
 * listener keeps receiving into the bounded queue, /api/health keeps answering and says the store is
 * stalled, nothing inside the bound is lost once it answers again, and what came past the bound is
 * counted as dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import type { Store } from '../../server/store/types.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendUdp, waitFor } from '../support/senders.js';
import { testConfig } from '../support/test-config.js';

const STALL_MS = 10_000;
const BOUND = 3000;

/** Holds every write and stats call until `release()`; everything else passes through. */
function stallingStore(real: Store): { store: Store; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  const held = new Set<PropertyKey>(['write', 'stats']);
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      return held.has(prop) ? async (...args: unknown[]) => { await released; return bound(...args); } : bound;
    },
  });
  return { store, release };
}

interface Health {
  counters: Record<string, { received: number; parsed: number; dropped: number; malformed: number; queued: number; stored: number; kernelDropped: number }>;
  store: { stalled?: boolean; writeWaitingMs?: number; writeQueue: number; writeQueueBytes: number; writeQueueMax: number; writeQueueMaxBytes: number; error?: string };
}

let collector: RunningCollector;
let ports: { web: number; udp: number };
let release: () => void;

beforeAll(async () => {
  const p = await freePorts(1, 1);
  ports = { web: p.tcp[0]!, udp: p.udp[0]! };
  collector = await startCollector(
    testConfig({ webPort: ports.web, syslogPort: ports.udp, storeMaxQueuedLines: BOUND, storeBatchSize: 500 }),
    Date.now,
    (real) => { const s = stallingStore(real); release = s.release; return s.store; },
  );
});

afterAll(async () => {
  release?.();
  await collector?.stop();
});

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `<134>Dec  5 10:00:00 phone nxphone: stall line ${from + i}`);

async function health(): Promise<Health> {
  const started = performance.now();
  const h = (await (await fetch(`http://127.0.0.1:${ports.web}/api/health`)).json()) as Health;
  // Health must not wait for the store it reports on.
  expect(performance.now() - started).toBeLessThan(2000);
  return h;
}

describe('a store that stalls for 10 s mid-ingest', () => {
  it('keeps receiving inside the bound, says it is stalled, loses nothing inside the bound and counts what was past it', async () => {
    const stallEnds = Date.now() + STALL_MS;
    await sendUdp(ports.udp, lines(0, 2000));
    const during = await waitFor(health, (h) => h.counters['syslog-udp']?.received === 2000 && h.store.stalled === true, 6000);
    const c = during.counters['syslog-udp']!;
    expect(during.store.stalled).toBe(true);
    expect(c.stored).toBe(0);
    expect(c.queued).toBe(2000);
    expect(during.store.writeQueue).toBe(2000);
    // How full the queue is, against both of its bounds: the raw bytes of the 2,000 lines waiting.
    expect(during.store).toMatchObject({ writeQueueMax: BOUND, writeQueueMaxBytes: 256 * 1024 * 1024 });
    expect(during.store.writeQueueBytes).toBe(lines(0, 2000).reduce((n, l) => n + Buffer.byteLength(l), 0));

    // 2,000 more: 1,000 fit under the bound, 1,000 are past it.
    await sendUdp(ports.udp, lines(2000, 2000));
    const full = await waitFor(health, (h) => h.counters['syslog-udp']?.received === 4000, 5000);
    expect(full.counters['syslog-udp']).toMatchObject({ received: 4000, queued: BOUND, dropped: 1000, stored: 0 });
    // While the queue is full a datagram is dropped unread, as the receiver drops when decoding is
    // behind: even one that is not syslog at all is counted as dropped, not decoded into malformed.
    await sendUdp(ports.udp, ['\u0000\u0001\u0002 not syslog']);
    const unread = await waitFor(health, (h) => h.counters['syslog-udp']?.received === 4001, 5000);
    expect(unread.counters['syslog-udp']).toMatchObject({ received: 4001, dropped: 1001, malformed: 0, queued: BOUND });

    await new Promise((r) => setTimeout(r, Math.max(0, stallEnds - Date.now())));
    release();
    const after = await waitFor(health, (h) => h.counters['syslog-udp']?.queued === 0 && h.store.stalled === false, 10_000);
    expect(after.counters['syslog-udp']).toMatchObject({ received: 4001, dropped: 1001, queued: 0, stored: BOUND, kernelDropped: 0 });
    expect(after.store.error).toBeUndefined();
    expect(after.store.writeQueueBytes).toBe(0);

    // The lines inside the bound are all there, in order: the first 3,000 sent.
    const messages: string[] = [];
    for (let after = 0; messages.length < BOUND + 1;) {
      const page = (await (await fetch(`http://127.0.0.1:${ports.web}/api/logs?limit=1000&after=${after}`)).json()) as { logs: Array<{ id: number; message: string }> };
      if (page.logs.length === 0) break;
      messages.push(...page.logs.map((l) => l.message));
      after = page.logs[page.logs.length - 1]!.id;
    }
    expect(messages).toEqual(lines(0, BOUND).map((l) => l.slice(l.indexOf('stall line'))));
  }, 40_000);
});
