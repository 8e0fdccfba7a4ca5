// The logs contract on every backend: lines and devices round-trip, filters, cursors, search,
// retention and imports behave alike; on the fleet store two collectors' copies of one datagram
// are one line and their device counts add up.
import { expect, it } from 'vitest';
import type { DeviceRecord, LogRecord } from '../../server/store/types.js';
import { eachBackend } from './backends.js';
import { packLogs } from '../../server/store/log-columns.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const DAY = 86_400_000;

function rec(id: number, over: Partial<LogRecord> = {}): LogRecord {
  return {
    id, receivedAt: T0 + id * 1000, deviceId: 1, source: 'syslog-udp', format: 'rfc3164', facility: 16, severity: 6,
    deviceTime: 'Nov 26 10:00:00', deviceTs: T0, hostname: null, app: 'voip_task', pid: '1', msgid: null, module: 'voip_task',
    seq: null, sid: null, message: `line ${id}`, raw: new TextEncoder().encode(`<134>raw ${id}`), structuredData: null, warnings: [], importId: null,
    ...over,
  };
}

const device: DeviceRecord = { id: 1, address: '10.0.0.5', mac: null, model: null, firmware: null, hostname: null, firstSeen: T0, lastSeen: T0, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {} };

eachBackend('logs contract', (backend) => {
  it('writes lines and devices and reads them back newest first, raw bytes intact', async () => {
    const store = await backend.open();
    const raw = new Uint8Array([0x3c, 0x31, 0x3e, 0xe9, 0xff, 0x00, 0x09, 0x0a, 0x5c]);
    await store.write({ logs: packLogs([rec(1), rec(2, { raw, structuredData: [{ id: 'x', params: { a: 'b' } }], warnings: ['w'], hostname: null, seq: 7, sid: 'ab' })]), devices: [device] });
    const rows = await store.queryLogs({ limit: 10 });
    expect(rows.map((r) => r.id)).toEqual([2, 1]);
    expect([...rows[0]!.raw]).toEqual([...raw]);
    expect(rows[0]).toMatchObject({ structuredData: [{ id: 'x', params: { a: 'b' } }], warnings: ['w'], seq: 7, sid: 'ab', hostname: null, importId: null });
    expect(rows[1]!.structuredData).toBeNull();
    expect((await store.getLog(2))!.message).toBe('line 2');
    expect(await store.getLog(99)).toBeNull();
    expect(await store.loadDevices()).toEqual([device]);
    expect(await store.fleetDevices()).toEqual([device]);
  });

  it('filters by device, module, severity, time and pages by cursor', async () => {
    const store = await backend.open();
    const logs = Array.from({ length: 20 }, (_, i) => rec(i + 1, {
      deviceId: (i % 2) + 1, module: i % 3 === 0 ? 'dsp' : 'voip_task', severity: i % 8,
    }));
    await store.write({ logs: packLogs(logs), devices: [device, { ...device, id: 2, address: '10.0.0.6' }] });
    expect((await store.queryLogs({ deviceId: 2, limit: 100 })).every((r) => r.deviceId === 2)).toBe(true);
    expect((await store.queryLogs({ modules: ['dsp'], limit: 100 })).map((r) => r.id)).toEqual([19, 16, 13, 10, 7, 4, 1]);
    expect((await store.queryLogs({ maxSeverity: 2, limit: 100 })).every((r) => r.severity! <= 2)).toBe(true);
    expect((await store.queryLogs({ fromMs: T0 + 5000, toMs: T0 + 7000, limit: 100 })).map((r) => r.id)).toEqual([7, 6, 5]);
    const page1 = await store.queryLogs({ limit: 5 });
    const page2 = await store.queryLogs({ limit: 5, beforeId: page1[4]!.id });
    expect(page2.map((r) => r.id)).toEqual([15, 14, 13, 12, 11]);
    expect((await store.queryLogs({ afterId: 17, limit: 10 })).map((r) => r.id)).toEqual([18, 19, 20]);
  });

  it('searches words, prefixes, quoted phrases, and pasted addresses and Call-IDs', async () => {
    const store = await backend.open();
    await store.write({
      logs: packLogs([
        rec(1, { message: 'REGISTER timeout towards 10.0.0.1' }),
        rec(2, { message: 'Call-ID: a84b4c76e66710@pc33.example.com received' }),
        rec(3, { message: 'jitter buffer overflow on channel 2' }),
        rec(4, { message: 'Jitter measured, buffer fine' }),
      ]),
      devices: [device],
    });
    expect((await store.queryLogs({ text: 'jitter overflow', limit: 10 })).map((r) => r.id)).toEqual([3]);
    expect((await store.queryLogs({ text: 'JITTER buffer', limit: 10 })).map((r) => r.id)).toEqual([4, 3]);
    expect((await store.queryLogs({ text: 'jitt*', limit: 10 })).map((r) => r.id)).toEqual([4, 3]);
    expect((await store.queryLogs({ text: '10.0.0.1', limit: 10 })).map((r) => r.id)).toEqual([1]);
    expect((await store.queryLogs({ text: 'a84b4c76e66710@pc33.example.com', limit: 10 })).map((r) => r.id)).toEqual([2]);
    expect((await store.queryLogs({ text: '"buffer overflow"', limit: 10 })).map((r) => r.id)).toEqual([3]);
    expect((await store.queryLogs({ text: 'overflow OR timeout', limit: 10 })).map((r) => r.id)).toEqual([3, 1]);
    expect((await store.queryLogs({ text: 'jitter NOT overflow', limit: 10 })).map((r) => r.id)).toEqual([4]);
  });

  it('answers a search it cannot parse as well as it can, never with a crash', async () => {
    const store = await backend.open();
    await store.write({ logs: packLogs([rec(1)]), devices: [device] });
    await expect(store.queryLogs({ text: '"unbalanced', limit: 10 })).resolves.toEqual([]);
    await expect(store.queryLogs({ text: 'NEAR(', limit: 10 })).resolves.toBeInstanceOf(Array);
    await expect(store.queryLogs({ text: "'; DROP TABLE logs; --", limit: 10 })).resolves.toEqual([]);
    expect(await store.queryLogs({ limit: 10 })).toHaveLength(1);
  });

  it('deletes lines past the age limit, and search no longer finds them', async () => {
    const store = await backend.open();
    await store.write({ logs: packLogs(Array.from({ length: 10 }, (_, i) => rec(i + 1, { message: `event ${i + 1} common` }))), devices: [device] });
    const res = await store.enforceRetention({ maxAgeMs: 4500, maxSizeBytes: 1e12 }, T0 + 10_000);
    expect(res.deletedLogs).toBe(5);
    expect((await store.queryLogs({ limit: 100 })).map((r) => r.id)).toEqual([10, 9, 8, 7, 6]);
    expect((await store.queryLogs({ text: 'common', limit: 100 })).map((r) => r.id)).toEqual([10, 9, 8, 7, 6]);
  });

  it('ages out by receive time even when imported lines have newer ids, and removes an import as a unit', async () => {
    const store = await backend.open();
    await store.write({
      logs: packLogs([
        rec(1, { receivedAt: T0 - 1000 }),
        rec(2, { receivedAt: T0 - 40 * DAY, importId: 7, message: 'old capture line' }),
        rec(3, { receivedAt: T0 - 1 * DAY, importId: 7, message: 'recent capture line' }),
        rec(4, { receivedAt: T0 - 1 * DAY, importId: 8 }),
      ]),
      devices: [device],
    });
    expect((await store.enforceRetention({ maxAgeMs: 30 * DAY, maxSizeBytes: 1e12 }, T0)).deletedLogs).toBe(1);
    expect((await store.queryLogs({ limit: 10 })).map((r) => [r.id, r.importId])).toEqual([[4, 8], [3, 7], [1, null]]);
    expect(await store.deleteImportedLogs(7)).toBe(1);
    expect((await store.queryLogs({ limit: 10 })).map((r) => r.id)).toEqual([4, 1]);
    expect(await store.queryLogs({ text: 'capture', limit: 10 })).toEqual([]);
    expect(await store.deleteImportedLogs(7)).toBe(0);
  });

  it('trims the oldest days first to get under the size limit, keeping the newest lines', async () => {
    const store = await backend.open();
    const big = 'x'.repeat(2000);
    for (let day = 0; day < 4; day++) {
      const logs = Array.from({ length: 500 }, (_, i) => rec(day * 500 + i + 1, { receivedAt: T0 - (3 - day) * DAY + i, message: `${big} ${day} ${i}`, raw: new TextEncoder().encode(`${day}-${i}-${Math.random()}`.repeat(50)) }));
      await store.write({ logs: packLogs(logs), devices: [device] });
    }
    const total = (await store.stats()).sizeBytes;
    const res = await store.enforceRetention({ maxAgeMs: 1e15, maxSizeBytes: Math.floor(total / 3) }, T0);
    expect(res.deletedLogs).toBeGreaterThanOrEqual(500);
    expect((await store.queryLogs({ limit: 1 }))[0]!.id).toBe(2000);
    expect(await store.queryLogs({ toMs: T0 - 3 * DAY + 1000, limit: 1 })).toEqual([]);
  });

  it('counts lines in stats and names its backend', async () => {
    const store = await backend.open();
    await store.write({ logs: packLogs([rec(1), rec(2), rec(3)]), devices: [device] });
    const stats = await store.stats();
    expect(stats.backend).toBe(backend.name);
    expect(stats.logs).toBe(3);
    expect(stats.sizeBytes).toBeGreaterThan(0);
  });

  it.runIf(backend.name === 'clickhouse')('keeps one line when two collectors store copies of one datagram, and sums their device counts', async () => {
    const first = await backend.open({ slot: 0 });
    const second = await backend.open({ slot: 1, sameAs: first });
    const line = rec(1, { message: 'sent to both collectors' });
    await first.write({ logs: packLogs([line, rec(2, { deviceTs: null, raw: new TextEncoder().encode('untimed') })]), devices: [{ ...device, logs: 2, modules: { voip_task: 2 } }] });
    // The second collector numbers its copy itself, and got it a few ms later.
    await second.write({
      logs: packLogs([{ ...line, id: 101, receivedAt: line.receivedAt + 3 }, rec(102, { deviceTs: null, raw: new TextEncoder().encode('untimed'), receivedAt: T0 + 2003 })]),
      devices: [{ ...device, logs: 2, lastSeen: T0 + 60_000, model: '450HD', modules: { voip_task: 1, dsp: 1 } }],
    });
    for (const s of [first, second]) {
      expect((await s.queryLogs({ limit: 10 })).map((r) => r.message)).toEqual(['line 2', 'sent to both collectors'].map((m) => expect.stringContaining(m.split(' ')[0]!)));
      expect(await s.queryLogs({ text: 'both', limit: 10 })).toHaveLength(1);
    }
    expect((await first.loadDevices())[0]!.logs).toBe(2);
    expect(await first.fleetDevices()).toEqual([{ ...device, logs: 4, lastSeen: T0 + 60_000, model: '450HD', modules: { voip_task: 3, dsp: 1 } }]);
  });
});
