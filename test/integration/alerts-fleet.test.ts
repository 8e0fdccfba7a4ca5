// Alerts on a fleet store: two collectors share one ClickHouse, a rule made on one is the other's
// too, and only collector 0 evaluates and delivers, so an episode is told once however many
// collectors see it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startClickHouse, type RunningClickHouse } from '../../bench/clickhouse-server.js';
import type { AlertEpisode } from '../../server/store/alert-store.js';
import { hasClickHouse } from '../support/fleet-servers.js';
import { sendUdp, waitFor } from '../support/senders.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

let clickhouse: RunningClickHouse | null = null;
const collectors: RunningCollector[] = [];
let receiver: http.Server | null = null;

afterAll(async () => {
  for (const c of collectors) await c.stop();
  await clickhouse?.stop();
  receiver?.close();
});

(hasClickHouse() ? describe : describe.skip)('alerts on a fleet store', () => {
  it('evaluates and delivers on collector 0 only; the others share its rules and episodes', async () => {
    clickhouse = await startClickHouse({ database: 'alerts' });
    const hits: Array<{ event: string; body: string }> = [];
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => { hits.push({ event: String(req.headers['x-ipp-event']), body }); res.end('ok'); });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', () => resolve()));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const common = ['--store', clickhouse.url, '--alert-interval', '0.5'];
    const zero = await spawnCollector([...common, '--collector-id', '0']);
    collectors.push(zero);
    const one = await spawnCollector([...common, '--collector-id', '1']);
    collectors.push(one);

    const made = await fetch(`${one.webUrl}/api/alerts/rules`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Phone silent', kind: 'device-silent', params: { minutes: 0.05 }, channels: { webhook: { url: hook } } }),
    });
    expect(made.status).toBe(201);
    const health = async (c: RunningCollector) => ((await (await fetch(`${c.webUrl}/api/health`)).json()) as { alerts: { rules: number; evaluates: boolean } }).alerts;
    expect(await health(one)).toMatchObject({ evaluates: false });
    expect((await fetch(`${one.webUrl}/api/alerts/evaluate`, { method: 'POST' })).status).toBe(409);

    // The phone talks to collector 1 only; collector 0 learns of it through the shared store.
    await sendUdp(one.ports.syslogUdp, [`<134>1 ${new Date().toISOString()} phone ipp - - - hello`]);
    const episodes = async (c: RunningCollector) => ((await (await fetch(`${c.webUrl}/api/alerts/episodes`)).json()) as { episodes: AlertEpisode[] }).episodes;
    const seen = await waitFor(() => episodes(one), (e) => e.length > 0, 30_000);
    expect(seen.map((e) => [e.key, e.state, e.ruleName])).toEqual([['device=127.0.0.1', 'firing', 'Phone silent']]);
    await waitFor(async () => hits, (h) => h.length > 0, 10_000);
    // Passes go on on collector 0, and collector 1 never evaluates: one episode, one delivery.
    await new Promise((r) => setTimeout(r, 3000));
    expect(hits.map((h) => h.event)).toEqual(['firing']);
    expect((await episodes(zero)).map((e) => e.id)).toEqual(seen.map((e) => e.id));
    expect((await health(zero)).rules).toBe(1);
  }, 120_000);
});
