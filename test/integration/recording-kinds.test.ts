/**
 * The phone's debug-recording kinds through the built collector (`serve` as a process, loopback UDP):
 *  - one datagram set per kind, with garbage and truncated datagrams between them: counts per kind in
 *    the API, malformed ones counted (not lost), WAV of each PCM kind a valid RIFF with the right
 *    sample count, and the original pcap holding every call datagram byte for byte, read back by
 *    tshark with the same count per kind;
 *  - `simulate --recording-kinds all` as a process against it: the API's counts per kind equal what
 *    the simulator says it sent.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acdrRecordingKind } from '../../parsers/acdr/recording-kind.js';
import { freePorts } from '../../bench/free-ports.js';
import { acdrDspExt, acdrEventExt, acdrMediaExt, buildAcdr, buildRtp } from '../../server/simulator/wire/acdr.js';
import { sendUdp, waitFor } from '../support/senders.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';
import { requireTshark, runTshark } from '../support/tshark.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES_PER_PACKET = 160;

interface KindJson { kind: string; name: string; mediaType: number | null; datagrams: number; bytes: number; pcm: boolean; undecoded: number }
interface StreamJson { id: number; kind: string; recordingKind: string; direction: string; packets: number; audio: boolean }
interface CallJson { id: number; sessionId: string; active: boolean; datagrams: number; recordingKinds: KindJson[]; streams?: StreamJson[] }

let collector: RunningCollector;
let recordingPort: number;
let dir: string;
const haveTshark = requireTshark();

async function api<T>(p: string): Promise<T> {
  const res = await fetch(collector.webUrl + p);
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

async function endedCall(sessionId: string, timeoutMs = 15_000): Promise<CallJson> {
  const calls = await waitFor(() => api<{ calls: CallJson[] }>('/api/recordings/calls?limit=500'), (r) => r.calls.some((c) => c.sessionId === sessionId && !c.active), timeoutMs);
  const call = calls.calls.find((c) => c.sessionId === sessionId && !c.active);
  if (!call) throw new Error(`no ended recorded call ${sessionId}: ${collector.stderr()}`);
  return api<CallJson>(`/api/recordings/calls/${call.id}`);
}

const counters = async () => (await api<{ counters: Record<string, { received: number; parsed: number; malformed: number; stored: number }> }>('/api/health')).counters['recordings']!;

/** Kind → datagrams in `tshark -T fields` rows of media type and trace point. */
function kindCounts(rows: ReadonlyArray<readonly [number, number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [m, tp] of rows) {
    const k = acdrRecordingKind(m, tp);
    const key = k === 'other' ? `other:${m}` : k;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

const apiCounts = (c: CallJson): Record<string, number> =>
  Object.fromEntries(c.recordingKinds.map((k) => [k.kind === 'other' ? `other:${k.mediaType}` : k.kind, k.datagrams]));

async function wavSamples(callId: number, streamId: number): Promise<number> {
  const res = await fetch(`${collector.webUrl}/api/recordings/calls/${callId}/audio/${streamId}.wav`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('audio/wav');
  const wav = Buffer.from(await res.arrayBuffer());
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
  expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).toEqual([1, 1, 8000, 16]);
  expect(wav.toString('ascii', 36, 40)).toBe('data');
  expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  return (wav.length - 44) / 2;
}

beforeAll(async () => {
  const { udp: [port] } = await freePorts(0, 1);
  recordingPort = port!;
  collector = await spawnCollector(['--recording-port', String(recordingPort), '--recording-call-timeout', '2']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-kinds-'));
});

afterAll(async () => {
  await collector?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveTshark)('recording kinds through the built collector', () => {
  it('counts each kind, plays the PCM kinds, counts garbage as malformed and exports every datagram byte for byte', async () => {
    const session = { boardId: 0x4d5e, resetCounter: 1, sessionId: 314 };
    const header = { version: 7, srcId: 1, dstId: -1, session } as const;
    const frame = (k: number) => new Uint8Array(SAMPLES_PER_PACKET).map((_, i) => (k * 7 + i) & 0xff);
    const rtp = (ssrc: number, k: number) => buildRtp({ payloadType: 8, sequence: 1000 + k, timestamp: k * SAMPLES_PER_PACKET, ssrc, payload: frame(k) });
    const good: Uint8Array[] = [];
    let seq = 0;
    let t = 1_000_000;
    const add = (tracePoint: number, mediaType: number, payload: Uint8Array, headerExtension?: Uint8Array) => {
      good.push(buildAcdr({ ...header, sequence: seq++ & 0xffff, timestampUs: (t += 20_000), tracePoint, mediaType, headerExtension }, payload));
    };
    const ext = acdrMediaExt({ farAddr: '198.51.100.7', farPort: 40000, localPort: 4000, ipTos: 184 });
    const per = { rtp: 30, network: 25, tdm: 20, dspPcm: 15 };
    for (let k = 0; k < per.rtp; k++) add(0, 1, rtp(0xaaaa0001, k), ext);
    for (let k = 0; k < per.network; k++) add(9, 15, rtp(0xbbbb0001, k));
    for (let k = 0; k < per.tdm; k++) add(10, 15, rtp(0xbbbb0002, k));
    for (let k = 0; k < per.dspPcm; k++) add(19, 15, rtp(0xbbbb0003, k));
    for (let k = 0; k < 3; k++) add(9, 15, new Uint8Array(SAMPLES_PER_PACKET).fill(0x55)); // network PCM not RTP-framed: raw
    for (let k = 0; k < 6; k++) add(2, 32, frame(k).subarray(0, 64), acdrDspExt(0, 1));
    for (let k = 0; k < 4; k++) add(2, 4, frame(k).subarray(0, 12), acdrEventExt(k, 1));
    for (let k = 0; k < 7; k++) add(2, 7, frame(k).subarray(0, 96), acdrDspExt(0, 1));
    for (let k = 0; k < 8; k++) add(2, 8, frame(k).subarray(0, 96), acdrDspExt(0, 1));
    for (let k = 0; k < 9; k++) add(2, 9, frame(k).subarray(0, 96), acdrDspExt(0, 1));
    for (let k = 0; k < 2; k++) add(2, 120, frame(k).subarray(0, 40));
    const whole = buildAcdr({ ...header, tracePoint: 9, mediaType: 15 }, rtp(0xbbbb0001, 99));
    const bad = [new Uint8Array(40).fill(0xee), whole.subarray(0, 10), whole.subarray(0, 22), Uint8Array.of(0x0b, 1, 2, 3)];
    const before = await counters();
    // Garbage and truncated datagrams go between the good ones, as a lossy path would deliver them.
    await sendUdp(recordingPort, [...good.slice(0, 40), ...bad, ...good.slice(40)]);

    const call = await endedCall('4d5e:1:314');
    const after = await counters();
    expect(after.received - before.received).toBe(good.length + bad.length);
    expect(after.malformed - before.malformed).toBe(bad.length);
    expect(call.datagrams).toBe(good.length);
    expect(apiCounts(call)).toEqual({ 'rtp': per.rtp, 'network': per.network + 3, 'tdm': per.tdm, 'dsp-pcm': per.dspPcm, 'dsp': 6, 'dsp-event': 4, 'ec-debug': 7, 'cng-debug': 8, 'nr-debug': 9, 'other:120': 2 });
    expect(call.recordingKinds.find((k) => k.kind === 'network')).toMatchObject({ name: 'Network (TDM out)', pcm: true, undecoded: 3 });
    expect(call.recordingKinds.find((k) => k.kind === 'ec-debug')).toMatchObject({ name: 'Echo-canceller debug', pcm: false, bytes: good.filter((g) => g[13] === 7).reduce((n, g) => n + g.length, 0) });
    expect(call.recordingKinds.find((k) => k.kind === 'other')!.name).toBe('Other: Unknown (120)');

    // PCM kinds: one G.711 stream each, its WAV holds every packet's samples.
    const pcm = call.streams!.filter((s) => s.kind === 'pcm');
    expect(pcm.map((s) => [s.recordingKind, s.direction, s.packets, s.audio]).sort()).toEqual([
      ['dsp-pcm', 'tx', per.dspPcm, true], ['network', 'rx', per.network, true], ['tdm', 'tx', per.tdm, true]]);
    for (const s of pcm) expect(await wavSamples(call.id, s.id)).toBe(s.packets * SAMPLES_PER_PACKET);
    // Mixed takes the RTP direction there is (rx) and, with no tx RTP, the first tx PCM recording.
    expect((await fetch(`${collector.webUrl}/api/recordings/calls/${call.id}/audio/mixed.wav`)).status).toBe(200);

    const res = await fetch(`${collector.webUrl}/api/recordings/calls/${call.id}/pcap?form=original`);
    expect(res.status).toBe(200);
    const file = path.join(dir, 'original.pcap');
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const payloads = runTshark(file, ['-T', 'fields', '-e', 'udp.payload']).trim().split('\n');
    expect(payloads).toEqual(good.map((g) => Buffer.from(g).toString('hex')));
    const rows = runTshark(file, ['-d', `udp.port==${recordingPort},acdr`, '-T', 'fields', '-e', 'acdr.media_type', '-e', 'acdr.trace_pt'])
      .trim().split('\n').map((l) => l.split('\t').map(Number) as [number, number]);
    expect(kindCounts(rows)).toEqual(apiCounts(call));
  });

  it('shows what `simulate --recording-kinds all` sends, kind by kind', async () => {
    const events = path.join(dir, 'events.json');
    const { udp: [sipPort] } = await freePorts(0, 1);
    const r = spawnSync(process.execPath, ['bin/ipp-collector.js', 'simulate', '--target', '127.0.0.1', '--recording-port', String(recordingPort),
      '--syslog-port', String(collector.ports.syslogUdp), '--sip-port', String(sipPort), '--phones', '1', '--calls-per-hour', '3600',
      '--duration', '40', '--seed', '5', '--scenario', 'clean', '--speed', '10', '--recording-kinds', 'all', '--events', events],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const log = JSON.parse(fs.readFileSync(events, 'utf8')) as { counts: Record<string, number>; calls: Array<{ recordingSession: string }> };
    expect(log.calls).toHaveLength(1);
    const call = await endedCall(log.calls[0]!.recordingSession, 20_000);
    const sent = (k: string) => log.counts[`acdr-${k}`] ?? 0;
    const want: Record<string, number> = { rtp: sent('rtp') + sent('rtcp') };
    for (const k of ['network', 'tdm', 'dsp-pcm', 'dsp', 'dsp-event', 'ec-debug', 'cng-debug', 'nr-debug']) want[k] = sent(k);
    expect(Object.values(want).every((n) => n > 0)).toBe(true);
    expect(apiCounts(call)).toEqual(want);
    const pcm = call.streams!.filter((s) => s.kind === 'pcm');
    expect(pcm.map((s) => s.recordingKind).sort()).toEqual(['dsp-pcm', 'network', 'tdm']);
    for (const s of pcm) {
      expect(s.packets).toBe(want[s.recordingKind]);
      expect(await wavSamples(call.id, s.id)).toBe(s.packets * SAMPLES_PER_PACKET);
    }
  });
});
