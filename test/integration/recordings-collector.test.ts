/**
 * Debug recordings end to end, in process over real loopback sockets: a simulated call streamed to
 * the recording port shows up as a call with two streams and the stats the offline analysis gives
 * for the same feed; bad datagrams are counted as malformed and the listener keeps going; captures
 * and audio download with the right headers; live updates arrive over socket.io.
 */
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/test-config.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { analyzeCapture } from '../../server/pipeline/recordings/analyze-capture.js';
import { buildAcdr } from '../../server/simulator/wire/acdr.js';
import { recordedCallRecords, recordingFeed, type RecordingDatagram } from '../fixtures/gen-recording.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendUdp, waitFor } from '../support/senders.js';

interface StreamJson { id: number; direction: string; ssrc: number; packets: number; lost: number; duplicates: number; maxDeltaMs: number; maxJitterMs: number; meanJitterMs: number; audio: boolean; codec: string }
interface CallJson { id: number; sessionId: string; active: boolean; endReason: string | null; streamCount?: number; streams?: StreamJson[]; recordingGaps: number; start: string; undecodableCodecs: string[] }

let collector: RunningCollector;
let base: string;
let recordingPort: number;

async function api<T>(p: string): Promise<T> {
  return (await fetch(base + p)).json() as Promise<T>;
}

const counters = async () => (await api<{ counters: Record<string, { received: number; parsed: number; malformed: number; stored: number }> }>('/api/health')).counters['recordings'];

async function callsBySession(session: string): Promise<CallJson[]> {
  const r = await api<{ calls: CallJson[] }>('/api/recordings/calls');
  return r.calls.filter((c) => c.sessionId === session);
}

const ended = (session: string) => waitFor(() => callsBySession(session), (c) => c.length === 1 && !c[0]!.active, 10_000);

