// Two collectors, one fleet: both write to one ClickHouse and pass live updates through Redis. A
// simulated fleet is split so that every call's recording reaches one collector and its report the
// other; a browser on the first collector must see the second one's live lines and each call once,
// with both its recording and its report.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog } from '../../server/simulator/event-log.js';
import { simulateLive } from '../../server/simulator/run.js';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { startClickHouse, type RunningClickHouse } from '../../bench/clickhouse-server.js';
import { hasClickHouse, hasRedis } from '../support/fleet-servers.js';
import { freePorts } from '../../bench/free-ports.js';
import { startRedis, type RunningRedis } from '../support/redis-server.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';
import { sendUdp } from '../support/senders.js';

const SEEN_TIMEOUT_MS = 20_000;
const SPEED = 5;

interface Collector { proc: RunningCollector; recordingPort: number; sipPort: number }
interface CallJson { id: number; sipCallId: string | null; recordingSession: string | null; sources: string[]; active: boolean }

let clickhouse: RunningClickHouse;
let redis: RunningRedis;
let first: Collector;
let second: Collector;
let browser: BrowserSession;
let page: Page;
let log: EventLog;

async function startFleetCollector(id: number): Promise<Collector> {
  const { udp: [recordingPort, sipPort] } = await freePorts(0, 2);
  const proc = await spawnCollector(['--store', clickhouse.url, '--collector-id', String(id), '--redis', redis.url,
    '--recording-port', String(recordingPort), '--sip-port', String(sipPort), '--recording-call-timeout', '2']);
  return { proc, recordingPort: recordingPort!, sipPort: sipPort! };
}

async function api<T>(c: Collector, p: string): Promise<T> {
  const res = await fetch(c.proc.webUrl + p);
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const servers = hasClickHouse() && hasRedis();

(servers ? describe : describe.skip)('two collectors on one ClickHouse and one Redis', () => {
  beforeAll(async () => {
    [clickhouse, redis] = await Promise.all([startClickHouse(), startRedis()]);
    first = await startFleetCollector(0);
    second = await startFleetCollector(1);
    browser = await launchBrowser();
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([first?.proc.stop(), second?.proc.stop()]);
    await Promise.all([clickhouse?.stop(), redis?.stop()]);
  });

  it('shows in a browser on the first collector the lines the second one receives, live', async () => {
    await page.goto(`${first.proc.webUrl}/#/logs`);
    await page.locator('.log-view').waitFor();
    await page.waitForTimeout(500);
    await sendUdp(second.proc.ports.syslogUdp, ['<134>Dec  6 10:00:01 voip_task[412]: fleet line received by the second collector']);
    await page.locator('.row', { hasText: 'fleet line received by the second collector' }).waitFor({ timeout: SEEN_TIMEOUT_MS });
    await screenshot(page, 'fleet-logs-live');
  });

  it('makes one call of a recording that reached one collector and a report that reached the other', async () => {
    await page.goto(`${first.proc.webUrl}/#/calls`);
    await page.locator('.calls-table').waitFor();
    // Shard 0's phones record to the second collector and report to the first; shard 1 the other way round.
    const run = (shard: number, rec: Collector, sip: Collector) => simulateLive({
      target: '127.0.0.1', phones: 4, callsPerHour: 240, durationMs: 40_000, seed: 7, scenario: 'mixed', startMs: Date.now(),
      shard: { index: shard, count: 2 },
      ports: { syslog: sip.proc.ports.syslogUdp, recording: rec.recordingPort, sip: sip.sipPort },
    }, { speed: SPEED });
    const [a, b] = await Promise.all([run(0, second, first), run(1, first, second)]);
    log = { ...a.log, phones: [...a.log.phones, ...b.log.phones], calls: [...a.log.calls, ...b.log.calls] };
    expect(log.calls.length).toBeGreaterThan(0);
    const wanted = new Set(log.calls.map((c) => c.sipCallId));
    const complete = (calls: CallJson[]) => calls.filter((c) => c.sipCallId && wanted.has(c.sipCallId) && c.recordingSession
      && c.sources.includes('computed-rtp') && c.sources.some((s) => s.startsWith('vq-') || s === 'ms-qoe'));
    await expect.poll(async () => complete((await api<{ calls: CallJson[] }>(first, '/api/calls?limit=500')).calls).length, { timeout: SEEN_TIMEOUT_MS * 2 })
      .toBe(wanted.size);
    // One call each, on either collector's API.
    for (const c of [first, second]) {
      const { calls } = await api<{ calls: CallJson[] }>(c, '/api/calls?limit=500');
      const mine = calls.filter((x) => x.sipCallId && wanted.has(x.sipCallId));
      expect(mine.length).toBe(wanted.size);
      expect(new Set(mine.map((x) => x.sipCallId)).size).toBe(wanted.size);
    }
    // The browser on the first collector got them without a reload.
    await expect.poll(() => page.locator('.calls-table tbody tr[data-call]').count(), { timeout: SEEN_TIMEOUT_MS }).toBeGreaterThanOrEqual(wanted.size);
    const one = complete((await api<{ calls: CallJson[] }>(first, '/api/calls?limit=500')).calls)[0]!;
    await page.goto(`${first.proc.webUrl}/#/calls/${one.id}`);
    await page.locator('.sources li.have', { hasText: 'Debug recording' }).waitFor({ timeout: SEEN_TIMEOUT_MS });
    await page.locator('.sources li.have', { hasText: 'PUBLISH' }).waitFor({ timeout: SEEN_TIMEOUT_MS });
    await screenshot(page, 'fleet-call');
  }, 120_000);

  it('lists every collector\'s devices on each collector, and says in health it is part of a fleet', async () => {
    const phones = new Set(log.phones.map((p) => p.addr));
    for (const c of [first, second]) {
      await expect.poll(async () => (await api<{ devices: Array<{ address: string }> }>(c, '/api/devices')).devices.filter((d) => phones.has(d.address)).length,
        { timeout: SEEN_TIMEOUT_MS }).toBe(phones.size);
    }
    const health = await api<{ fleet: { collectorId: number; redis: { error: string | null; received: number } } }>(second, '/api/health');
    expect(health.fleet.collectorId).toBe(1);
    expect(health.fleet.redis.error).toBeNull();
    expect(health.fleet.redis.received).toBeGreaterThan(0);
  });
});
