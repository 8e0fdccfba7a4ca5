// The SQLite store keeps recordings in a file of their own beside the logs: retention of the logs
// then measures the logs' file alone, cheaply and never stale, and a store of the earlier one-file
// layout moves its recordings over when it is opened.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatagramBatch, datagramAt } from '../../server/pipeline/recordings/datagram-batch.js';
import { recordingsFileOf, SqliteDatabase } from '../../server/store/sqlite/database.js';
import { DOMAINS } from '../../server/store/sqlite/domains.js';
import { packLogs } from '../../server/store/log-columns.js';
import { LOGS_SCHEMA, migrate } from '../../server/store/sqlite/migrations.js';
import { RECORDINGS_SCHEMA, RecordingsTables } from '../../server/store/sqlite/recordings.js';
import type { LogRecord } from '../../server/store/types.js';
import { twoRecordedCalls } from '../fixtures/two-recorded-calls.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const device = { id: 1, address: '10.0.0.5', mac: null, model: null, firmware: null, hostname: null, firstSeen: T0, lastSeen: T0, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {} };

function tempFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-files-')), 'ipp-collector.sqlite');
}

function line(id: number, message: string): LogRecord {
  return {
    id, receivedAt: T0 + id, deviceId: 1, source: 'syslog-udp', format: 'rfc3164', facility: 16, severity: 6, deviceTime: null, deviceTs: null,
    hostname: null, app: 'nxphone', pid: null, msgid: null, module: 'nxphone', seq: null, sid: null, message,
    raw: new TextEncoder().encode(`<134>${message}`), structuredData: null, warnings: [], importId: null,
  };
}

/** `calls` recorded calls of `perCall` datagrams of 1,000 bytes each. */
function bulkyDatagrams(firstCall: number, calls: number, perCall: number) {
  const batch = new DatagramBatch();
  const payload = new Uint8Array(1000).fill(0x55);
  for (let c = 0; c < calls; c++) for (let i = 0; i < perCall; i++) batch.add(firstCall + c, T0 + i * 20, 50010, payload);
  return batch.take();
}

const tablesOf = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'recording%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
};

describe('SQLite store files', () => {
  it('keeps recordings in their own file, and moves those of a one-file store over when it opens, byte for byte', () => {
    const file = tempFile();
    // The earlier layout: every table in one file, recordings at their schema version 2.
    const old = new Database(file);
    old.pragma('auto_vacuum = INCREMENTAL');
    old.pragma('journal_mode = WAL');
    migrate(old, file, [LOGS_SCHEMA, ...Object.values(DOMAINS).map((d) => d.schema === RECORDINGS_SCHEMA ? { ...d.schema, migrations: d.schema.migrations.slice(0, 2) } : d.schema)]);
    const { batch, ended } = twoRecordedCalls();
    const datagrams = batch.take();
    const before = new RecordingsTables(old);
    before.writeDatagrams(datagrams);
    before.saveCalls(ended);
    const call1 = before.readDatagrams(1)!;
    const summary2 = before.getCall(2);
    old.close();
    expect(tablesOf(file)).toEqual(['recording_calls', 'recording_chunks', 'recording_streams']);

    const db = new SqliteDatabase(file);
    const recordings = db.domains.recordings as RecordingsTables;
    expect(existsSync(recordingsFileOf(file))).toBe(true);
    expect(recordingsFileOf(file)).toBe(path.join(path.dirname(file), 'ipp-collector-recordings.sqlite'));
    const moved = recordings.readDatagrams(1)!;
    expect(moved.n).toBe(call1.n);
    for (let i = 0; i < moved.n; i++) expect(Buffer.from(datagramAt(moved, i)).equals(Buffer.from(datagramAt(call1, i)))).toBe(true);
    expect(recordings.getCall(2)).toEqual(summary2);
    expect(recordings.stats()).toEqual({ calls: 2, datagramBytes: datagrams.data.length });
    // New rows go to the recordings' file too.
    recordings.writeDatagrams(bulkyDatagrams(3, 1, 10));
    db.close();
    expect(tablesOf(file)).toEqual([]);
    expect(tablesOf(recordingsFileOf(file))).toEqual(['recording_calls', 'recording_chunks', 'recording_streams']);
    const again = new SqliteDatabase(file);
    expect((again.domains.recordings as RecordingsTables).stats().datagramBytes).toBe(datagrams.data.length + 10_000);
    again.close();
  });

  it('trims lines by what the logs take, however much the recordings beside them grow', () => {
    const file = tempFile();
    const db = new SqliteDatabase(file);
    const text = 'z'.repeat(500);
    db.write(packLogs(Array.from({ length: 2000 }, (_, i) => line(i + 1, `${text} ${i}`))), [device]);
    const budget = 8_000_000;
    expect(db.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: budget }, T0).deletedLogs).toBe(0);
    // 20 MB of recordings after the logs' first measurement: the logs still fit their budget.
    (db.domains.recordings as RecordingsTables).writeDatagrams(bulkyDatagrams(1, 20, 1000));
    const r = db.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: budget }, T0);
    expect(r.deletedLogs).toBe(0);
    expect(r.sizeBytes).toBeGreaterThan(20_000_000);
    expect(db.queryLogs({ limit: 5000 })).toHaveLength(2000);
    db.close();
  });

  it('keeps the recordings\' byte count in step with writes, retention and removed imports', () => {
    const file = tempFile();
    const db = new SqliteDatabase(file);
    const t = db.domains.recordings as RecordingsTables;
    t.writeDatagrams(bulkyDatagrams(1, 10, 100));
    const { ended } = twoRecordedCalls();
    t.saveCalls(ended.map((e, i) => ({ ...e, summary: { ...e.summary, id: i + 1, active: false, endMs: T0 + i } })));
    t.saveCalls([{ ...ended[0]!, summary: { ...ended[0]!.summary, id: 5, active: false }, importId: 7 }]);
    expect(t.stats().datagramBytes).toBe(1_000_000);
    expect(t.enforceRetention(1e15, 750_000, T0).deletedCalls).toBeGreaterThan(0);
    t.deleteImport(7);
    t.writeDatagrams(bulkyDatagrams(11, 1, 7));
    const kept = t.stats().datagramBytes;
    expect(kept).toBeLessThanOrEqual(757_000);
    db.close();
    // A fresh open sums the table itself: the running count agrees with it.
    const fresh = new SqliteDatabase(file);
    expect((fresh.domains.recordings as RecordingsTables).stats().datagramBytes).toBe(kept);
    fresh.close();
  });
});
