import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { CountingIds } from '../../server/store/ids.js';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectSqliteStore } from '../../server/store/sqlite/direct-store.js';
import type { LogQuery, LogRecord, Store } from '../../server/store/types.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import { FTS_INDEX_CHUNK_ROWS, SqliteDatabase } from '../../server/store/sqlite/database.js';
import { LOGS_SCHEMA, migrate } from '../../server/store/sqlite/migrations.js';
import { searchTerms } from '../../server/store/search-text.js';
import { packLogs } from '../../server/store/log-columns.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const stores: Store[] = [];

function openTemp(): { store: Store; file: string } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-store-')), 'db.sqlite');
  const store = new DirectSqliteStore(file);
  stores.push(store);
  return { store, file };
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function rec(id: number, over: Partial<LogRecord> = {}): LogRecord {
  return {
    id, receivedAt: T0 + id * 1000, deviceId: 1, source: 'syslog-udp', format: 'rfc3164', facility: 16, severity: 6,
    deviceTime: 'Nov 26 10:00:00', deviceTs: T0, hostname: null, app: 'voip_task', pid: '1', msgid: null, module: 'voip_task',
    seq: null, sid: null, message: `line ${id}`, raw: new TextEncoder().encode(`<134>raw ${id}`), structuredData: null, warnings: [], importId: null,
    ...over,
  };
}

/** The search index's parts, by their tables. */
function ftsParts(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_schema WHERE sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

const device = { id: 1, address: '10.0.0.5', mac: null, model: null, firmware: null, hostname: null, firstSeen: T0, lastSeen: T0, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {} };

describe('SQLite store', () => {
  it('numbers new rows after the highest stored ids', async () => {
    const { store } = openTemp();
    await store.write({ logs: packLogs([rec(1), rec(2)]), devices: [device] });
    const ids = await store.rowIds();
    expect([ids.log.next(), ids.newDeviceId('192.0.2.99')]).toEqual([3, 2]);
  });

  it('trims the oldest lines to keep under the size limit, and the file shrinks', async () => {
    const { store } = openTemp();
    const big = 'x'.repeat(2000);
    for (let b = 0; b < 10; b++) {
      await store.write({ logs: packLogs(Array.from({ length: 500 }, (_, i) => rec(b * 500 + i + 1, { message: `${big} ${b}` }))), devices: [device] });
    }
    const before = await store.stats();
    expect(before.sizeBytes).toBeGreaterThan(8_000_000);
    const res = await store.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: 4_000_000 }, T0);
    expect(res.deletedLogs).toBeGreaterThan(0);
    expect(res.sizeBytes).toBeLessThanOrEqual(4_000_000 + 512 * 1024);
    const newest = await store.queryLogs({ limit: 1 });
    expect(newest[0]!.id).toBe(5000);
  });

  it('trims a store far over its budget in slices that end on time, writes going between them, until it is under', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-trim-')), 'db.sqlite');
    const db = new SqliteDatabase(file);
    const big = 'y'.repeat(2000);
    for (let b = 0; b < 20; b++) db.write(packLogs(Array.from({ length: 1000 }, (_, i) => rec(b * 1000 + i + 1, { message: `${big} ${b}` }))), [device]);
    const budget = 4_000_000;
    let calls = 0;
    let deleted = 0;
    let next = 20_001;
    for (let more = true; more; calls++) {
      // A slice of 0 ms stops after its first step: the most a slice can be cut short.
      const r = db.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: budget }, T0, 0);
      deleted += r.deletedLogs;
      more = r.more;
      db.write(packLogs([rec(next++, { message: 'written between slices' })]), [device]);
      expect(calls).toBeLessThan(200);
    }
    expect(calls).toBeGreaterThan(5);
    expect(deleted).toBeGreaterThan(10_000);
    const kept = db.queryLogs({ limit: 1 });
    expect(kept[0]!.id).toBe(next - 1);
    expect(db.queryLogs({ text: 'written between slices', limit: 1000 })).toHaveLength(calls);
    db.close();
  });

  it('keeps its line count through writes, retention and a removed import, as COUNT(*) over the table would', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-count-')), 'db.sqlite');
    const db = new SqliteDatabase(file);
    db.write(packLogs(Array.from({ length: 300 }, (_, i) => rec(i + 1, { importId: i < 50 ? 9 : null, message: `${'c'.repeat(1000)} ${i}` }))), [device]);
    expect(db.stats().logs).toBe(300);
    expect(db.deleteImportedLogs(9)).toBe(50);
    const trimmed = db.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: 150_000 }, T0).deletedLogs;
    expect(trimmed).toBeGreaterThan(0);
    expect(db.stats().logs).toBe(250 - trimmed);
    db.close();
    const check = new Database(file, { readonly: true });
    expect((check.prepare('SELECT COUNT(*) AS n FROM logs').get() as { n: number }).n).toBe(250 - trimmed);
    check.close();
  });

  it('refuses a database from a newer collector', async () => {
    const { store, file } = openTemp();
    await store.close();
    stores.pop();
    const db = new Database(file);
    db.prepare("UPDATE schema_versions SET version = 99 WHERE name = 'logs'").run();
    db.close();
    expect(() => new DirectSqliteStore(file)).toThrow(/newer than this collector/);
  });
});

