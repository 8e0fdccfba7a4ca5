/**
 * The collector fed by the simulator over loopback, in process: every planned impairment is found
 * through the API in the call it was planned for, at the time it was planned, by every source that
 * should see it (recording, RTCP XR, reports, syslog).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/test-config.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import type { EventLog } from '../../server/simulator/event-log.js';
import { simulateLive } from '../../server/simulator/run.js';
import { freePorts } from '../../bench/free-ports.js';
import { waitFor } from '../support/senders.js';

interface RecordedStream { direction: string; ssrc: number; packets: number; lost: number; maxJitterMs: number }
interface RecordedCall { id: number; sessionId: string; active: boolean; start: string; streams?: RecordedStream[] }
interface Call { id: number; sipCallId: string | null; recordingSession: string | null; sources: string[]; verdict: string; verdictReason: string | null; maxLossPct: number | null }
interface Series { streamId: number | null; direction: string | null; source: string; metric: string; points: Array<[number, number, number]> }

const SPEED = 5;
let collector: RunningCollector;
let base: string;
let log: EventLog;

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
  const result = await simulateLive({
    target: '127.0.0.1', phones: 8, callsPerHour: 120, durationMs: 75_000, seed: 21, scenario: 'mixed',
    startMs: Date.now(), ports: { syslog: config.syslogPort, recording: config.recordingPort, sip: config.sipPort },
  }, { speed: SPEED });
  expect(result.notes).toEqual([]);
  log = result.log;
  // Every recorded call has ended (BYE) and every report is in.
  await waitFor(() => api<{ calls: RecordedCall[] }>('/api/recordings/calls?limit=500'), (r) => r.calls.length === log.calls.length && r.calls.every((c) => !c.active), 15_000);
}, 60_000);

afterAll(async () => {
  await collector?.stop();
});

async function recorded(session: string): Promise<RecordedCall> {
  const list = await api<{ calls: RecordedCall[] }>('/api/recordings/calls?limit=500');
  const call = list.calls.find((c) => c.sessionId === session);
  if (!call) throw new Error(`no recorded call ${session}`);
  return api<RecordedCall>(`/api/recordings/calls/${call.id}`);
}

async function correlated(sipCallId: string): Promise<Call> {
  const list = await api<{ calls: Call[] }>(`/api/calls?limit=500`);
  const call = list.calls.find((c) => c.sipCallId === sipCallId);
  if (!call) throw new Error(`no call ${sipCallId}`);
  return call;
}

describe('collector fed by the simulator', () => {
  it('knows every phone by MAC, model and firmware', async () => {
    const { devices } = await api<{ devices: Array<{ address: string; mac: string | null; model: string | null; firmware: string | null }> }>('/api/devices');
    for (const p of log.phones) {
      expect(devices).toContainEqual(expect.objectContaining({ address: p.addr, mac: p.mac, model: p.model, firmware: p.firmware }));
    }
  });

  it('records every call with both streams, and the received one lost exactly what the simulator dropped', async () => {
    for (const call of log.calls) {
      const rec = await recorded(call.recordingSession);
      const rx = rec.streams!.find((s) => s.ssrc === call.ssrcRx);
      const tx = rec.streams!.find((s) => s.ssrc === call.ssrcTx)!;
      expect(tx.direction).toBe('tx');
      expect(tx.lost).toBe(0);
      if (call.rxReceived === 0) {
        expect(rx).toBeUndefined();
      } else {
        expect(rx!.direction).toBe('rx');
        expect(rx!.lost).toBe(call.rxExpected - call.rxReceived);
      }
    }
  });

  it('has the one-way call with one stream only', async () => {
    const oneWay = log.impairments.filter((i) => i.kind === 'one-way');
    expect(oneWay.length).toBeGreaterThan(0);
    for (const i of oneWay) expect((await recorded(i.recordingSession)).streams!.map((s) => s.direction)).toEqual(['tx']);
  });

  it('marks the call with the big loss burst poor, by recording and by report', async () => {
    const burst = log.impairments.find((i) => i.call === 0 && i.kind === 'loss-burst')!;
    const call = await correlated(burst.sipCallId);
    expect(call.recordingSession).toBe(burst.recordingSession);
    expect(call.verdict).toBe('poor');
    expect(call.verdictReason).toMatch(/loss/);
    expect(call.sources).toEqual(expect.arrayContaining(['computed-rtp']));
    expect(call.sources.some((s) => s === 'vq-session' || s === 'ms-qoe')).toBe(true);
  });

  it('shows each loss burst in the call\'s timeline in the interval it happened, and not before', async () => {
    const bursts = log.impairments.filter((i) => i.kind === 'loss-burst');
    expect(bursts.length).toBeGreaterThan(0);
    for (const b of bursts) {
      const call = await correlated(b.sipCallId);
      const { series } = await api<{ series: Series[] }>(`/api/calls/${call.id}/timeline`);
      const loss = series.find((s) => s.source === 'computed-rtp' && s.direction === 'rx' && s.metric === 'lossPct')!;
      // Recording times are the phone's clock anchored at the first datagram's arrival; played at
      // SPEED× that anchor is not the virtual one, so place the burst relative to the call's start.
      const callStart = Date.parse((await recorded(b.recordingSession)).start);
      const answerMs = log.calls[b.call]!.answerMs;
      const start = callStart + b.startMs - answerMs;
      const end = callStart + b.endMs - answerMs;
      const during = loss.points.filter(([s, e]) => e > start && s < end);
      expect(Math.max(...during.map(([, , v]) => v))).toBeGreaterThan(5);
      // The phone's RTCP XR loss rate is cumulative (RFC 3611), so only a call's first burst must raise it.
      if (bursts.find((x) => x.call === b.call) === b) {
        const xr = series.find((s) => s.source === 'rtcp-xr' && s.metric === 'lossPct')!;
        const xrBefore = xr.points.filter(([, e]) => e <= start).at(-1)?.[2] ?? 0;
        const xrAfter = xr.points.find(([, e]) => e >= end)![2];
        expect(xrAfter).toBeGreaterThan(xrBefore);
      }
      const before = loss.points.filter(([, e]) => e <= start - 1000);
      if (log.impairments.some((i) => i.call === b.call && i.kind === 'random-loss')) continue;
      for (const [, , v] of before) expect(v).toBe(0);
    }
  });

  it('logs the DSP warning of each loss burst from that phone at that second', async () => {
    const bursts = log.impairments.filter((i) => i.kind === 'loss-burst');
    for (const b of bursts) {
      const phone = log.phones[log.calls[b.call]!.phone]!;
      const { logs } = await api<{ logs: Array<{ deviceTs: string | null; message: string; module: string; severityName: string }> }>(
        `/api/logs?device=${phone.addr}&q=${encodeURIComponent('"packet loss concealment active"')}`,
      );
      expect(logs.some((l) => l.module === 'dsp' && l.severityName === 'warning' && Math.abs(Date.parse(l.deviceTs!) - Date.parse(b.start)) < 1500)).toBe(true);
    }
  });
});
