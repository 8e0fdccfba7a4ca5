/**
 * The collector as a phone's quality-report destination, over real loopback sockets: a phone sends
 * PUBLISH (vq-rtcpxr) and SERVICE (MS-QoE) over UDP and TCP, reads the answers with our SIP parser,
 * then finds the call, its samples and its verdict through the API and on socket.io.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeSip, sipHeader, type SipResponse } from '../../parsers/sip.js';
import { SipStreamFramer } from '../../parsers/sip-stream.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { testConfig } from '../support/test-config.js';
import { buildOptions, buildQoeService, buildSipRequest, buildVqPublish, type VqReportOptions } from '../../server/simulator/wire/sip.js';
import { freePorts } from '../../bench/free-ports.js';
import { waitFor } from '../support/senders.js';

const T0 = Date.UTC(2026, 10, 26, 9, 30, 0);
const PHONE = { ip: '127.0.0.1', port: 5062 };
const NO_ANSWER_WAIT_MS = 400;

let collector: RunningCollector;
let base: string;
let sipPort: number;

interface CallJson { id: number; sipCallId: string; deviceId: number; verdict: string; verdictReason: string | null; worstMos: number | null; sources: string[]; segments: unknown[]; localId: string }
interface Health { counters: Record<string, { received: number; parsed: number; malformed: number; stored: number }>; recentMalformed: Array<{ source: string; reason: string }> }

async function api<T>(p: string): Promise<T> {
  const res = await fetch(base + p);
  return (await res.json()) as T;
}

beforeAll(async () => {
  const p = await freePorts(2, 0);
  const config = testConfig({ webPort: p.tcp[0]!, sipPort: p.tcp[1]! });
  // The phone's clock agrees with the collector's: its reports (STOP times T0 + 60 s … T0 + 180 s) arrive
  // around T0 + 2 min. A phone hours off would have its reports moved onto the receive clock
  // (server/calls/clock-skew.ts), and the times asserted here would be the receive clock's.
  const startedAt = Date.now();
  collector = await startCollector(config, () => T0 + 120_000 + (Date.now() - startedAt));
  base = `http://127.0.0.1:${p.tcp[0]}`;
  sipPort = p.tcp[1]!;
  expect(collector.listeners.filter((l) => l.name.startsWith('sip-')).map((l) => [l.name, l.state])).toEqual([['sip-udp', 'listening'], ['sip-tcp', 'listening']]);
});

afterAll(async () => {
  await collector?.stop();
});

/** Sends one datagram from a fresh socket and returns the first datagram back, or null after a wait. */
function udpExchange(message: string, waitMs = 3000): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(null); }, waitMs);
    s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m.toString('utf8')); });
    s.on('error', reject);
    s.send(message, sipPort, '127.0.0.1');
  });
}