describe('search behind the writes', () => {
  it('finds lines the index has not reached yet, and the same lines once indexed', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-fts-')), 'db.sqlite');
    const db = new SqliteDatabase(file);
    db.write(packLogs([rec(1, { message: 'Jitter buffer overflow ch 1' }), rec(2, { message: 'all fine' })]), [device]);
    db.indexPending(1);
    db.write(packLogs([rec(3, { message: 'jitter BUFFER overflow ch 3' }), rec(4, { message: 'registered 10.0.0.1' })]), [device]);
    expect(db.searchIndexLag()).toBe(3);
    const search = (text: string) => db.queryLogs({ text, limit: 10 }).map((r) => r.id);
    expect(search('jitter overflow')).toEqual([3, 1]);
    expect(search('"buffer overflow"')).toEqual([3, 1]);
    expect(search('10.0.0.1')).toEqual([4]);
    expect(db.queryLogs({ text: 'jitter', limit: 10, afterId: 0 }).map((r) => r.id)).toEqual([1, 3]);
    while (db.indexPending(1) > 0);
    expect(db.searchIndexLag()).toBe(0);
    expect(search('jitter overflow')).toEqual([3, 1]);
    expect(search('10.0.0.1')).toEqual([4]);
    db.close();
  });

  it('keeps the index in parts, searches them newest first, and drops a part once retention removed all its lines', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-parts-')), 'db.sqlite');
    const db = new SqliteDatabase(file);
    const lines = 25_000;
    for (let b = 0; b < lines / 5000; b++) {
      db.write(packLogs(Array.from({ length: 5000 }, (_, i) => {
        const id = b * 5000 + i + 1;
        return rec(id, { message: id % 1000 === 0 ? `needle ${id}` : `hay ${id}` });
      })), [device]);
    }
    while (db.indexPending(FTS_INDEX_CHUNK_ROWS) > 0);
    expect(ftsParts(file)).toEqual(['logs_fts_0', 'logs_fts_1', 'logs_fts_2']);
    const needles = (q: Partial<LogQuery> = {}) => db.queryLogs({ text: 'needle', limit: 100, ...q }).map((r) => r.id);
    const all = Array.from({ length: 25 }, (_, i) => (25 - i) * 1000);
    expect(needles()).toEqual(all);
    expect(needles({ limit: 12 })).toEqual(all.slice(0, 12));
    expect(needles({ afterId: 0, limit: 12 })).toEqual([...all].reverse().slice(0, 12));
    // Lines received before line 12,000 age out: the first part covered only those and goes.
    db.enforceRetention({ maxAgeMs: 60_000, maxSizeBytes: 1e12 }, T0 + 12_000 * 1000 + 60_000, 0);
    expect(db.stats().logs).toBe(lines - 11_999);
    expect(ftsParts(file)).toEqual(['logs_fts_1', 'logs_fts_2']);
    // The second part's entries for deleted lines find nothing.
    expect(needles()).toEqual(all.filter((id) => id >= 12_000));
    expect(db.queryLogs({ text: 'hay 11999', limit: 10 })).toEqual([]);
    db.close();
  });

  it('never numbers a new line with an id the index has seen, so a removed line cannot match as a new one', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-reuse-')), 'db.sqlite');
    const db = new SqliteDatabase(file);
    db.write(packLogs(Array.from({ length: 10 }, (_, i) => rec(i + 1, { importId: i >= 5 ? 3 : null, message: i >= 5 ? 'imported secret' : 'live' }))), [device]);
    while (db.indexPending(FTS_INDEX_CHUNK_ROWS) > 0);
    expect(db.deleteImportedLogs(3)).toBe(5);
    const next = db.nextIds().log;
    expect(next).toBe(11);
    db.write(packLogs([rec(next, { message: 'after the import went' })]), [device]);
    while (db.indexPending(FTS_INDEX_CHUNK_ROWS) > 0);
    expect(db.queryLogs({ text: 'secret', limit: 10 })).toEqual([]);
    expect(db.queryLogs({ text: 'import', limit: 10 }).map((r) => r.id)).toEqual([next]);
    db.close();
  });

  it('opens a store of the one-index schema with its index as the first part, and keeps filling it', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-fts-v2-')), 'db.sqlite');
    const old = new Database(file);
    migrate(old, file, [{ ...LOGS_SCHEMA, migrations: LOGS_SCHEMA.migrations.slice(0, 2) }]);
    old.prepare(`INSERT INTO logs (id, received_at, device_id, source, format, module, message, raw) VALUES (1, ?, 1, 'syslog-udp', 'rfc3164', 'sip_stack', 'REGISTER timeout', x'00')`).run(T0);
    old.prepare("INSERT INTO logs_fts (rowid, message) VALUES (1, 'REGISTER timeout')").run();
    old.prepare("UPDATE meta SET value = 1 WHERE key = 'fts_indexed_upto'").run();
    old.close();
    const db = new SqliteDatabase(file);
    expect(db.searchIndexLag()).toBe(0);
    db.write(packLogs([rec(2, { message: 'REGISTER sent' })]), [device]);
    expect(db.indexPending(FTS_INDEX_CHUNK_ROWS)).toBe(1);
    expect(db.queryLogs({ text: 'register', limit: 10 }).map((r) => r.id)).toEqual([2, 1]);
    db.close();
    expect(ftsParts(file)).toEqual(['logs_fts_0']);
  });

  it('reads a search as alternatives of words and phrases (the scan and the fleet store match those)', () => {
    expect(searchTerms('"Buffer Overflow" AND jitt* NOT (x) OR dsp')).toEqual([
      [{ text: 'buffer overflow', exclude: false }, { text: 'jitt', exclude: false }, { text: 'x', exclude: true }],
      [{ text: 'dsp', exclude: false }],
    ]);
  });

  it('stores a batch packed for the worker (and cloned across to it) unchanged, nulls included', () => {
    const logs = [rec(1), rec(2, { facility: null, severity: null, deviceTs: null, seq: 7, structuredData: [{ id: 'a', params: { k: 'v' } }], warnings: ['no PRI'] }),
      rec(3, { importId: 4, hostname: null, app: null, pid: null, msgid: null, sid: 'abc', deviceTime: null })];
    const db = new SqliteDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-pack-')), 'db.sqlite'));
    db.write(structuredClone(packLogs(logs)), [device]);
    const back = logs.map((r) => db.getLog(r.id)!);
    db.close();
    expect(back.map((r) => ({ ...r, raw: [...r.raw] }))).toEqual(logs.map((r) => ({ ...r, raw: [...r.raw] })));
  });
});

