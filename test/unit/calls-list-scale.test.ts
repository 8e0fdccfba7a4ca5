/**
 * The calls list at 100,000 calls: filtering, sorting and paging happen in the store, and every
 * page comes back well under the time a person waits for a table to refresh.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallCorrelator, type CallQuery } from '../../server/calls/correlator.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/types.js';

const CALLS = 100_000;
const T0 = Date.UTC(2026, 0, 1);
/** A page must come back within this even on a loaded 2-core CI machine. */
const PAGE_BUDGET_MS = 400;

let store: Store;
let correlator: CallCorrelator;

beforeAll(() => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-scale-')), 'db.sqlite');
  store = openStoreOnThisThread(file);
  correlator = new CallCorrelator(store);
  // Rows straight into the table (the schema exists now): ingesting 100,000 reports would take a minute.
  const db = new Database(file);
  const insert = db.prepare(`INSERT INTO calls (device_id, sip_call_id, local_id, remote_id, start_ms, end_ms, duration_ms, sources, worst_mos, avg_mos, max_loss_pct, max_jitter_ms, verdict, verdict_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, '["vq-session"]', ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < CALLS; i++) {
      const start = T0 + i * 30_000;
      const duration = 10_000 + ((i * 7919) % 600_000);
      const mos = 2.5 + ((i * 31) % 200) / 100;
      const loss = (i * 13) % 17;
      const verdict = loss > 10 || mos < 3.1 ? 'poor' : loss > 3 || mos < 3.6 ? 'fair' : 'good';
      insert.run(i % 300, `call-${i}@10.0.${i % 256}.1`, `<sip:${1000 + (i % 300)}@pbx>`, `<sip:${5000 + (i % 997)}@pbx>`, start, start + duration, duration,
        mos, mos + 0.2, loss, (i * 3) % 40, verdict, verdict === 'good' ? null : 'synthetic');
    }
  })();
  db.close();
});

afterAll(async () => {
  await store.close();
});

async function timed(q: CallQuery): Promise<{ ms: number; total: number; ids: number[] }> {
  const t0 = performance.now();
  const page = await correlator.listCalls(q);
  return { ms: performance.now() - t0, total: page.total, ids: page.calls.map((c) => c.id) };
}

describe('calls list at 100,000 calls', () => {
  it.each<[string, CallQuery]>([
    ['newest first', { limit: 50 }],
    ['worst MOS first, page 100', { sort: 'worstMos', order: 'asc', limit: 50, offset: 5000 }],
    ['longest first', { sort: 'duration', order: 'desc', limit: 50 }],
    ['poor calls of one device in a week', { deviceId: 42, verdicts: ['poor'], fromMs: T0 + 86_400_000 * 7, toMs: T0 + 86_400_000 * 14, limit: 50 }],
    ['text search on Call-ID', { text: '@10.0.17.', limit: 50 }],
    ['minimum MOS, by loss', { minMos: 4, sort: 'loss', order: 'desc', limit: 50 }],
  ])('%s', async (_name, q) => {
    await timed(q); // warm the page cache as a running collector has it
    const r = await timed(q);
    expect(r.ids.length).toBeGreaterThan(0);
    expect(r.ms, `took ${r.ms.toFixed(0)} ms for ${r.total} matching`).toBeLessThan(PAGE_BUDGET_MS);
  });
});
