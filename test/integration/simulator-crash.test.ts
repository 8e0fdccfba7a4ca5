/**
 * Simulated phones crash and upload tombstones: a short live run against an in-process collector
 * with crashes seconds apart. Every crash lands in one group (the same firmware bug on every phone),
 * tied to the phones that crashed, and each has the watchdog's syslog line at its moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/test-config.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { simulateLive, type SimulationResult } from '../../server/simulator/run.js';
import { freePorts } from '../../bench/free-ports.js';

interface Group { hash: string; process: string | null; count: number; devices: number; byDevice: Record<string, number>; byFirmware: Record<string, number> }
interface LogLine { receivedAt: string; deviceTs: string | null; module: string; message: string; device: { address: string } | null }

const SPEED = 4;
const CRASH_EVERY_MS = 5000;
/** The watchdog line and the upload leave the phone at the same virtual instant; both then travel. */
const NEAR_MS = 3000;

let collector: RunningCollector;
let base: string;
let result: SimulationResult;

async function api<T>(p: string): Promise<T> {
  const res = await fetch(base + p);
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  const p = await freePorts(2, 2);
  const config = testConfig({ webPort: p.tcp[0]!, syslogPort: p.udp[0]!, recordingPort: p.udp[1]!, sipPort: p.tcp[1]! });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${config.webPort}`;
  result = await simulateLive({
    target: '127.0.0.1', phones: 3, callsPerHour: 30, durationMs: 30_000, seed: 5, scenario: 'clean', startMs: Date.now(),
    ports: { syslog: config.syslogPort, recording: config.recordingPort, sip: config.sipPort }, webPort: config.webPort, crashEveryMs: CRASH_EVERY_MS,
  }, { speed: SPEED });
}, 60_000);

afterAll(async () => {
  await collector?.stop();
});

describe('simulated phone crashes', () => {
  it('uploads a tombstone for every planned crash, accepted by the collector', () => {
    expect(result.notes).toEqual([]);
    expect(result.crashes.length).toBeGreaterThanOrEqual(3);
    for (const c of result.crashes) expect(c.upload, c.phone).toMatch(/^HTTP 20[01]$/);
  });

  it('groups every crash under one voip_task signature, tied to the phones and firmware that crashed', async () => {
    const { groups } = await api<{ groups: Group[] }>('/api/crashes');
    expect(groups).toHaveLength(1);
    const g = groups[0]!;
    expect(g.process).toBe('voip_task');
    expect(g.count).toBe(result.crashes.length);
    const perPhone: Record<string, number> = {};
    for (const c of result.crashes) perPhone[c.phone] = (perPhone[c.phone] ?? 0) + 1;
    expect(g.byDevice).toEqual(perPhone);
    expect(g.devices).toBe(Object.keys(perPhone).length);
    const firmware = new Set(result.crashes.map((c) => c.firmware));
    expect(new Set(Object.keys(g.byFirmware))).toEqual(firmware);
  });

  it('has the watchdog\'s restart line from the same phone at each crash', async () => {
    for (const c of result.crashes) {
      const { logs } = await api<{ logs: LogLine[] }>(`/api/logs?device=${c.phone}&module=ac_watchdog&q=SIGSEGV&limit=1000`);
      const at = Date.parse(c.at);
      const near = logs.filter((l) => Math.abs(Date.parse(l.deviceTs ?? l.receivedAt) - at) <= NEAR_MS);
      expect(near.map((l) => l.message).join('\n'), `${c.phone} at ${c.at}`).toMatch(/process voip_task \(pid \d+\) died on signal 11 \(SIGSEGV\), restarting/);
    }
  });
});