describe('SQLite store: a message kept once', () => {
  it('reads back, finds (in the unindexed tail and through the index) and stores once a message that is the tail of its raw bytes', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-msg-at-')), 'db.sqlite');
    const head = '<134>Nov 26 10:00:01 voip_task[412]: ';
    const tailOf = (id: number, message: string) => rec(id, { message, raw: new TextEncoder().encode(head + message), messageAt: head.length });
    const db = new SqliteDatabase(file);
    db.write(packLogs([tailOf(1, 'REGISTER sent to 10.0.0.1'), rec(2, { message: 'REGISTER kept apart' }), tailOf(3, 'INVITE\nVia: x')]), [device]);
    const found = () => db.queryLogs({ text: 'register', limit: 10 }).map((r) => [r.id, r.message]);
    expect(found()).toEqual([[2, 'REGISTER kept apart'], [1, 'REGISTER sent to 10.0.0.1']]);
    while (db.indexPending(FTS_INDEX_CHUNK_ROWS) > 0);
    expect(db.searchIndexLag()).toBe(0);
    expect(found()).toEqual([[2, 'REGISTER kept apart'], [1, 'REGISTER sent to 10.0.0.1']]);
    expect(db.getLog(3)!.message).toBe('INVITE\nVia: x');
    db.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT id, message, msg_at FROM logs ORDER BY id').all()).toEqual([
      { id: 1, message: '', msg_at: head.length }, { id: 2, message: 'REGISTER kept apart', msg_at: null }, { id: 3, message: '', msg_at: head.length },
    ]);
    raw.close();
  });
});

describe('device registry', () => {
  it('counts sequence gaps, fills them with late lines, and ignores counter restarts', () => {
    const reg = new DeviceRegistry([], new CountingIds(1).next);
    const d = reg.touch('10.0.0.5', T0);
    for (const s of [1, 2, 5, 6, 4, 7, 3]) reg.noteLine(d, 'voip_task', s, null, null);
    expect(reg.get('10.0.0.5')).toMatchObject({ seqGaps: 0, seqOutOfOrder: 2, logs: 7 });
    reg.noteLine(d, 'voip_task', 10, null, null);
    expect(reg.get('10.0.0.5')!.seqGaps).toBe(2);
    reg.noteLine(d, 'voip_task', 5000, null, null);
    reg.noteLine(d, 'voip_task', 1, null, null);
    reg.noteLine(d, 'voip_task', 2, null, null);
    expect(reg.get('10.0.0.5')!.seqGaps).toBe(2 + 4989);
  });

  it('learns facts and hands out changed devices once', () => {
    const reg = new DeviceRegistry([], new CountingIds(7).next);
    const d = reg.touch('10.0.0.9', T0);
    reg.noteLine(d, 'dsp', null, 'phone9', { mac: '00:90:8f:00:00:09', model: '440HD', firmware: 'UC_3.1.0.1' });
    expect(reg.takeDirty()).toEqual([expect.objectContaining({ id: 7, mac: '00:90:8f:00:00:09', model: '440HD', hostname: 'phone9', modules: { dsp: 1 } })]);
    expect(reg.takeDirty()).toEqual([]);
  });
});
