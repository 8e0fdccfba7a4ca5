// The collector killed with SIGKILL in the middle of a flood: after a restart on the same data,
// every line it had acknowledged as stored is there, and the database is intact.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-sigkill-'));
const running: RunningCollector[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  for (const c of running) await c.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Health { counters: Record<string, { parsed: number; stored: number }>; store: { logs: number } }
const health = async (c: RunningCollector) => (await (await fetch(`${c.webUrl}/api/health`)).json()) as Health;

describe('a collector killed mid-ingest', () => {
  it('keeps at least every line it acknowledged as stored, and restarts on an intact database', async () => {
    const first = await spawnCollector(['--data-dir', dataDir]);
    running.push(first);
    const socket = dgram.createSocket('udp4');
    let sent = 0;
    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        await Promise.all(Array.from({ length: 100 }, () => new Promise<void>((r) => socket.send(`<14>Nov 26 10:00:00 voip_task: kill-case ${sent++}`, first.ports.syslogUdp, '127.0.0.1', () => r()))));
        await sleep(2);
      }
    })();
    await sleep(1500);
    const acknowledged = (await health(first)).counters['syslog-udp']!.stored;
    await first.kill('SIGKILL');
    flooding = false;
    await flood;
    socket.close();
    expect(acknowledged).toBeGreaterThan(1000);

    const second = await spawnCollector(['--data-dir', dataDir]);
    running.push(second);
    const after = await health(second);
    expect(after.store.logs).toBeGreaterThanOrEqual(acknowledged);
    await second.stop();
    const db = new Database(path.join(dataDir, 'ipp-collector.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM logs WHERE body LIKE 'kill-case %'").get() as { n: number }).n;
    db.close();
    expect(rows).toBeGreaterThanOrEqual(acknowledged);
    expect(rows).toBeLessThanOrEqual(sent);
  });
});
