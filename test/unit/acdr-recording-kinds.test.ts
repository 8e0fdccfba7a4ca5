/**
 * Recording kinds (issue 17): every media type and trace point the header can carry is named as
 * tshark 4.0.17 names it (PDML shownames), the simulator's debug recordings decode to the kinds and
 * payload lengths tshark sees, and the tracker counts each kind per call, plays the PCM kinds and
 * keeps the rest raw.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeAcdr, type AcdrRecord } from '../../parsers/acdr.js';
import { acdrMediaType, acdrTracePoint } from '../../parsers/acdr/names.js';
import { ACDR_RECORDING_KINDS, acdrRecordingKind, type AcdrRecordingKind } from '../../parsers/acdr/recording-kind.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeRtp } from '../../parsers/rtp.js';
import { streamSamples } from '../../server/export/recording-audio.js';
import { DatagramBatch } from '../../server/pipeline/recordings/datagram-batch.js';
import { RecordingTracker } from '../../server/pipeline/recordings/tracker.js';
import { CountingIds } from '../../server/store/ids.js';
import { SimulationEngine } from '../../server/simulator/engine.js';
import { planSimulation } from '../../server/simulator/plan.js';
import { SIM_RECORDING_KINDS } from '../../server/simulator/recording-kinds.js';
import type { Datagram } from '../../server/simulator/runtime.js';
import { buildAcdr, udpCapture } from '../../server/simulator/wire/acdr.js';
import { requireTshark, runTshark } from '../support/tshark.js';

const ACDR_PORT = 50000;
/** Ethernet + IPv4 + UDP in front of the ACDR bytes in udpCapture(). */
const FRAME_HEADER_BYTES = 42;

function ok(bytes: Uint8Array): AcdrRecord {
  const r = decodeAcdr(bytes);
  if (isDecodeError(r)) throw new Error(r.message);
  return r;
}

/** One call of one phone with every debug recording on, as the simulator sends it. */
function simulatedCall(): Datagram[] {
  const plan = planSimulation({
    phones: 1, callsPerHour: 3600, durationMs: 40_000, seed: 5, scenario: 'clean', startMs: Date.UTC(2026, 0, 1, 9), loopback: true,
    recordingKinds: [...SIM_RECORDING_KINDS],
  });
  const engine = new SimulationEngine({ plan, collectorHost: '127.0.0.1', sipPortOf: () => 5060 });
  const out: Datagram[] = [];
  engine.pull(Infinity, out);
  const first = plan.calls[0]!;
  const session = ok(out.find((d) => d.port === 'recording')!.bytes).session!.sessionId;
  expect(session).toBe(first.session);
  return out.filter((d) => d.port === 'recording' && ok(d.bytes).session?.sessionId === first.session);
}

describe('recording kind table', () => {
  it('names the manual\'s seven recordings by (media type, trace point)', () => {
    const kind = (m: number, tp: number): AcdrRecordingKind => acdrRecordingKind(m, tp);
    expect([kind(1, 0), kind(2, 1), kind(54, 1)]).toEqual(['rtp', 'rtp', 'rtp']);
    expect([kind(15, 9), kind(48, 2)]).toEqual(['network', 'network']);
    expect([kind(15, 10), kind(47, 2)]).toEqual(['tdm', 'tdm']);
    expect([kind(15, 19), kind(15, 18), kind(15, 200)]).toEqual(['dsp-pcm', 'dsp-pcm', 'dsp-pcm']);
    expect([kind(0, 2), kind(32, 3), kind(35, 2), kind(4, 2)]).toEqual(['dsp', 'dsp', 'dsp', 'dsp-event']);
    expect([kind(7, 2), kind(8, 2), kind(9, 2)]).toEqual(['ec-debug', 'cng-debug', 'nr-debug']);
    expect([kind(10, 6), kind(5, 6), kind(38, 2), kind(99, 2), kind(255, 255)]).toEqual(['signalling', 'system', 'other', 'other', 'other']);
    expect(Object.values(ACDR_RECORDING_KINDS).filter((k) => k.pcm).map((k) => k.kind)).toEqual(['network', 'tdm', 'dsp-pcm']);
  });
});

