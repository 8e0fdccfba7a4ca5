import fs from 'node:fs';
import os from 'node:os';
import { CountingIds } from '../../server/store/ids.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcapUdp } from '../../server/capture/pcap-reader.js';
import { decodeMulaw } from '../../server/media/g711.js';
import { mixedWav, streamSamples, AudioUnavailable } from '../../server/export/recording-audio.js';
import { plainPcap } from '../../server/export/recording-pcap.js';
import { DatagramBatch, type DatagramColumns } from '../../server/pipeline/recordings/datagram-batch.js';
import { RecordingTracker } from '../../server/pipeline/recordings/tracker.js';
import type { RecordedCallSummary } from '../../server/pipeline/recordings/types.js';
import { acdrMediaExt, buildRtp } from '../../server/simulator/wire/acdr.js';
import { PHONE_ADDR, recordingFeed, type PendingRecord } from '../fixtures/gen-recording.js';

const SESSION = { boardId: 1, resetCounter: 1, sessionId: 1 };
const T0 = Date.UTC(2026, 0, 1, 12);

/** A 20 ms G.711 µ-law packet whose 160 samples all carry code `code`. */
function record(dir: 'rx' | 'tx', k: number, code: number, farAddr = '198.51.100.7'): PendingRecord {
  const payload = buildRtp({ payloadType: 0, sequence: k, timestamp: 1000 + k * 160, ssrc: dir === 'rx' ? 0xaaaa : 0xbbbb, payload: new Uint8Array(160).fill(code) });
  return { timeMs: T0 + k * 20 + (dir === 'tx' ? 40 : 0), extraData: farAddr.includes(':') ? 0x02 : 0, tracePoint: dir === 'rx' ? 0 : 1, mediaType: 1, session: SESSION, ext: acdrMediaExt({ farAddr, farPort: 40000, localPort: 4000, ipTos: 0 }), payload };
}

function analyse(records: PendingRecord[]): { cols: DatagramColumns; call: RecordedCallSummary } {
  const batch = new DatagramBatch();
  let call: RecordedCallSummary | null = null;
  const tracker = new RecordingTracker({ inactivityMs: 30_000, callIds: new CountingIds(1), streamIds: new CountingIds(1), sink: { datagram: (id, t, p, b) => batch.add(id, t, p, b), callChanged: () => undefined, callEnded: (c) => { call = c.summary(); } } });
  for (const d of recordingFeed(records)) tracker.handle(d.bytes, d.timeMs, PHONE_ADDR, 50010);
  tracker.endAll('end-of-capture');
  return { cols: batch.take(), call: call! };
}

describe('recording audio', () => {
  it('places each packet by its RTP timestamp and leaves a lost one silent', () => {
    const codes = [0x10, 0x20, 0x30, 0x40, 0x50];
    const { cols, call } = analyse(codes.flatMap((c, k) => (k === 2 ? [] : [record('rx', k, c)])));
    const samples = streamSamples(cols, call.streams[0]!);
    expect(samples.length).toBe(5 * 160);
    expect(samples[0]).toBe(decodeMulaw(Uint8Array.of(0x10))[0]);
    expect(samples[3 * 160 + 5]).toBe(decodeMulaw(Uint8Array.of(0x40))[0]);
    expect(samples.subarray(2 * 160, 3 * 160).every((s) => s === 0)).toBe(true);
  });

  it('mixes received audio left and sent audio right, aligned on device time', () => {
    const { cols, call } = analyse([0, 1, 2, 3].flatMap((k) => [record('rx', k, 0x10), record('tx', k, 0x60)]));
    const [rx, tx] = [call.streams.find((s) => s.direction === 'rx')!, call.streams.find((s) => s.direction === 'tx')!];
    const wav = mixedWav(cols, rx, tx);
    const frames = (wav.length - 44) / 4;
    // tx starts 40 ms (320 samples) after rx.
    expect(frames).toBe(320 + 4 * 160);
    const at = (i: number, ch: number) => wav.readInt16LE(44 + i * 4 + ch * 2);
    expect(at(0, 0)).toBe(decodeMulaw(Uint8Array.of(0x10))[0]);
    expect(at(0, 1)).toBe(0);
    expect(at(320, 1)).toBe(decodeMulaw(Uint8Array.of(0x60))[0]);
  });

  it('refuses codecs it cannot decode, naming them', () => {
    const { cols, call } = analyse([record('rx', 0, 1)]);
    expect(() => streamSamples(cols, { ...call.streams[0]!, payloadType: 18, codec: 'G729' })).toThrow(AudioUnavailable);
    expect(() => streamSamples(cols, { ...call.streams[0]!, payloadType: 18, codec: 'G729' })).toThrow(/G729/);
  });
});

describe('plain pcap', () => {
  it('puts an IPv4 phone and an IPv6 far end in one family (IPv4-mapped), RTP between them after a synthetic SDP exchange', async () => {
    const { cols } = analyse([0, 1].flatMap((k) => [record('rx', k, 1, '2001:db8::7'), record('tx', k, 1, '2001:db8::7')]));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-')), 'plain.pcap');
    fs.writeFileSync(file, plainPcap(cols, PHONE_ADDR));
    const udp = [];
    for await (const u of readPcapUdp(file)) udp.push(u);
    expect(udp.slice(0, 2).map((u) => [u.srcPort, u.dstPort, Buffer.from(u.payload).toString('latin1').split('\r\n')[0]]))
      .toEqual([[5060, 5060, 'INVITE sip:far@[2001:db8::7] SIP/2.0'], [5060, 5060, 'SIP/2.0 200 OK']]);
    const rtp = udp.slice(2);
    expect(rtp).toHaveLength(4);
    expect(rtp[0]).toMatchObject({ src: '2001:db8::7', srcPort: 40000, dstPort: 4000, timeMs: T0 });
    expect(rtp[0]!.dst.toLowerCase()).toMatch(/^::ffff:(c000:20a|192\.0\.2\.10)$/);
    expect(rtp.find((u) => u.dst === '2001:db8::7')).toMatchObject({ srcPort: 4000, dstPort: 40000, timeMs: T0 + 40 });
  });
});
