import { describe, expect, it } from 'vitest';
import { decodeAcdr, type AcdrRecord } from '../../parsers/acdr.js';
import { extractDeviceFacts } from '../../parsers/device-facts.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeMsQoe } from '../../parsers/ms-qoe.js';
import { classifyModule } from '../../parsers/phone-module.js';
import { decodeRtcp, type RtcpCompound } from '../../parsers/rtcp.js';
import { decodeRtp } from '../../parsers/rtp.js';
import { decodeSip, sipBodyText, sipHeader } from '../../parsers/sip.js';
import { decodeSyslog } from '../../parsers/syslog.js';
import { decodeVqRtcpxr } from '../../parsers/vq-rtcpxr.js';
import { RtpStreamSet } from '../../server/analysis/rtp-stream.js';
import { SimulationEngine } from '../../server/simulator/engine.js';
import { eventLog } from '../../server/simulator/event-log.js';
import { planSimulation, recordingSession, type SimOptions } from '../../server/simulator/plan.js';
import type { Datagram } from '../../server/simulator/runtime.js';
import type { ScenarioName } from '../../server/simulator/scenarios.js';

const START_MS = Date.parse('2026-01-01T09:00:00Z');

function simulate(scenario: ScenarioName, extra: Partial<SimOptions> = {}) {
  const plan = planSimulation({ phones: 4, callsPerHour: 60, durationMs: 150_000, seed: 42, scenario, startMs: START_MS, loopback: true, ...extra });
  const engine = new SimulationEngine({ plan, collectorHost: '127.0.0.1', sipPortOf: () => 5060 });
  const out: Datagram[] = [];
  engine.pull(Infinity, out);
  return { plan, out, log: eventLog(plan, { host: '127.0.0.1', syslogPort: 514, recordingPort: 50000, sipPort: 5060 }, engine.counts, engine.observed) };
}

function acdrRecords(out: readonly Datagram[]): Array<{ d: Datagram; r: AcdrRecord }> {
  return out.filter((d) => d.port === 'recording').map((d) => {
    const r = decodeAcdr(d.bytes);
    if (isDecodeError(r)) throw new Error(r.message);
    return { d, r };
  });
}

describe('simulation plan', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = simulate('mixed');
    const b = simulate('mixed');
    const c = simulate('mixed', { seed: 43 });
    expect(JSON.stringify(a.log)).toBe(JSON.stringify(b.log));
    expect(Buffer.concat(a.out.map((d) => d.bytes)).equals(Buffer.concat(b.out.map((d) => d.bytes)))).toBe(true);
    expect(JSON.stringify(c.log.calls)).not.toBe(JSON.stringify(a.log.calls));
  });

  it('gives each phone an AudioCodes MAC, a 400HD model, UC_3 firmware and its own loopback address', () => {
    const plan = planSimulation({ phones: 300, callsPerHour: 60, durationMs: 150_000, seed: 42, scenario: 'clean', startMs: START_MS, loopback: true });
    expect(new Set(plan.phones.map((p) => p.mac)).size).toBe(300);
    expect(new Set(plan.phones.map((p) => p.addr)).size).toBe(300);
    for (const p of plan.phones) {
      expect(p.mac).toMatch(/^00:90:8f(:[0-9a-f]{2}){3}$/);
      expect(p.model).toMatch(/^4[0-5][05]HD$/);
      expect(p.firmware).toMatch(/^UC_3\.\d+\.\d+\.\d+$/);
      expect(p.addr).toMatch(/^127\.0\.\d+\.\d+$/);
      expect(p.boardId).toBe(parseInt(p.mac.slice(9).replace(/:/g, ''), 16));
    }
    expect(plan.phones.some((p) => p.sfb) && plan.phones.some((p) => !p.sfb)).toBe(true);
  });

  it('splits into shards that together send exactly what one process sends', () => {
    const whole = simulate('mixed', { phones: 6 });
    const shards = [0, 1, 2].map((index) => simulate('mixed', { phones: 6, shard: { index, count: 3 } }));
    expect(shards.flatMap((s) => s.log.calls.map((c) => c.index)).sort((a, b) => a - b)).toEqual(whole.log.calls.map((c) => c.index));
    for (const [k, shard] of shards.entries()) {
      const mine = whole.out.filter((d) => d.phone.index % 3 === k);
      expect(shard.out.length).toBe(mine.length);
      expect(Buffer.concat(shard.out.map((d) => d.bytes)).equals(Buffer.concat(mine.map((d) => d.bytes)))).toBe(true);
    }
  });

  it('emits datagrams in time order', () => {
    const { out } = simulate('mixed');
    for (let i = 1; i < out.length; i++) expect(out[i]!.atMs).toBeGreaterThanOrEqual(out[i - 1]!.atMs);
  });
});