describe('recording kinds counted per call', () => {
  const feed = simulatedCall();

  it('sends every kind the simulator knows, with its own ACDR sequence number each', () => {
    const kinds = new Set(feed.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['acdr-cng-debug', 'acdr-dsp', 'acdr-dsp-event', 'acdr-dsp-pcm', 'acdr-ec-debug', 'acdr-network', 'acdr-nr-debug', 'acdr-rtcp', 'acdr-rtp', 'acdr-tdm']);
    const seqs = feed.map((d) => ok(d.bytes).sequence!);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) & 0xffff);
  });

  it('tallies datagrams and bytes per kind, makes the PCM kinds G.711 streams and keeps the raw kinds as counts', () => {
    const tracker = new RecordingTracker({
      inactivityMs: 60_000, callIds: new CountingIds(1), streamIds: new CountingIds(1),
      sink: { datagram: () => undefined, callChanged: () => undefined, callEnded: () => undefined },
    });
    for (const d of feed) expect(tracker.handle(d.bytes, d.atMs, '192.0.2.10', 50010)).toBe('call');
    const s = tracker.activeCalls()[0]!.summary();
    const want = new Map<string, { datagrams: number; bytes: number }>();
    for (const d of feed) {
      const kind = d.kind === 'acdr-rtcp' ? 'rtp' : d.kind.slice('acdr-'.length);
      const w = want.get(kind) ?? { datagrams: 0, bytes: 0 };
      w.datagrams++;
      w.bytes += d.bytes.length;
      want.set(kind, w);
    }
    expect(Object.fromEntries(s.recordingKinds.map((k) => [k.kind, { datagrams: k.datagrams, bytes: k.bytes }]))).toEqual(Object.fromEntries(want));
    expect(s.recordingKinds.every((k) => k.undecoded === 0)).toBe(true);
    expect(s.recordingKinds.find((k) => k.kind === 'tdm')).toMatchObject({ name: 'TDM (TDM in)', pcm: true });
    const pcm = s.streams.filter((x) => x.kind === 'pcm');
    expect(pcm.map((x) => [x.recordingKind, x.direction, x.tracePointName, x.audio]).sort()).toEqual([
      ['dsp-pcm', 'tx', 'DspEncoder', true], ['network', 'rx', 'Dsp2Tdm', true], ['tdm', 'tx', 'Tdm2Dsp', true]]);
    // Each PCM stream plays back exactly its records' samples.
    const batch = new DatagramBatch();
    for (const d of feed) batch.add(1, d.atMs, 50010, d.bytes);
    const cols = batch.take();
    for (const st of pcm) {
      const frames = feed.filter((d) => d.kind === `acdr-${st.recordingKind}`).length;
      expect(st.packets).toBe(frames);
      expect(streamSamples(cols, st).length).toBe(frames * 160);
    }
    expect(s.streams.filter((x) => x.kind === 'rtp').every((x) => x.recordingKind === 'rtp')).toBe(true);
  });

  it('keeps a PCM record that is not RTP-framed as a raw count of its kind, and unknown media types under their value', () => {
    const tracker = new RecordingTracker({
      inactivityMs: 60_000, callIds: new CountingIds(1), streamIds: new CountingIds(1),
      sink: { datagram: () => undefined, callChanged: () => undefined, callEnded: () => undefined },
    });
    const session = { boardId: 1, resetCounter: 0, sessionId: 9 };
    const raw = new Uint8Array(160).fill(0x55);
    for (const [tp, m] of [[9, 15], [9, 15], [2, 99], [2, 99], [2, 200]] as const) {
      expect(tracker.handle(buildAcdr({ version: 7, tracePoint: tp, mediaType: m, session }, raw), 1000, '192.0.2.10', 50010)).toBe('call');
    }
    // v4 has no session: a debug record still joins the sender's `none` call rather than being left out.
    expect(tracker.handle(buildAcdr({ version: 4, tracePoint: 2, mediaType: 7 }, raw), 1000, '192.0.2.10', 50010)).toBe('call');
    const calls = tracker.activeCalls().map((c) => c.summary());
    const withSession = calls.find((c) => c.sessionId === '1:0:9')!;
    expect(withSession.recordingKinds).toEqual([
      { kind: 'network', name: 'Network (TDM out)', mediaType: null, datagrams: 2, bytes: 2 * (23 + 160), pcm: true, undecoded: 2 },
      { kind: 'other', name: 'Other: Unknown (99)', mediaType: 99, datagrams: 2, bytes: 2 * (23 + 160), pcm: false, undecoded: 0 },
      { kind: 'other', name: 'Other: Unknown (200)', mediaType: 200, datagrams: 1, bytes: 23 + 160, pcm: false, undecoded: 0 },
    ]);
    expect(withSession.streams).toEqual([]);
    expect(calls.find((c) => c.sessionId === 'none')!.recordingKinds.map((k) => [k.kind, k.datagrams])).toEqual([['ec-debug', 1]]);
  });
});

const available = requireTshark();

interface PdmlFrame { tracePoint: string; mediaType: string; acdrSize: number; udpLength: number; rtpPayloadBytes: number | null; dataBytes: number | null; unknownAt: number | null }

/** The bits of tshark's PDML we compare: ACDR shownames and sizes, and where the payload went. */
function pdml(file: string): PdmlFrame[] {
  const out = runTshark(file, ['-d', `udp.port==${ACDR_PORT},acdr`, '-T', 'pdml']);
  return out.split('<packet>').slice(1).map((p) => {
    const show = (name: string) => new RegExp(`name="${name}" showname="([^"]*)"`).exec(p)?.[1]?.replace(/&gt;/g, '>').replace(/&lt;/g, '<') ?? '';
    const attr = (name: string, a: string) => new RegExp(`name="${name}"[^>]* ${a}="(\\d+)"`).exec(p)?.[1];
    const rtpPayload = /name="rtp.payload"[^>]* size="(\d+)"/.exec(p)?.[1];
    const dataLen = /name="data.len"[^>]* show="(\d+)"/.exec(p)?.[1];
    const unknownAt = attr('acdr.unknown_packet', 'pos');
    return {
      tracePoint: show('acdr.trace_pt'),
      mediaType: show('acdr.media_type'),
      acdrSize: Number(/<proto name="acdr"[^>]* size="(\d+)"/.exec(p)?.[1]),
      udpLength: Number(/name="udp.length"[^>]* show="(\d+)"/.exec(p)?.[1]),
      rtpPayloadBytes: rtpPayload === undefined ? null : Number(rtpPayload),
      dataBytes: dataLen === undefined ? null : Number(dataLen),
      unknownAt: unknownAt === undefined ? null : Number(unknownAt),
    };
  });
}

