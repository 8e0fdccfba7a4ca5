/** The compiled store worker (what the built collector runs): batches, queries and errors cross intact. */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
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

  it('runs below the ingest threads: its thread lowers its own priority, the others keep theirs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-worker-'));
    const before = threadNices();
    const store = await WorkerSqliteStore.open(path.join(dir, 'db.sqlite'), WORKER);
    const after = threadNices();
    const added = [...after].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
    expect(added).toContain(10);
    // This thread (the one that decodes) and the ones that were there keep their priority.
    for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid)).toBe(nice);
    expect(before.get(process.pid)).toBe(0);
    await store.close();
  });
});

/** Each thread of this process and its nice value (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}
