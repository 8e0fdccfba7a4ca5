/** The compiled store worker (what the built collector runs): batches, queries and errors cross intact. */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerSqliteStore } from '../../server/store/sqlite/worker-store.js';
import type { LogRecord } from '../../server/store/types.js';
import { packLogs } from '../../server/store/log-columns.js';

const WORKER = new URL('../../dist/server/store/sqlite/worker.js', import.meta.url);

function rec(id: number, message: string): LogRecord {
  return {
    id, receivedAt: 1_764_151_200_000 + id, deviceId: 1, source: 'syslog-tcp', format: 'rfc5424', facility: 1, severity: 3,
    deviceTime: null, deviceTs: null, hostname: 'h', app: 'dsp', pid: null, msgid: 'M', module: 'dsp', seq: id, sid: null,
    message, raw: new Uint8Array([0xff, id & 0xff]), structuredData: [{ id: 'x', params: { a: '1' } }], warnings: ['w'], importId: null,
  };
}

describe('store worker', () => {
  it('writes packed batches, indexes them for search in the background, and answers queries', async () => {
    expect(existsSync(fileURLToPath(WORKER)), 'run `npm run build` first (npm test does)').toBe(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-worker-'));
    const store = await WorkerSqliteStore.open(path.join(dir, 'db.sqlite'), WORKER);
    const device = { id: 1, address: '10.0.0.5', mac: null, model: null, firmware: null, hostname: null, firstSeen: 1, lastSeen: 2, logs: 3, seqGaps: 0, seqOutOfOrder: 0, modules: { dsp: 3 } };
    await store.write({ logs: packLogs([rec(1, 'alpha overflow'), rec(2, 'beta'), rec(3, 'gamma overflow')]), devices: [device] });
    const rows = await store.queryLogs({ text: 'overflow', limit: 10 });
    expect(rows.map((r) => r.id)).toEqual([3, 1]);
    expect(rows[0]).toMatchObject({ seq: 3, structuredData: [{ id: 'x', params: { a: '1' } }], warnings: ['w'], source: 'syslog-tcp' });
    expect([...rows[0]!.raw]).toEqual([0xff, 3]);
    expect(await store.loadDevices()).toEqual([device]);
    for (let i = 0; i < 50 && (await store.stats()).searchIndexLag > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await store.stats()).searchIndexLag).toBe(0);
    await expect(store.queryLogs({ text: 'x', limit: 10, deviceId: Number.NaN })).resolves.toEqual([]);
    // A method outside the contract is refused by the worker, not run.
    await expect((store.calls as unknown as { nothing(): Promise<void> }).nothing()).rejects.toThrow(/no store method calls.nothing/);
    await store.close();
  });
});
