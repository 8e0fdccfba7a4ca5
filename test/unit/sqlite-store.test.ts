import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { CountingIds } from '../../server/store/ids.js';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectSqliteStore } from '../../server/store/sqlite/direct-store.js';
import type { LogRecord, Store } from '../../server/store/types.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import { plainTerms, SqliteDatabase } from '../../server/store/sqlite/database.js';
import { packLogs, unpackLogs } from '../../server/store/sqlite/log-columns.js';

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

const device = { id: 1, address: '10.0.0.5', mac: null, model: null, firmware: null, hostname: null, firstSeen: T0, lastSeen: T0, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {} };

describe('SQLite store', () => {
  it('writes lines and devices and reads them back newest first, raw bytes intact', async () => {
    const { store } = openTemp();
    const raw = new Uint8Array([0x3c, 0x31, 0x3e, 0xe9, 0xff]);
    await store.write({ logs: [rec(1), rec(2, { raw, structuredData: [{ id: 'x', params: { a: 'b' } }], warnings: ['w'] })], devices: [device] });
    const rows = await store.queryLogs({ limit: 10 });
    expect(rows.map((r) => r.id)).toEqual([2, 1]);
    expect([...rows[0]!.raw]).toEqual([...raw]);
    expect(rows[0]!.structuredData).toEqual([{ id: 'x', params: { a: 'b' } }]);
    expect(rows[0]!.warnings).toEqual(['w']);
    expect(await store.loadDevices()).toEqual([device]);
    const ids = await store.rowIds();
    expect([ids.log.next(), ids.newDeviceId('192.0.2.99')]).toEqual([3, 2]);
  });

  it('filters by device, module, severity, time and pages by cursor', async () => {
    const { store } = openTemp();
    const logs = Array.from({ length: 20 }, (_, i) => rec(i + 1, {
      deviceId: (i % 2) + 1, module: i % 3 === 0 ? 'dsp' : 'voip_task', severity: i % 8,
    }));
    await store.write({ logs, devices: [device, { ...device, id: 2, address: '10.0.0.6' }] });
    expect((await store.queryLogs({ deviceId: 2, limit: 100 })).every((r) => r.deviceId === 2)).toBe(true);
    expect((await store.queryLogs({ modules: ['dsp'], limit: 100 })).map((r) => r.id)).toEqual([19, 16, 13, 10, 7, 4, 1]);
    expect((await store.queryLogs({ maxSeverity: 2, limit: 100 })).every((r) => r.severity! <= 2)).toBe(true);
    expect((await store.queryLogs({ fromMs: T0 + 5000, toMs: T0 + 7000, limit: 100 })).map((r) => r.id)).toEqual([7, 6, 5]);
    const page1 = await store.queryLogs({ limit: 5 });
    const page2 = await store.queryLogs({ limit: 5, beforeId: page1[4]!.id });
    expect(page2.map((r) => r.id)).toEqual([15, 14, 13, 12, 11]);
    expect((await store.queryLogs({ afterId: 17, limit: 10 })).map((r) => r.id)).toEqual([18, 19, 20]);
  });

  it('searches full text, and searches pasted addresses and Call-IDs as phrases', async () => {
    const { store } = openTemp();
    await store.write({
      logs: [
        rec(1, { message: 'REGISTER timeout towards 10.0.0.1' }),
        rec(2, { message: 'Call-ID: a84b4c76e66710@pc33.example.com received' }),
        rec(3, { message: 'jitter buffer overflow on channel 2' }),
      ],
      devices: [device],
    });
    expect((await store.queryLogs({ text: 'jitter overflow', limit: 10 })).map((r) => r.id)).toEqual([3]);
    expect((await store.queryLogs({ text: 'jitt*', limit: 10 })).map((r) => r.id)).toEqual([3]);
    expect((await store.queryLogs({ text: '10.0.0.1', limit: 10 })).map((r) => r.id)).toEqual([1]);
    expect((await store.queryLogs({ text: 'a84b4c76e66710@pc33.example.com', limit: 10 })).map((r) => r.id)).toEqual([2]);
    expect((await store.queryLogs({ text: '"buffer overflow"', limit: 10 })).map((r) => r.id)).toEqual([3]);
  });

  it('rejects a search it cannot run with a query error, not a crash', async () => {
    const { store } = openTemp();
    await store.write({ logs: [rec(1)], devices: [device] });
    await expect(store.queryLogs({ text: '"unbalanced', limit: 10 })).resolves.toEqual([]);
    await expect(store.queryLogs({ text: 'NEAR(', limit: 10 })).resolves.toBeInstanceOf(Array);
  });

  it('deletes lines past the age limit, and their search entries', async () => {
    const { store } = openTemp();
    await store.write({ logs: Array.from({ length: 10 }, (_, i) => rec(i + 1, { message: `event ${i + 1} common` })), devices: [device] });
    const res = await store.enforceRetention({ maxAgeMs: 4500, maxSizeBytes: 1e12 }, T0 + 10_000);
    expect(res.deletedLogs).toBe(5);
    expect((await store.queryLogs({ limit: 100 })).map((r) => r.id)).toEqual([10, 9, 8, 7, 6]);
    expect((await store.queryLogs({ text: 'common', limit: 100 })).map((r) => r.id)).toEqual([10, 9, 8, 7, 6]);
  });

  it('ages out by receive time even when imported lines have newer ids, and removes an import as a unit', async () => {
    const { store } = openTemp();
    const DAY = 86_400_000;
    await store.write({
      logs: [
        rec(1, { receivedAt: T0 - 1000 }),
        rec(2, { receivedAt: T0 - 40 * DAY, importId: 7, message: 'old capture line' }),
        rec(3, { receivedAt: T0 - 1 * DAY, importId: 7, message: 'recent capture line' }),
        rec(4, { receivedAt: T0 - 1 * DAY, importId: 8 }),
      ],
      devices: [device],
    });
    expect((await store.enforceRetention({ maxAgeMs: 30 * DAY, maxSizeBytes: 1e12 }, T0)).deletedLogs).toBe(1);
    expect((await store.queryLogs({ limit: 10 })).map((r) => [r.id, r.importId])).toEqual([[4, 8], [3, 7], [1, null]]);
    expect(await store.deleteImportedLogs(7)).toBe(1);
    expect((await store.queryLogs({ limit: 10 })).map((r) => r.id)).toEqual([4, 1]);
    expect(await store.queryLogs({ text: 'capture', limit: 10 })).toEqual([]);
  });

  it('trims the oldest lines to keep under the size limit, and the file shrinks', async () => {
    const { store } = openTemp();
    const big = 'x'.repeat(2000);
    for (let b = 0; b < 10; b++) {
      await store.write({ logs: Array.from({ length: 500 }, (_, i) => rec(b * 500 + i + 1, { message: `${big} ${b}` })), devices: [device] });
    }
    const before = await store.stats();
    expect(before.sizeBytes).toBeGreaterThan(8_000_000);
    const res = await store.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: 4_000_000 }, T0);
    expect(res.deletedLogs).toBeGreaterThan(0);
    expect(res.sizeBytes).toBeLessThanOrEqual(4_000_000 + 512 * 1024);
    const newest = await store.queryLogs({ limit: 1 });
    expect(newest[0]!.id).toBe(5000);
  });

  it('refuses a database from a newer collector', async () => {
    const { store, file } = openTemp();
    await store.close();
    stores.pop();
    const Database = (await import('better-sqlite3')).default;
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
    db.write([rec(1, { message: 'Jitter buffer overflow ch 1' }), rec(2, { message: 'all fine' })], [device]);
    db.indexPending(1);
    db.write([rec(3, { message: 'jitter BUFFER overflow ch 3' }), rec(4, { message: 'registered 10.0.0.1' })], [device]);
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

  it('reads search words plainly for the scan', () => {
    expect(plainTerms('"Buffer Overflow" AND jitt* NOT (x)')).toEqual(['buffer', 'overflow', 'jitt', 'x']);
  });

  it('packs a batch for the worker and unpacks it unchanged', () => {
    const logs = [rec(1), rec(2, { facility: null, severity: null, deviceTs: null, seq: 7, structuredData: [{ id: 'a', params: { k: 'v' } }], warnings: ['no PRI'] })];
    const { columns } = packLogs(logs);
    const back = unpackLogs(structuredClone(columns));
    expect(back.map((r) => ({ ...r, raw: [...r.raw] }))).toEqual(logs.map((r) => ({ ...r, raw: [...r.raw] })));
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