describe('syslog', () => {
  const { out, plan } = simulate('bursty-loss');
  const syslog = out.filter((d) => d.port === 'syslog');
  const decoded = syslog.map((d) => ({ d, msgs: decodeSyslog(d.bytes, { referenceMs: START_MS }) }));

  it('decodes every datagram, numbering messages [S=n] 1, 2, 3… per phone', () => {
    const seqs = new Map<number, number[]>();
    for (const { d, msgs } of decoded) {
      if (isDecodeError(msgs)) throw new Error(msgs.message);
      for (const m of msgs) seqs.set(d.phone.index, [...(seqs.get(d.phone.index) ?? []), m.seq!]);
    }
    for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i + 1));
  });

  it('has the awkward shapes: no hostname, several messages in a datagram, a SIP message over many lines', () => {
    const msgs = decoded.flatMap(({ msgs }) => (isDecodeError(msgs) ? [] : msgs));
    expect(msgs.some((m) => m.hostname === null)).toBe(true);
    expect(msgs.some((m) => m.hostname !== null)).toBe(true);
    expect(decoded.some(({ msgs }) => !isDecodeError(msgs) && msgs.length > 1)).toBe(true);
    const invite = msgs.find((m) => m.message.includes('INVITE sip:') && m.message.split('\n').length > 10);
    expect(invite?.message).toContain('m=audio');
  });

  it('names model, firmware and MAC in the boot banner, and logs through SIP stack, MTF and DSP', () => {
    const msgs = decoded.flatMap(({ d, msgs }) => (isDecodeError(msgs) ? [] : msgs.map((m) => ({ d, m }))));
    for (const p of plan.phones) {
      const banner = msgs.find(({ d, m }) => d.phone === p && m.message.includes('booting'))!;
      expect(extractDeviceFacts(banner.m.message)).toEqual({ mac: p.mac, model: p.model, firmware: p.firmware });
    }
    const modules = new Set(msgs.map(({ m }) => classifyModule(m.app, m.message)));
    for (const module of ['sip_stack', 'sip_call_control', 'dsp', 'nxphone', 'control_center', 'kernel']) expect(modules).toContain(module);
  });

  it('logs a DSP warning in the second each loss burst starts', () => {
    const { log } = simulate('bursty-loss');
    const warnings = decoded.flatMap(({ d, msgs }) => (isDecodeError(msgs) ? [] : msgs.filter((m) => m.message.includes('packet loss concealment active')).map((m) => ({ d, m }))));
    const bursts = log.impairments.filter((i) => i.kind === 'loss-burst');
    expect(bursts.length).toBeGreaterThan(0);
    for (const b of bursts) {
      const call = log.calls[b.call]!;
      const w = warnings.find(({ d, m }) => d.phone.index === call.phone && Math.abs(m.timestampMs! - Date.parse(b.start)) < 1000);
      expect(w?.m.severity).toBe(4);
    }
  });
});