beforeAll(async () => {
  const p = await freePorts(1, 1);
  recordingPort = p.udp[0]!;
  const config = testConfig({ webPort: p.tcp[0]!, recordingPort, recordingCallTimeoutS: 2 });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${config.webPort}`;
});

afterAll(async () => {
  await collector?.stop();
});

const send = (feed: readonly RecordingDatagram[]) => sendUdp(recordingPort, feed.map((d) => d.bytes));

describe('debug recordings over loopback', () => {
  const feed = recordingFeed(recordedCallRecords({ seed: 21, sessionId: 77, packetCount: 400, rx: { lossRate: 0.02, duplicateAt: [30], reorderAt: [100], jitterMs: 6 } }));

  it('listens on the recording port', async () => {
    const h = await api<{ listeners: Array<{ name: string; state: string; port: number }> }>('/api/health');
    expect(h.listeners).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'recordings', state: 'listening', port: recordingPort })]));
  });

  it('shows a streamed call with two streams and the stats of the offline analysis, pushing live updates meanwhile', async () => {
    const socket = ioClient(base, { transports: ['websocket'], forceNew: true });
    const updates: CallJson[][] = [];
    socket.on('recordings:update', (u: { calls: CallJson[] }) => updates.push(u.calls));
    await new Promise<void>((r) => socket.on('connect', () => r()));
    await send(feed);
    const [call] = await ended('abcdef:3:77');
    socket.close();
    expect(call!.endReason).toBe('bye');
    expect(call!.streamCount).toBe(2);
    expect(updates.length).toBeGreaterThan(0);

    const detail = await api<CallJson>(`/api/recordings/calls/${call!.id}`);
    const offline = await analyzeCapture([feed.map((d) => ({ timeMs: d.timeMs, src: '127.0.0.1', srcPort: 1, dst: '127.0.0.1', dstPort: 50000, payload: d.bytes }))], { port: 50000, inactivityMs: 30_000 });
    const expected = offline.calls[0]!.streams;
    expect(detail.streams).toHaveLength(2);
    for (const s of detail.streams!) {
      const e = expected.find((x) => x.ssrc === s.ssrc)!;
      expect([s.packets, s.lost, s.duplicates]).toEqual([e.packets, e.lost, e.duplicates]);
      expect(s.maxDeltaMs).toBeCloseTo(e.maxDeltaMs, 3);
      expect(s.maxJitterMs).toBeCloseTo(e.maxJitterMs, 3);
      expect(s.meanJitterMs).toBeCloseTo(e.meanJitterMs, 3);
    }
    expect(detail.streams!.find((s) => s.direction === 'rx')!.duplicates).toBe(1);
    expect(detail.recordingGaps).toBe(0);
    expect(Date.parse(detail.start)).toBeGreaterThan(0);

    const series = await api<{ streams: Array<{ perSecond: unknown[]; perFiveSeconds: Array<{ mos?: number }> }>; samples: Array<{ source: string }> }>(`/api/recordings/calls/${call!.id}/series`);
    expect(series.streams[0]!.perSecond.length).toBeGreaterThanOrEqual(8);
    expect(series.streams[0]!.perFiveSeconds[0]!.mos).toBeGreaterThan(1);
    expect(new Set(series.samples.map((s) => s.source))).toEqual(new Set(['rtcp', 'rtcp-xr']));
    const c = await counters();
    expect(c!.stored).toBe(feed.length);

    // The shared call model got the recorded call, with computed and reported samples.
    const shared = await waitFor(() => collector.store.calls.listCalls({ limit: 50 }), (p) => p.calls.some((x) => x.recordingSession === 'abcdef:3:77'));
    const sharedCall = shared.calls.find((x) => x.recordingSession === 'abcdef:3:77')!;
    expect(sharedCall.sources).toEqual(expect.arrayContaining(['computed-rtp', 'rtcp', 'rtcp-xr']));
    expect(sharedCall.active).toBe(false);
    // Announced while in progress and completed at the end: one call, not two.
    expect(shared.calls.filter((x) => x.recordingSession === 'abcdef:3:77')).toHaveLength(1);
  });

  it('counts garbage, truncated headers and unknown versions as malformed and keeps listening', async () => {
    const before = (await counters())!;
    const bad = [new Uint8Array(30).fill(0xee), Uint8Array.of(0x09, 0, 0, 1), buildAcdr({ version: 0x1f, tracePoint: 0, mediaType: 1 }, Uint8Array.of(1, 2, 3, 4)), Uint8Array.of(0x07)];
    const next = recordingFeed(recordedCallRecords({ seed: 22, sessionId: 78, packetCount: 60, rtcpEveryMs: 0 }), { firstSequence: 5000 });
    await sendUdp(recordingPort, bad);
    await send(next);
    const [call] = await ended('abcdef:3:78');
    const after = (await counters())!;
    expect(after.malformed - before.malformed).toBe(bad.length);
    expect(after.received - before.received).toBe(bad.length + next.length);
    expect(call!.streamCount).toBe(2);
  });

  it('downloads the call as original and plain pcap, and its G.711 audio as WAV', async () => {
    const [call] = await callsBySession('abcdef:3:77');
    const original = await fetch(`${base}/api/recordings/calls/${call!.id}/pcap?form=original`);
    expect(original.headers.get('content-type')).toBe('application/vnd.tcpdump.pcap');
    expect(original.headers.get('content-disposition')).toMatch(/^attachment; filename="?recording-\d+-original\.pcap"?$/);
    const pcap = Buffer.from(await original.arrayBuffer());
    expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
    const plain = await fetch(`${base}/api/recordings/calls/${call!.id}/pcap?form=plain`);
    expect(plain.status).toBe(200);
    expect((await fetch(`${base}/api/recordings/calls/${call!.id}/pcap?form=bogus`)).status).toBe(400);

    const detail = await api<CallJson>(`/api/recordings/calls/${call!.id}`);
    const rx = detail.streams!.find((s) => s.direction === 'rx')!;
    for (const [file, channels] of [[`${rx.id}.wav`, 1], ['mixed.wav', 2]] as const) {
      const res = await fetch(`${base}/api/recordings/calls/${call!.id}/audio/${file}`);
      expect(res.headers.get('content-type')).toBe('audio/wav');
      const wav = Buffer.from(await res.arrayBuffer());
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
      expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
      expect(wav.readUInt16LE(22)).toBe(channels);
      expect(wav.readUInt32LE(24)).toBe(8000);
      expect(wav.length).toBeGreaterThan(44 + 8000 * 2 * channels * 7);
    }
  });

  it('names the codec it cannot play', async () => {
    await send(recordingFeed(recordedCallRecords({ seed: 23, sessionId: 79, packetCount: 50, payloadType: 18, rtcpEveryMs: 0 }), { firstSequence: 9000 }));
    const [call] = await ended('abcdef:3:79');
    const res = await fetch(`${base}/api/recordings/calls/${call!.id}/audio/mixed.wav`);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toContain('G729');
    expect((await api<CallJson>(`/api/recordings/calls/${call!.id}`)).undecodableCodecs).toEqual(['G729']);
  });

  it('answers 404 for an unknown call and 400 for a bad id or filter', async () => {
    expect((await fetch(`${base}/api/recordings/calls/999999`)).status).toBe(404);
    expect((await fetch(`${base}/api/recordings/calls/abc`)).status).toBe(400);
    expect((await fetch(`${base}/api/recordings/calls?verdict=great`)).status).toBe(400);
    const good = await api<{ calls: CallJson[] }>('/api/recordings/calls?verdict=good,fair,poor&minMos=1&device=127.0.0.1');
    expect(good.calls.length).toBeGreaterThanOrEqual(1);
  });
});
