/**
 * Phones whose clocks lie (issue 17 part 3): the simulator's phones at +16 h and −16 h send their
 * syslog and vq-rtcpxr PUBLISH reports stamped by their wrong clocks, while their debug recordings
 * reach the collector on its own clock. Each call still gets its report (tied to the recording by
 * SSRC), the API says how far the phone's clock was off, and the report's points sit on the
 * receive clock next to the recording's. Real time (speed 1), so receive times are honest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import type { EventLog } from '../../server/simulator/event-log.js';
import { simulateLive } from '../../server/simulator/run.js';
import { waitFor } from '../support/senders.js';
import { testConfig } from '../support/test-config.js';

const H = 3_600_000;
/** What the estimate may be off by: the report goes out 0.4 s after hang-up, syslog times have whole seconds. */
const ESTIMATE_TOLERANCE_MS = 3000;

interface Call { id: number; sipCallId: string | null; recordingSession: string | null; sources: string[]; start: string; end: string | null; clockSkewMs: number | null }
interface Series { source: string; points: Array<[number, number, number]> }
interface LogLine { deviceTs: string | null; receivedAt: string }

let collector: RunningCollector;
let base: string;
let log: EventLog;
let simStartMs: number;

async function api<T>(p: string): Promise<T> {
  const res = await fetch(base + p);
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  const p = await freePorts(2, 2);
  const config = testConfig({ webPort: p.tcp[0]!, syslogPort: p.udp[0]!, recordingPort: p.udp[1]!, sipPort: p.tcp[1]!, recordingCallTimeoutS: 2 });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${config.webPort}`;
  simStartMs = Date.now();
  // Seed 3: four generic-SIP phones (vq-rtcpxr PUBLISH), two at each skew, one call each, all ended by 30.5 s.
  const result = await simulateLive({
    target: '127.0.0.1', phones: 4, callsPerHour: 3600, durationMs: 32_000, seed: 3, scenario: 'clean', startMs: simStartMs,
    ports: { syslog: config.syslogPort, recording: config.recordingPort, sip: config.sipPort }, clockSkewsMs: [16 * H, -16 * H],
  }, { speed: 1 });
  expect(result.notes).toEqual([]);
  log = result.log;
  expect(log.phones.every((ph) => !ph.sfb)).toBe(true);
  expect(log.calls.length).toBe(4);
  // Every recording ended (BYE + grace) and went to the correlator, every report is in.
  await waitFor(() => api<{ calls: Call[] }>('/api/calls?limit=100'),
    (r) => log.calls.every((lc) => r.calls.some((c) => c.sipCallId === lc.sipCallId && c.recordingSession === lc.recordingSession && !!c.end)), 15_000);
}, 90_000);

afterAll(async () => {
  await collector?.stop();
});

async function callOf(sipCallId: string): Promise<Call> {
  const { calls } = await api<{ calls: Call[] }>('/api/calls?limit=100');
  const call = calls.find((c) => c.sipCallId === sipCallId);
  if (!call) throw new Error(`no call ${sipCallId}`);
  return call;
}

const skewOf = (phoneIndex: number) => log.phones.find((ph) => ph.index === phoneIndex)!.clockSkewMs;

describe('phones with a clock 16 h off', () => {
  it('get one call per call, holding both the recording and the PUBLISH report', async () => {
    const { calls, total } = await api<{ calls: Call[]; total: number }>('/api/calls?limit=100');
    expect(total).toBe(log.calls.length);
    for (const lc of log.calls) {
      const call = calls.find((c) => c.sipCallId === lc.sipCallId)!;
      expect(call.recordingSession).toBe(lc.recordingSession);
      expect(call.sources).toEqual(expect.arrayContaining(['computed-rtp', 'vq-session']));
    }
  });

  it('say on the call how far the phone clock was off, ahead or behind', async () => {
    const signs = new Set<number>();
    for (const lc of log.calls) {
      const detail = await api<Call>(`/api/calls/${(await callOf(lc.sipCallId)).id}`);
      const skew = skewOf(lc.phone);
      signs.add(Math.sign(skew));
      expect(detail.clockSkewMs).not.toBeNull();
      expect(Math.abs(detail.clockSkewMs! - skew)).toBeLessThanOrEqual(ESTIMATE_TOLERANCE_MS);
    }
    expect([...signs].sort()).toEqual([-1, 1]);
  });

  it('place the report on the receive clock: the call spans its real time, the vq points sit with the recorded ones', async () => {
    for (const lc of log.calls) {
      const call = await callOf(lc.sipCallId);
      const start = Date.parse(call.start);
      expect(Math.abs(start - (simStartMs + lc.answerMs))).toBeLessThan(10_000);
      expect(Math.abs(Date.parse(call.end!) - (simStartMs + lc.endMs))).toBeLessThan(10_000);
      const { series } = await api<{ series: Series[] }>(`/api/calls/${call.id}/timeline?maxPoints=500`);
      const times = (source: string) => series.filter((s) => s.source === source).flatMap((s) => s.points.map((pt) => pt[0]));
      const vq = times('vq-session');
      const rtp = times('computed-rtp');
      expect(vq.length).toBeGreaterThan(0);
      expect(rtp.length).toBeGreaterThan(0);
      for (const t of vq) expect(t).toBeGreaterThanOrEqual(Math.min(...rtp) - 10_000);
      for (const t of vq) expect(t).toBeLessThanOrEqual(Math.max(...rtp) + 10_000);
    }
  });

  it('leave the syslog stamped by the wrong clock, and receive times that tell', async () => {
    for (const ph of log.phones) {
      const { logs } = await api<{ logs: LogLine[] }>(`/api/logs?device=${encodeURIComponent(ph.addr)}&limit=50`);
      expect(logs.length).toBeGreaterThan(0);
      for (const l of logs) expect(Math.abs(Date.parse(l.deviceTs!) - Date.parse(l.receivedAt) - ph.clockSkewMs)).toBeLessThanOrEqual(ESTIMATE_TOLERANCE_MS);
    }
  });
});