describe('debug recordings', () => {
  it('carry v7 ACDR with board:reset:session, an ACDR sequence per phone, and RTP both ways', () => {
    const { out, plan } = simulate('clean');
    const recs = acdrRecords(out);
    const lastSeq = new Map<number, number>();
    for (const { d, r } of recs) {
      expect(r.version).toBe(7);
      expect(r.warning).toBeNull();
      const prev = lastSeq.get(d.phone.index);
      if (prev !== undefined) expect(r.sequence).toBe((prev + 1) & 0xffff);
      lastSeq.set(d.phone.index, r.sequence!);
    }
    for (const call of plan.calls) {
      const mine = recs.filter(({ r }) => r.session?.fullSessionId === recordingSession(call));
      expect(new Set(mine.filter(({ r }) => r.mediaType === 1).map(({ r }) => r.tracePoint))).toEqual(new Set([0, 1]));
      const rtp = decodeRtp(mine.find(({ r }) => r.mediaType === 1)!.r.payload);
      if (isDecodeError(rtp)) throw new Error(rtp.message);
      expect(rtp.payload.length).toBe(160);
    }
  });

  it('lose exactly the planned burst in the received RTP, in that call, at that time', () => {
    const { out, log } = simulate('bursty-loss');
    const streams = new RtpStreamSet();
    const times = new Map<string, number[]>();
    for (const { d, r } of acdrRecords(out)) {
      if (r.mediaType !== 1 || r.tracePoint !== 0) continue;
      const p = decodeRtp(r.payload);
      if (isDecodeError(p)) throw new Error(p.message);
      const flow = r.session!.fullSessionId;
      streams.add(flow, { arrivalMs: START_MS + d.atMs, seq: p.sequence, rtpTimestamp: p.timestamp, ssrc: p.ssrc, payloadType: p.payloadType, marker: p.marker, payloadBytes: p.payload.length });
      times.set(`${flow}/${p.sequence}`, [...(times.get(`${flow}/${p.sequence}`) ?? []), START_MS + d.atMs]);
    }
    const results = streams.results();
    for (const call of log.calls) {
      const bursts = log.impairments.filter((i) => i.call === call.index && i.kind === 'loss-burst');
      const rx = results.find((s) => s.flow === call.recordingSession)!;
      expect(rx.result.stats.lost).toBe(call.rxExpected - call.rxReceived);
      for (const b of bursts) {
        // The packets either side of the gap arrived around the burst's start and end.
        const before = times.get(`${call.recordingSession}/${(b.firstSeq! - 1) & 0xffff}`)![0]!;
        const after = times.get(`${call.recordingSession}/${(b.lastSeq! + 1) & 0xffff}`)![0]!;
        expect(Math.abs(before - Date.parse(b.start))).toBeLessThan(60);
        expect(Math.abs(after - Date.parse(b.end))).toBeLessThan(60);
        expect(b.lostPackets).toBe(((b.lastSeq! - b.firstSeq! + 0x10000) & 0xffff) + 1);
      }
    }
  });

  it('report the burst in the RTCP of that 5 s interval: RR fraction lost and cumulative XR loss rate', () => {
    const { out, log } = simulate('bursty-loss');
    const burst = log.impairments.find((i) => i.kind === 'loss-burst')!;
    const call = log.calls[burst.call]!;
    const phoneRtcp = acdrRecords(out)
      .filter(({ r }) => r.mediaType === 2 && r.tracePoint === 1 && r.session?.fullSessionId === call.recordingSession)
      .map(({ d, r }) => ({ t: START_MS + d.atMs, c: decodeRtcp(r.payload) as RtcpCompound }));
    type Packet = RtcpCompound['packets'][number];
    const sr = (c: RtcpCompound) => c.packets.find((p): p is Extract<Packet, { type: 'sr' }> => p.type === 'sr')!;
    const xr = (c: RtcpCompound) => c.packets.find((p): p is Extract<Packet, { type: 'xr' }> => p.type === 'xr')?.blocks.find((b) => b.kind === 'voip-metrics');
    const firstAfter = phoneRtcp.find(({ t }) => t > Date.parse(burst.end) + 100)!;
    const lastBefore = phoneRtcp.filter(({ t }) => t < Date.parse(burst.start)).at(-1)!;
    expect(sr(firstAfter.c).reports[0]!.fractionLost).toBeGreaterThan(0);
    expect(sr(firstAfter.c).reports[0]!.cumulativeLost).toBeGreaterThanOrEqual(burst.lostPackets!);
    expect((xr(firstAfter.c) as { lossRate: number }).lossRate).toBeGreaterThan((xr(lastBefore.c) as { lossRate: number }).lossRate);
  });

  it('hold only the phone\'s own stream in a one-way call', () => {
    const { out, log } = simulate('one-way');
    const recs = acdrRecords(out);
    for (const call of log.calls) {
      const mine = recs.filter(({ r }) => r.session?.fullSessionId === call.recordingSession);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every(({ r }) => r.tracePoint === 1)).toBe(true);
    }
  });
});

describe('quality reports', () => {
  it('PUBLISH vq-rtcpxr (generic firmware) and SERVICE MS-QoE (SfB firmware) with the loss the recording shows', () => {
    const { out, log, plan } = simulate('bursty-loss', { phones: 12 });
    const sip = out.filter((d) => d.port === 'sip');
    expect(sip.length).toBe(log.counts['sip-publish'] + log.counts['sip-service']);
    let publishes = 0;
    let services = 0;
    for (const d of sip) {
      const msg = decodeSip(d.bytes);
      if (isDecodeError(msg) || msg.kind !== 'request') throw new Error('not a SIP request');
      const body = sipBodyText(msg);
      if (msg.method === 'PUBLISH') {
        publishes++;
        expect(d.phone.sfb).toBe(false);
        expect(sipHeader(msg, 'Event')).toBe('vq-rtcpxr');
        const vq = decodeVqRtcpxr(body);
        if (isDecodeError(vq)) throw new Error(vq.message);
        const call = log.calls.find((c) => c.sipCallId === vq.callId)!;
        expect(vq.localMac).toBe(plan.phones[call.phone]!.mac);
        expect(vq.localAddr?.ssrc).toBe(call.ssrcTx);
        const lossPct = (100 * (call.rxExpected - call.rxReceived)) / call.rxExpected;
        expect(vq.localMetrics?.packetLoss?.networkLossPct).toBeCloseTo(lossPct, 1);
      } else {
        services++;
        expect(msg.method).toBe('SERVICE');
        expect(d.phone.sfb).toBe(true);
        const qoe = decodeMsQoe(body);
        if (isDecodeError(qoe)) throw new Error(qoe.message);
        expect(log.calls.some((c) => c.sipCallId === qoe.sessions[0]?.dialog.callId)).toBe(true);
      }
    }
    const bySfb = log.calls.filter((c) => plan.phones[c.phone]!.sfb).length;
    expect(services).toBe(bySfb);
    expect(publishes).toBe(log.calls.length - bySfb);
    expect(services).toBeGreaterThan(0);
    expect(publishes).toBeGreaterThan(0);
  });
});
