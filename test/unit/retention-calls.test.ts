import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VERDICT_THRESHOLDS } from '../../server/analysis/e-model.js';
import type { CallRecord } from '../../server/calls/model.js';
import type { CallStore } from '../../server/store/call-store.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function record(sipCallId: string, startMs: number, endMs: number, active = false): CallRecord {
  return {
    keys: { sipCallId, startMs, endMs, deviceId: 1 },
    info: { codec: 'PCMA', active },
    segments: [{ startMs, endMs, reason: 'report', codec: 'PCMA' }],
    streams: [{ direction: 'rx', ssrc: sipCallId.length, codec: 'PCMA', samples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4.1 } }] }],
    callSamples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4.0 } }],
  };
}

describe('calls retention', () => {
  it('deletes calls that ended before the cutoff with their streams, segments and samples, and keeps newer and active ones', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-retention-calls-')), 'db.sqlite');
    const store = openStoreOnThisThread(file);
    const calls = store.calls;
    const old = await calls.ingest(record('old-call', NOW - 40 * DAY_MS, NOW - 40 * DAY_MS + 60_000), DEFAULT_VERDICT_THRESHOLDS);
    const recent = await calls.ingest(record('recent-call', NOW - 2 * DAY_MS, NOW - 2 * DAY_MS + 60_000), DEFAULT_VERDICT_THRESHOLDS);
    // Started long ago and still going (a recording still growing): never deleted while active.
    const active = await calls.ingest(record('active-call', NOW - 40 * DAY_MS, NOW - 40 * DAY_MS + 60_000, true), DEFAULT_VERDICT_THRESHOLDS);

    expect(await calls.enforceRetention(30 * DAY_MS, NOW)).toEqual({ deletedCalls: 1 });
    expect(await calls.getCall(old.call.id)).toBeNull();
    expect(await calls.samples(old.call.id)).toEqual([]);
    expect(await calls.getCall(recent.call.id)).not.toBeNull();
    expect((await calls.getCall(active.call.id))?.call.active).toBe(true);
    expect(await calls.enforceRetention(30 * DAY_MS, NOW)).toEqual({ deletedCalls: 0 });
    await store.close();

    const db = new Database(file, { readonly: true });
    for (const table of ['call_streams', 'call_segments', 'call_samples']) {
      const orphans = db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE call_id NOT IN (SELECT id FROM calls)`).get() as { n: number };
      expect(orphans.n, table).toBe(0);
      const kept = db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
      expect(kept.n, table).toBeGreaterThan(0);
    }
    db.close();
  });
});