/** Writes chunks on one TCP connection and collects `count` framed answers. */
function tcpExchange(chunks: readonly (string | Buffer)[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const framer = new SipStreamFramer();
    const answers: string[] = [];
    const s = net.connect(sipPort, '127.0.0.1', async () => {
      for (const c of chunks) {
        s.write(c);
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    s.on('data', (d) => {
      for (const e of framer.push(d).events) if (e.kind === 'message') answers.push(e.bytes.toString('utf8'));
      if (answers.length >= count) { s.end(); resolve(answers); }
    });
    s.on('error', reject);
    setTimeout(() => { s.destroy(); reject(new Error(`only ${answers.length} of ${count} answers`)); }, 5000);
  });
}

function response(text: string | null): SipResponse {
  expect(text).not.toBeNull();
  const msg = decodeSip(text!);
  if (isDecodeError(msg)) throw new Error(msg.message);
  if (msg.kind !== 'response') throw new Error('expected a response');
  return msg;
}

function vq(callId: string, over: Partial<VqReportOptions> = {}): VqReportOptions {
  return {
    style: 'audiocodes',
    callId,
    localId: '<sip:1000@pbx.example>',
    remoteId: '<sip:2000@pbx.example>',
    localAddr: { ip: '10.0.0.5', port: 6000, ssrc: 0x54c62a13 },
    remoteAddr: { ip: '10.0.0.9', port: 6002, ssrc: 0x243220dd },
    localMac: '00:90:8f:57:d9:71',
    startMs: T0,
    stopMs: T0 + 90_000,
    remote: { mosLq: 4.0 },
    ...over,
  };
}

async function callBySipId(sipCallId: string): Promise<CallJson> {
  const page = await waitFor(() => api<{ calls: CallJson[] }>(`/api/calls?q=${encodeURIComponent(sipCallId)}`), (p) => p.calls.length > 0);
  return page.calls[0]!;
}

async function health(): Promise<Health> {
  return api<Health>('/api/health');
}

describe('SIP quality reports', () => {
  it('answers a UDP PUBLISH with 200 OK per RFC 3261/3903 and stores the call with samples and verdict', async () => {
    const publish = buildVqPublish({ report: vq('audc-1@10.0.0.5', { local: { lossPct: 12, mosLq: 3.2 } }), collector: '127.0.0.1', source: PHONE, publishCallId: 'pub-1@10.0.0.5' });
    const req = decodeSip(publish);
    if (isDecodeError(req) || req.kind !== 'request') throw new Error('bad fixture');
    const res = response(await udpExchange(publish));
    expect(res.status).toBe(200);
    expect(res.reason).toBe('OK');
    expect(res.callId).toBe('pub-1@10.0.0.5');
    expect(res.cseq).toEqual({ seq: 1, method: 'PUBLISH' });
    expect(res.from?.tag).toBe(req.from?.tag);
    expect(res.to?.tag).toMatch(/^[0-9a-f]{8,}$/);
    expect(res.via[0]?.branch).toBe(req.via[0]?.branch);
    expect(res.via[0]?.rport).toBeGreaterThan(0);
    expect(sipHeader(res, 'SIP-ETag')).toMatch(/^[0-9a-f]{20}$/);
    expect(sipHeader(res, 'Expires')).toBe('3600');

    // The call is the reported one (CallID in the body), not the PUBLISH's own dialog.
    const call = await callBySipId('audc-1@10.0.0.5');
    expect(call).toMatchObject({ sipCallId: 'audc-1@10.0.0.5', localId: '<sip:1000@pbx.example>', verdict: 'poor', sources: ['vq-session'] });
    expect(call.verdictReason).toBe('loss 12 % > 10 % (vq-session, rx, 09:30:00)');
    expect((await api<{ calls: unknown[] }>('/api/calls?q=pub-1')).calls).toHaveLength(0);
    const detail = await api<{ streams: Array<{ direction: string; ssrcHex: string; verdict: string }>; device: { mac: string } }>(`/api/calls/${call.id}`);
    expect(detail.streams.map((s) => [s.direction, s.ssrcHex, s.verdict])).toEqual([['rx', '0x243220dd', 'poor'], ['tx', '0x54c62a13', 'good']]);
    expect(detail.device.mac).toBe('00:90:8f:57:d9:71');
    const timeline = await api<{ series: Array<{ direction: string; source: string; metric: string; unit: string; points: number[][] }> }>(`/api/calls/${call.id}/timeline`);
    expect(timeline.series.find((s) => s.direction === 'rx' && s.metric === 'lossPct')).toMatchObject({ source: 'vq-session', unit: '%', points: [[T0, T0 + 90_000, 12]] });
  });

  it('adds a hold segment when a second report of the same call comes, and answers a retransmission alike without storing twice', async () => {
    const second = buildVqPublish({ report: vq('audc-1@10.0.0.5', { startMs: T0 + 120_000, stopMs: T0 + 180_000 }), collector: '127.0.0.1', source: PHONE, publishCallId: 'pub-2@10.0.0.5' });
    const a = await udpExchange(second);
    const b = await udpExchange(second);
    expect(a).toBe(b);
    const call = await waitFor(() => callBySipId('audc-1@10.0.0.5'), (c) => c.segments.length === 2);
    const tl = await api<{ series: Array<{ metric: string; direction: string; points: unknown[] }> }>(`/api/calls/${call.id}/timeline`);
    expect(tl.series.find((s) => s.metric === 'mosLq' && s.direction === 'rx')?.points).toHaveLength(2);
  });

  it('answers a SERVICE with QoE XML over TCP, split across segments, and stores both directions', async () => {
    const service = buildQoeService({
      report: {
        version: 4, callId: 'qoe-1@10.0.0.10', fromTag: 'f1', toTag: 't1', startMs: T0, endMs: T0 + 60_000, caller: true,
        fromUri: 'sip:alice@contoso.com', toUri: 'sip:bob@contoso.com', localUserAgent: 'AUDC-IPPhone/3.4.6 (445HD)', remoteUserAgent: 'UCCAPI/16',
        endpointName: '445HD-D971', localAddr: { ip: '10.0.0.10', port: 40000 }, remoteAddr: { ip: '10.0.0.20', port: 40002 },
        inbound: { jitterMs: 12, lossRate: 0.01, recvListenMos: 3.9, degradationAvg: 1.4, concealedRatioAvg: 0.02 },
        outbound: { roundTripMs: 180, sendListenMos: 4.1 },
      },
      requestUri: 'sip:pool@contoso.com;gruu;opaque=app:qoe', source: PHONE, serviceCallId: 'svc-1', transport: 'TCP',
    });
    const bytes = Buffer.from(service);
    const answers = await tcpExchange([bytes.subarray(0, 100), bytes.subarray(100, 1500), bytes.subarray(1500)], 1);
    const res = response(answers[0]!);
    expect([res.status, res.cseq?.method, res.callId]).toEqual([200, 'SERVICE', 'svc-1']);
    expect(sipHeader(res, 'SIP-ETag')).toBeUndefined();
    const call = await callBySipId('qoe-1@10.0.0.10');
    expect(call).toMatchObject({ sources: ['ms-qoe'], verdict: 'poor', verdictReason: 'degradation 1.4 MOS > 1 MOS (ms-qoe, rx, 09:30:00)', localId: 'sip:alice@contoso.com' });
    const detail = await api<{ streams: Array<{ direction: string }> }>(`/api/calls/${call.id}`);
    expect(detail.streams.map((s) => s.direction)).toEqual(['rx', 'tx']);
  });

  it('answers two PUBLISHes in one TCP segment, in order', async () => {
    const one = buildVqPublish({ report: vq('tcp-a@x'), collector: '127.0.0.1', source: PHONE, publishCallId: 'pa', compact: true });
    const two = buildVqPublish({ report: vq('tcp-b@x'), collector: '127.0.0.1', source: PHONE, publishCallId: 'pb', fold: true });
    const answers = (await tcpExchange([one + two], 2)).map(response);
    expect(answers.map((r) => [r.status, r.callId])).toEqual([[200, 'pa'], [200, 'pb']]);
    await callBySipId('tcp-b@x');
  });

  it('refuses a broken vq body with a 400 that says what is wrong, and counts it', async () => {
    const before = (await health()).counters['sip-udp']?.malformed ?? 0;
    const bad = buildSipRequest({
      method: 'PUBLISH', requestUri: 'sip:127.0.0.1', from: '<sip:10.0.0.5>', fromTag: 'x', to: '<sip:127.0.0.1>', callId: 'bad-1', cseq: 1, source: PHONE,
      headers: [['Event', 'vq-rtcpxr']], contentType: 'application/vq-rtcpxr', body: 'Hello, I am not a report\r\n',
    });
    const res = response(await udpExchange(bad));
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/^Bad vq-rtcpxr body: line 1 is not a VQSessionReport\/VQIntervalReport\/VQAlertReport line/);
    const badXml = buildSipRequest({
      method: 'SERVICE', requestUri: 'sip:127.0.0.1', from: '<sip:a@b>', fromTag: 'x', to: '<sip:a@b>', callId: 'bad-2', cseq: 1, source: PHONE,
      contentType: 'application/vq-rtcpxr+xml', body: '<!DOCTYPE x [<!ENTITY a "aaaa">]><VQReportEvent>&a;</VQReportEvent>',
    });
    const res2 = response(await udpExchange(badXml));
    expect(res2.status).toBe(400);
    expect(res2.reason).toMatch(/^Bad QoE XML: .*DOCTYPE/i);
    const wrongType = buildSipRequest({
      method: 'PUBLISH', requestUri: 'sip:127.0.0.1', from: '<sip:a@b>', fromTag: 'x', to: '<sip:a@b>', callId: 'bad-3', cseq: 1, source: PHONE,
      headers: [['Event', 'vq-rtcpxr']], contentType: 'text/plain', body: 'x',
    });
    const res3 = response(await udpExchange(wrongType));
    expect([res3.status, sipHeader(res3, 'Accept')]).toEqual([415, 'application/vq-rtcpxr']);
    const wrongEvent = buildSipRequest({
      method: 'PUBLISH', requestUri: 'sip:127.0.0.1', from: '<sip:a@b>', fromTag: 'x', to: '<sip:a@b>', callId: 'bad-4', cseq: 1, source: PHONE,
      headers: [['Event', 'presence']], contentType: 'application/pidf+xml', body: '<x/>',
    });
    expect(response(await udpExchange(wrongEvent)).status).toBe(489);
    const h = await health();
    expect(h.counters['sip-udp']?.malformed).toBe(before + 4);
    expect(h.recentMalformed.some((m) => m.source === 'sip-udp' && /Bad vq-rtcpxr body/.test(m.reason))).toBe(true);
  });

  it('answers OPTIONS with 200 and Allow, INVITE with 405 and Allow, an unknown method with 501', async () => {
    const options = response(await udpExchange(buildOptions({ source: PHONE, target: '127.0.0.1', callId: 'opt-1' })));
    expect(options.status).toBe(200);
    expect(sipHeader(options, 'Allow')).toContain('PUBLISH');
    const invite = buildSipRequest({ method: 'INVITE', requestUri: 'sip:127.0.0.1', from: '<sip:a@b>', fromTag: 'x', to: '<sip:c@d>', callId: 'inv-1', cseq: 1, source: PHONE });
    const r405 = response(await udpExchange(invite));
    expect([r405.status, sipHeader(r405, 'Allow')]).toEqual([405, 'OPTIONS, PUBLISH, NOTIFY, SERVICE']);
    const odd = buildSipRequest({ method: 'FROBNICATE', requestUri: 'sip:127.0.0.1', from: '<sip:a@b>', fromTag: 'x', to: '<sip:c@d>', callId: 'odd-1', cseq: 1, source: PHONE });
    expect(response(await udpExchange(odd)).status).toBe(501);
  });

  it('never answers a response or an ACK', async () => {
    const stray = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r1\r\nCSeq: 1 PUBLISH\r\nContent-Length: 0\r\n\r\n';
    expect(await udpExchange(stray, NO_ANSWER_WAIT_MS)).toBeNull();
    const ack = buildSipRequest({ method: 'ACK', requestUri: 'sip:127.0.0.1', from: '<sip:a@b>', fromTag: 'x', to: '<sip:c@d>', toTag: 'y', callId: 'ack-1', cseq: 1, source: PHONE });
    expect(await udpExchange(ack, NO_ANSWER_WAIT_MS)).toBeNull();
  });

  it('pushes new calls and their samples to socket.io subscribers', async () => {
    const socket = ioClient(base, { transports: ['websocket'], forceNew: true });
    const updates: Array<{ sipCallId: string; verdict: string }> = [];
    const samples: Array<{ callId: number; samples: unknown[] }> = [];
    socket.on('calls:update', (m: { calls: Array<{ sipCallId: string; verdict: string }> }) => updates.push(...m.calls));
    socket.on('calls:samples', (m: { callId: number; samples: unknown[] }) => samples.push(m));
    await new Promise<void>((r) => socket.on('connect', () => r()));
    await socket.emitWithAck('calls:subscribe', {});
    await udpExchange(buildVqPublish({ report: vq('live-1@x'), collector: '127.0.0.1', source: PHONE, publishCallId: 'live-pub' }));
    await waitFor(async () => updates, (u) => u.some((c) => c.sipCallId === 'live-1@x'));
    expect(updates.find((c) => c.sipCallId === 'live-1@x')?.verdict).toBe('good');
    await waitFor(async () => samples, (s) => s.some((m) => m.samples.length === 2));
    socket.close();
  });

  it('lists calls with filters, sorting and paging, and refuses bad parameters', async () => {
    const all = await api<{ total: number; calls: CallJson[] }>('/api/calls?sort=worstMos&order=asc&limit=2');
    expect(all.total).toBeGreaterThanOrEqual(5);
    expect(all.calls).toHaveLength(2);
    expect((await api<{ calls: CallJson[] }>('/api/calls?verdict=poor')).calls.every((c) => c.verdict === 'poor')).toBe(true);
    expect((await api<{ total: number }>('/api/calls?device=00:90:8f:57:d9:71')).total).toBeGreaterThanOrEqual(4);
    expect((await api<{ total: number }>('/api/calls?from=2030-01-01T00:00:00Z')).total).toBe(0);
    const bad = await fetch(`${base}/api/calls?sort=nonsense`);
    expect(bad.status).toBe(400);
    expect((await bad.json() as { error: string }).error).toMatch(/sort: unknown value/);
    expect((await fetch(`${base}/api/calls/999999`)).status).toBe(404);
  });
});
