/**
 * Oracle: the recording pipeline against tshark 4.0 on captures generated here (capture time =
 * ACDR device time, so tshark's capture-time analysis and ours share a clock):
 *  - ACDR records decoded by ours and by tshark (`-d udp.port==50000,acdr`) agree field by field;
 *  - per-stream stats equal `tshark -q -z rtp,streams` on the recording, with loss, reordering,
 *    duplicates and jitter induced;
 *  - the exported plain pcap gives tshark the same RTP stream stats with no Decode As;
 *  - the exported original pcap opens in tshark with every frame decoded as ACDR.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAcdr } from '../../parsers/acdr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeRtp } from '../../parsers/rtp.js';
import { originalPcap, plainPcap } from '../../server/export/recording-pcap.js';
import { analyzeCapture, type AnalyzeReport } from '../../server/pipeline/recordings/analyze-capture.js';
import { DatagramBatch, type DatagramColumns } from '../../server/pipeline/recordings/datagram-batch.js';
import { PHONE_ADDR, PHONE_RECORDING_SRC_PORT, RECORDING_PORT, recordedCallRecords, recordingCapture, recordingFeed, type RecordingDatagram } from '../fixtures/gen-recording.js';
import { requireTshark, runTshark, tsharkFields } from '../support/tshark.js';

const haveTshark = requireTshark();
const DECODE_ACDR = `udp.port==${RECORDING_PORT},acdr`;
/** tshark prints 3 decimals: half a unit plus float noise from µs times. */
const MS_TOLERANCE = 0.0006;

interface TsharkStream { ssrc: number; packets: number; lost: number; maxDelta: number; meanJitter: number; maxJitter: number }

