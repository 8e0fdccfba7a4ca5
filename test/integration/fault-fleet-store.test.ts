/**
 * The fleet store as users meet it failing: a collector started before its ClickHouse says so in
 * one line and starts once the server answers; a ClickHouse that freezes mid-ingest (SIGSTOP: it
 * answers nothing, closes nothing) costs nothing inside the collector's bounded queue, and every
 * line arrives once it thaws.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import { startClickHouse, type RunningClickHouse } from '../../bench/clickhouse-server.js';
import { hasClickHouse } from '../support/fleet-servers.js';
import { sendUdp, waitFor } from '../support/senders.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const FREEZE_MS = 5000;

interface Health {
  counters: Record<string, { received: number; dropped: number; stored: number } | undefined>;
  store: { backend: string; path: string; stalled?: boolean };
}

let clickhouse: RunningClickHouse | null = null;
let collector: RunningCollector | null = null;

afterAll(async () => {
  clickhouse?.thaw();
  await collector?.stop();
  await clickhouse?.stop();
});

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `<134>Dec  6 10:00:00 phone nxphone: fleet fault line ${from + i}`);

(hasClickHouse() ? describe : describe.skip)('collector on a ClickHouse that is late or freezes', () => {
  it('says once that the store cannot be reached, then starts when it answers', async () => {
    const { tcp: [port] } = await freePorts(1, 0);
    const url = `clickhouse://default:secret@127.0.0.1:${port}/fault`;
    const starting = spawnCollector(['--store', url, '--collector-id', '3']);
    // The collector is waiting for the server by now: start it on the port it tries.
    await new Promise((r) => setTimeout(r, 4000));
    clickhouse = await startClickHouse({ database: 'fault', httpPort: port, password: 'secret' });
    collector = await starting;
    const said = collector.stderr().split('\n').filter((l) => l.includes('cannot be reached'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`127.0.0.1:${port}`);
    expect(said[0]).not.toContain('secret');
    expect(collector.stderr()).toContain('answers now');
    const health = (await (await fetch(`${collector.webUrl}/api/health`)).json()) as Health;
    expect(health.store.backend).toBe('clickhouse');
    expect(health.store.path).not.toContain('secret');
  }, 90_000);

  it('keeps every line received while the store froze and writes them once it thaws', async () => {
    const c = collector!;
    const api = async () => (await (await fetch(`${c.webUrl}/api/health`)).json()) as Health;
    await sendUdp(c.ports.syslogUdp, lines(0, 200));
    await waitFor(api, (h) => (h.counters['syslog-udp']?.stored ?? 0) === 200, 15_000);
    clickhouse!.freeze();
    await sendUdp(c.ports.syslogUdp, lines(200, 1000));
    await new Promise((r) => setTimeout(r, FREEZE_MS));
    const frozen = await api();
    expect(frozen.counters['syslog-udp']?.received).toBe(1200);
    expect(frozen.counters['syslog-udp']?.stored).toBe(200);
    clickhouse!.thaw();
    const after = await waitFor(api, (h) => (h.counters['syslog-udp']?.stored ?? 0) === 1200, 60_000);
    expect(after.counters['syslog-udp']?.dropped).toBe(0);
    const found = (await (await fetch(`${c.webUrl}/api/logs?q=${encodeURIComponent('"fleet fault line 1199"')}&limit=5`)).json()) as { logs: unknown[] };
    expect(found.logs).toHaveLength(1);
  }, 120_000);
});
