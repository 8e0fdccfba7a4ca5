// Calls schema 3 keeps samples and open segments once per natural key: a database written before
// it, holding a report stored twice, keeps the first copy and answers as if it came once.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CALLS_SCHEMA } from '../../server/store/sqlite/calls.js';
import { migrate } from '../../server/store/sqlite/migrations.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';

describe('calls schema 3', () => {
  it('drops samples and open segments stored twice, keeping the first', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-calls-migration-')), 'db.sqlite');
    const db = new Database(file);
    migrate(db, file, [{ name: 'calls', migrations: CALLS_SCHEMA.migrations.slice(0, 2) }]);
    db.exec(`INSERT INTO calls (id, start_ms) VALUES (1, 1000);
      INSERT INTO call_segments (call_id, start_ms, end_ms, reason) VALUES (1, 1000, NULL, 'start'), (1, 1000, NULL, 'start'), (1, 1000, 2000, 'report');
      INSERT INTO call_samples (call_id, stream_id, direction, source, start_ms, end_ms, metrics) VALUES
        (1, NULL, NULL, 'vq-session', 1000, 2000, '{"mosLq":4,"lossPct":1}'),
        (1, NULL, NULL, 'vq-session', 1000, 2000, '{"lossPct":1,"mosLq":4}'),
        (1, NULL, NULL, 'vq-session', 1000, 2000, '{"jitterMs":3}');`);
    db.close();
    const store = openStoreOnThisThread(file);
    expect((await store.calls.getCall(1))?.call.segments.map((s) => s.endMs)).toEqual([null, 2000]);
    expect((await store.calls.samples(1)).map((s) => s.metrics)).toEqual([{ mosLq: 4, lossPct: 1 }, { jitterMs: 3 }]);
    await store.calls.addSegment(1, { startMs: 1000, endMs: null, reason: 'start', codec: null });
    await store.calls.addSamples([{ callId: 1, streamId: null, direction: null, source: 'vq-session', startMs: 1000, endMs: 2000, metrics: { jitterMs: 3 } }]);
    expect((await store.calls.getCall(1))?.call.segments).toHaveLength(2);
    expect(await store.calls.samples(1)).toHaveLength(2);
    await store.close();
  });
});