// tshark 4.0: Start End SrcIP Port DstIP Port SSRC Payload Pkts Lost(%) Min/Mean/Max Delta, Min/Mean/Max Jitter, Problems?
const ROW = /^\s*[\d.]+\s+[\d.]+\s+\S+\s+\d+\s+\S+\s+\d+\s+0x([0-9A-Fa-f]+)\s+.+?\s+(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*X?\s*$/;

function tsharkStreams(file: string, decodeAs: string[]): TsharkStream[] {
  const out = runTshark(file, [...decodeAs.flatMap((d) => ['-d', d]), '-q', '-z', 'rtp,streams']);
  return out.split('\n').flatMap((line) => {
    const m = ROW.exec(line);
    if (!m) return [];
    return [{ ssrc: parseInt(m[1]!, 16), packets: Number(m[2]), lost: Number(m[3]), maxDelta: Number(m[7]), meanJitter: Number(m[9]), maxJitter: Number(m[10]) }];
  }).sort((a, b) => a.ssrc - b.ssrc);
}

function columns(feed: readonly RecordingDatagram[]): DatagramColumns {
  const b = new DatagramBatch();
  for (const d of feed) b.add(1, d.timeMs, PHONE_RECORDING_SRC_PORT, d.bytes);
  return b.take();
}

const IMPAIRED = [
  { name: 'loss, bursts, reordering, duplicates and jitter', seed: 11, rx: { lossRate: 0.03, bursts: [{ at: 300, length: 7 }], reorderAt: [50, 120, 121, 400], duplicateAt: [77, 78, 500], jitterMs: 12 }, tx: { jitterMs: 3 } },
  { name: 'heavy jitter and drift, G.711 A-law', seed: 12, payloadType: 8, rx: { jitterMs: 45, clockDriftPpm: 300 }, tx: { lossRate: 0.1, duplicateAt: [10] } },
  { name: 'sequence and timestamp wrap', seed: 13, rx: { startSeq: 65400, startTimestamp: 2 ** 32 - 8000, lossRate: 0.01 }, tx: { startSeq: 65530, jitterMs: 20 } },
];

describe.skipIf(!haveTshark)('recording pipeline vs tshark', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  });

  for (const c of IMPAIRED) {
    describe(c.name, () => {
      let feed: RecordingDatagram[];
      let file: string;
      let ours: AnalyzeReport;
      let theirs: TsharkStream[];
      beforeAll(async () => {
        feed = recordingFeed(recordedCallRecords({ seed: c.seed, sessionId: c.seed, packetCount: 1500, payloadType: c.payloadType, rx: c.rx, tx: c.tx }));
        file = path.join(dir, `rec-${c.seed}.pcap`);
        fs.writeFileSync(file, recordingCapture(feed));
        ours = await analyzeCapture([feed.map((d) => ({ timeMs: d.timeMs, src: PHONE_ADDR, srcPort: PHONE_RECORDING_SRC_PORT, dst: '192.0.2.200', dstPort: RECORDING_PORT, payload: d.bytes }))], { port: RECORDING_PORT, inactivityMs: 30_000 });
        theirs = tsharkStreams(file, [DECODE_ACDR]);
      });

      it('decodes every record as tshark does: session, trace point, sequence, RTP seq and SSRC', () => {
        const rows = tsharkFields(file, ['acdr.seq', 'acdr.trace_pt', 'acdr.full_session_id', 'rtp.seq', 'rtp.ssrc'], { decodeAs: [DECODE_ACDR] });
        expect(rows.length).toBe(feed.length);
        rows.forEach((row, i) => {
          const rec = decodeAcdr(feed[i]!.bytes);
          if (isDecodeError(rec)) throw new Error(rec.message);
          expect(Number(row.first('acdr.seq'))).toBe(rec.sequence);
          expect(Number(row.first('acdr.trace_pt'))).toBe(rec.tracePoint);
          expect(row.first('acdr.full_session_id')).toBe(rec.session?.fullSessionId);
          if (rec.payloadKind === 'rtp') {
            const rtp = decodeRtp(rec.payload);
            if (isDecodeError(rtp)) throw new Error(rtp.message);
            expect(Number(row.first('rtp.seq'))).toBe(rtp.sequence);
            expect(Number(row.first('rtp.ssrc'))).toBe(rtp.ssrc);
          }
        });
      });

      it('gives the per-stream stats of tshark -z rtp,streams', () => {
        expect(ours.calls).toHaveLength(1);
        const streams = [...ours.calls[0]!.streams].sort((a, b) => a.ssrc - b.ssrc);
        expect(theirs).toHaveLength(2);
        expect(streams).toHaveLength(2);
        streams.forEach((s, i) => {
          const t = theirs[i]!;
          expect(s.ssrc).toBe(t.ssrc);
          expect(s.packets).toBe(t.packets);
          expect(s.lost).toBe(t.lost);
          expect(Math.abs(s.maxDeltaMs - t.maxDelta)).toBeLessThan(MS_TOLERANCE);
          expect(Math.abs(s.maxJitterMs - t.maxJitter)).toBeLessThan(MS_TOLERANCE);
          expect(Math.abs(s.meanJitterMs - t.meanJitter)).toBeLessThan(MS_TOLERANCE);
        });
      });

      it('exports a plain pcap whose RTP streams tshark analyses the same with no Decode As', () => {
        const plain = path.join(dir, `plain-${c.seed}.pcap`);
        fs.writeFileSync(plain, plainPcap(columns(feed), PHONE_ADDR));
        expect(tsharkStreams(plain, [])).toEqual(theirs);
      });

      it('exports the original datagrams as a pcap tshark opens with every frame decoded as ACDR', () => {
        const original = path.join(dir, `original-${c.seed}.pcap`);
        fs.writeFileSync(original, originalPcap(columns(feed), { deviceAddr: PHONE_ADDR, recordingPort: RECORDING_PORT }));
        const rows = tsharkFields(original, ['acdr.seq', 'frame.time_epoch'], { decodeAs: [DECODE_ACDR] });
        expect(rows.length).toBe(feed.length);
        expect(rows.every((r, i) => Number(r.first('acdr.seq')) === decodeAcdrSeq(feed[i]!.bytes))).toBe(true);
        expect(Math.abs(Number(rows[5]!.first('frame.time_epoch')) * 1000 - feed[5]!.timeMs)).toBeLessThan(0.002);
      });
    });
  }
});

function decodeAcdrSeq(bytes: Uint8Array): number | null {
  const r = decodeAcdr(bytes);
  return isDecodeError(r) ? null : r.sequence;
}