describe.skipIf(!available)('recording kinds against tshark 4.0.17', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-kinds-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names every trace point and media type value 0-255 as tshark does', () => {
    const records: Uint8Array[] = [];
    // Media 38 (Fragmented) keeps the payload opaque whatever the trace point; trace point 2 has no extension layout.
    for (let v = 0; v < 256; v++) records.push(buildAcdr({ version: 9, tracePoint: v, mediaType: 38 }, Uint8Array.of(1, 2, 3, 4)));
    for (let v = 0; v < 256; v++) records.push(buildAcdr({ version: 9, tracePoint: 2, mediaType: v }, Uint8Array.of(1, 2, 3, 4)));
    const file = path.join(dir, 'names.pcap');
    fs.writeFileSync(file, udpCapture(records, ACDR_PORT));
    const frames = pdml(file);
    expect(frames.length).toBe(512);
    const mismatches: string[] = [];
    records.forEach((bytes, i) => {
      const r = ok(bytes);
      // tshark calls media 35 "DSP 5x Packet" unless the MII flag is set (acdr spec §3).
      const mediaText = r.mediaType === 35 && !r.flags.mii ? 'DSP 5x Packet' : acdrMediaType(r.mediaType).text;
      const want = { tracePoint: `Trace Point: ${acdrTracePoint(r.tracePoint).text} (${r.tracePoint})`, mediaType: `Media Type: ${mediaText} (${r.mediaType})` };
      const got = { tracePoint: frames[i]!.tracePoint, mediaType: frames[i]!.mediaType };
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`frame ${i + 1}: tshark ${JSON.stringify(got)} ours ${JSON.stringify(want)}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('agrees with tshark on the header length, names and payload length of every simulated debug-recording datagram', () => {
    const feed = simulatedCall();
    const file = path.join(dir, 'kinds.pcap');
    fs.writeFileSync(file, udpCapture(feed.map((d) => d.bytes), ACDR_PORT));
    const frames = pdml(file);
    expect(frames.length).toBe(feed.length);
    const mismatches: string[] = [];
    const seen = new Set<string>();
    feed.forEach((d, i) => {
      const r = ok(d.bytes);
      const f = frames[i]!;
      const kind = acdrRecordingKind(r.mediaType, r.tracePoint);
      seen.add(kind);
      const fail = (what: string, tshark: unknown, ours: unknown) => mismatches.push(`frame ${i + 1} (${kind}) ${what}: tshark ${String(tshark)} ours ${String(ours)}`);
      if (f.tracePoint !== `Trace Point: ${acdrTracePoint(r.tracePoint).text} (${r.tracePoint})`) fail('trace point', f.tracePoint, r.tracePointName);
      if (f.mediaType !== `Media Type: ${acdrMediaType(r.mediaType).text} (${r.mediaType})`) fail('media type', f.mediaType, r.mediaTypeName);
      // tshark's ACDR item covers the fixed header and the extension: where our payload starts.
      if (f.acdrSize !== r.payloadStart) fail('header bytes', f.acdrSize, r.payloadStart);
      if (f.udpLength - 8 - f.acdrSize !== r.payload.length) fail('payload bytes', f.udpLength - 8 - f.acdrSize, r.payload.length);
      if (ACDR_RECORDING_KINDS[kind].pcm) {
        const rtp = decodeRtp(r.payload);
        if (isDecodeError(rtp) || f.rtpPayloadBytes !== rtp.payload.length) fail('RTP payload bytes', f.rtpPayloadBytes, isDecodeError(rtp) ? rtp.message : rtp.payload.length);
      } else if (kind === 'dsp') {
        if (f.dataBytes !== r.payload.length) fail('DSP data bytes', f.dataBytes, r.payload.length);
      } else if (kind === 'ec-debug' || kind === 'cng-debug' || kind === 'nr-debug' || kind === 'dsp-event') {
        // "Unknown packet Type": tshark leaves the payload undissected from where ours starts.
        if (f.unknownAt !== FRAME_HEADER_BYTES + r.payloadStart) fail('raw payload offset', f.unknownAt, FRAME_HEADER_BYTES + r.payloadStart);
      }
    });
    expect(mismatches).toEqual([]);
    expect([...seen].sort()).toEqual(['cng-debug', 'dsp', 'dsp-event', 'dsp-pcm', 'ec-debug', 'network', 'nr-debug', 'rtp', 'tdm']);
  });
});
