// What calls retention deletes is the calls contract (test/contract/call-store.test.ts); here that
// the embedded store leaves no row of a deleted call behind in its own tables.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VERDICT_THRESHOLDS } from '../../server/analysis/e-model.js';
import type { CallRecord } from '../../server/calls/model.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function record(sipCallId: string, startMs: number): CallRecord {
  const endMs = startMs + 60_000;
  return {
    keys: { sipCallId, startMs, endMs, deviceId: 1 },
    info: { codec: 'PCMA' },
    segments: [{ startMs, endMs, reason: 'report', codec: 'PCMA' }],
    streams: [{ direction: 'rx', ssrc: sipCallId.length, codec: 'PCMA', samples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4.1 } }] }],
    callSamples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4.0 } }],
  };
}

describe('calls retention in the embedded store', () => {
  it('leaves no stream, segment or sample of a deleted call in the tables', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-retention-calls-')), 'db.sqlite');
    const store = openStoreOnThisThread(file);
    await store.calls.ingest(record('old-call', NOW - 40 * DAY_MS), DEFAULT_VERDICT_THRESHOLDS);
    await store.calls.ingest(record('recent-call', NOW - 2 * DAY_MS), DEFAULT_VERDICT_THRESHOLDS);
    expect(await store.calls.enforceRetention(30 * DAY_MS, NOW)).toEqual({ deletedCalls: 1 });
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
