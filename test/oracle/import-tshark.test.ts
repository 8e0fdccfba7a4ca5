/**
 * Oracle: capture import against tshark 4.0, on one simulated capture written four ways: by our
 * pcap writer (µs), by Debian's editcap as pcapng and as nanosecond pcap (an independent producer
 * of both formats), and by our test pcapng writer. For every file:
 *  - frames per protocol in the import summary = tshark's `frame.protocols` counted the same way
 *    (`-d udp.port==50000,acdr`; RTP/RTCP inside a recording count as acdr, as the summary does);
 *  - each recorded stream's packets, loss, max delta and jitter = `tshark -q -z rtp,streams`;
 *  - `ipp-collector decode --json` gives each SIP report's Call-ID, CSeq and From tag as tshark's
 *    sip.Call-ID, sip.CSeq.seq, sip.CSeq.method, sip.from.tag.
 * Runs the built CLI for decode (npm test builds first). CI installs tshark (and editcap with it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/config.js';
import type { ImportSummary } from '../../server/import/capture-import.js';
import { openImportServices } from '../../server/import/import-services.js';
import { runImport } from '../../server/import/run-import.js';
import type { RecordedCallSummary } from '../../server/pipeline/recordings/types.js';
import { simulateToPcap } from '../../server/simulator/run.js';
import type { ImportRow } from '../../server/store/import-store.js';
import { classicRecords, pcapngFile } from '../fixtures/gen-pcapng.js';
import { requireTshark, runTshark, tsharkFields } from '../support/tshark.js';

const haveTshark = requireTshark();
const CLI = fileURLToPath(new URL('../../bin/ipp-collector.js', import.meta.url));
const PORTS = { syslog: 514, recording: 50000, sip: 5060 };
const DECODE_ACDR = `udp.port==${PORTS.recording},acdr`;
/** tshark prints 3 decimals: half a unit plus float noise from µs times. */
const MS_TOLERANCE = 0.0006;
/** Our summary's protocol names, in the order a frame's tshark protocol chain is tested for them. */
const PROTOCOLS = ['acdr', 'sip', 'syslog', 'rtcp', 'rtp'];

interface Stream { ssrc: number; packets: number; lost: number; maxDeltaMs: number; meanJitterMs: number; maxJitterMs: number }

// tshark 4.0: Start End SrcIP Port DstIP Port SSRC Payload Pkts Lost(%) Min/Mean/Max Delta, Min/Mean/Max Jitter, Problems?
const ROW = /^\s*[\d.]+\s+[\d.]+\s+\S+\s+\d+\s+\S+\s+\d+\s+0x([0-9A-Fa-f]+)\s+.+?\s+(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*X?\s*$/;

function tsharkStreams(file: string): Stream[] {
  return runTshark(file, ['-d', DECODE_ACDR, '-q', '-z', 'rtp,streams']).split('\n').flatMap((line) => {
    const m = ROW.exec(line);
    return m ? [{ ssrc: parseInt(m[1]!, 16), packets: Number(m[2]), lost: Number(m[3]), maxDeltaMs: Number(m[7]), meanJitterMs: Number(m[9]), maxJitterMs: Number(m[10]) }] : [];
  }).sort((a, b) => a.ssrc - b.ssrc);
}

function tsharkProtocols(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of tsharkFields(file, ['frame.protocols'], { decodeAs: [DECODE_ACDR] })) {
    const chain = (row.first('frame.protocols') ?? '').split(':');
    const name = PROTOCOLS.find((p) => chain.includes(p)) ?? (chain.includes('udp') ? 'udp' : chain.includes('tcp') ? 'tcp' : 'other');
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

interface Imported { row: ImportRow; summary: ImportSummary; streams: Stream[] }

async function importFile(file: string, dataDir: string): Promise<Imported> {
  const s = await openImportServices({ ...DEFAULT_CONFIG, dataDir });
  try {
    const created = await s.store.imports.create(path.basename(file), fs.statSync(file).size, 0);
    const row = await runImport(s, created.id, file, { ports: PORTS, inactivityMs: 30_000 });
    const recordings = s.store.recordings;
    const streams: Stream[] = [];
    for (const c of await recordings.listCalls({ limit: 1000 })) {
      const call = (await recordings.getCall(c.id)) as RecordedCallSummary;
      for (const st of call.streams) streams.push({ ssrc: st.ssrc, packets: st.packets, lost: st.lost, maxDeltaMs: st.maxDeltaMs ?? 0, meanJitterMs: st.meanJitterMs ?? 0, maxJitterMs: st.maxJitterMs ?? 0 });
    }
    return { row, summary: row.summary as ImportSummary, streams: streams.sort((a, b) => a.ssrc - b.ssrc) };
  } finally {
    await s.close();
  }
}

interface SipLine { proto: string; record: { callId?: string; cseq?: { seq: number; method: string }; from?: { tag?: string } } }

function decodedSip(file: string): Array<[string | undefined, number | undefined, string | undefined, string | undefined]> {
  const r = spawnSync(process.execPath, [CLI, 'decode', file, '--json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`decode exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as SipLine).filter((l) => l.proto === 'sip')
    .map((l) => [l.record.callId, l.record.cseq?.seq, l.record.cseq?.method, l.record.from?.tag]);
}

function editcap(format: string, from: string, to: string): void {
  const r = spawnSync('editcap', ['-F', format, from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`editcap -F ${format} failed (${r.status}): ${r.stderr || r.error?.message}`);
}

describe.skipIf(!haveTshark)('capture import vs tshark', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  const files: Record<string, string> = {};
  const imported: Record<string, Imported> = {};

  beforeAll(async () => {
    files['pcap (ours)'] = path.join(dir, 'sim.pcap');
    await simulateToPcap({ target: '192.0.2.200', phones: 4, callsPerHour: 150, durationMs: 120_000, seed: 23, scenario: 'mixed', startMs: Date.parse('2026-03-02T09:00:00Z'), ports: PORTS }, files['pcap (ours)']);
    files['pcapng (editcap)'] = path.join(dir, 'editcap.pcapng');
    editcap('pcapng', files['pcap (ours)'], files['pcapng (editcap)']);
    files['nanosecond pcap (editcap)'] = path.join(dir, 'editcap-ns.pcap');
    editcap('nsecpcap', files['pcap (ours)'], files['nanosecond pcap (editcap)']);
    files['pcapng (ours)'] = path.join(dir, 'ours.pcapng');
    const records = classicRecords(fs.readFileSync(files['pcap (ours)']));
    fs.writeFileSync(files['pcapng (ours)'], pcapngFile([{ interfaces: [{ linkType: 1, tsresol: 9 }], packets: records.map((r) => ({ interfaceId: 0, timeMs: r.timeMs, data: r.data })) }]));
    for (const [name, file] of Object.entries(files)) imported[name] = await importFile(file, path.join(dir, `data-${Object.keys(imported).length}`));
  }, 120_000);

  const names = ['pcap (ours)', 'pcapng (editcap)', 'nanosecond pcap (editcap)', 'pcapng (ours)'];

  for (const name of names) {
    describe(name, () => {
      it('counts the frames of each protocol as tshark does', () => {
        const got = imported[name]!;
        expect(got.row.status).toBe('done');
        expect(got.row.errors).toEqual([]);
        const theirs = tsharkProtocols(files[name]!);
        expect(got.summary.protocols).toEqual(theirs);
        expect(got.summary.frames).toBe(Object.values(theirs).reduce((a, b) => a + b, 0));
        expect(theirs['acdr']).toBeGreaterThan(1000);
        expect(theirs['syslog']).toBeGreaterThan(0);
        expect(theirs['sip']).toBeGreaterThan(0);
      });

      it('gives each recorded stream the packets, loss, max delta and jitter of tshark rtp,streams', () => {
        const ours = imported[name]!.streams;
        const theirs = tsharkStreams(files[name]!);
        expect(ours.map((s) => s.ssrc)).toEqual(theirs.map((s) => s.ssrc));
        expect(theirs.some((s) => s.lost > 0)).toBe(true);
        ours.forEach((o, i) => {
          const t = theirs[i]!;
          expect({ ssrc: o.ssrc, packets: o.packets, lost: o.lost }).toEqual({ ssrc: t.ssrc, packets: t.packets, lost: t.lost });
          expect(Math.abs(o.maxDeltaMs - t.maxDeltaMs), `max delta of 0x${o.ssrc.toString(16)}`).toBeLessThan(MS_TOLERANCE);
          expect(Math.abs(o.meanJitterMs - t.meanJitterMs), `mean jitter of 0x${o.ssrc.toString(16)}`).toBeLessThan(MS_TOLERANCE);
          expect(Math.abs(o.maxJitterMs - t.maxJitterMs), `max jitter of 0x${o.ssrc.toString(16)}`).toBeLessThan(MS_TOLERANCE);
        });
      });

      it('decodes each SIP report with the Call-ID, CSeq and From tag tshark reads', () => {
        const theirs = tsharkFields(files[name]!, ['sip.Call-ID', 'sip.CSeq.seq', 'sip.CSeq.method', 'sip.from.tag'], { filter: 'sip' })
          .map((r) => [r.first('sip.Call-ID'), Number(r.first('sip.CSeq.seq')), r.first('sip.CSeq.method'), r.first('sip.from.tag')]);
        expect(theirs.length).toBeGreaterThan(0);
        expect(decodedSip(files[name]!)).toEqual(theirs);
      });
    });
  }

  it('imports the same summary from every file', () => {
    // Times to the µs: a double holds epoch ms only to ~0.0002 ms, and ns → ms may land one step off.
    const us = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000));
    const strip = (s: ImportSummary) => ({ ...s, bytes: 0, firstMs: us(s.firstMs), lastMs: us(s.lastMs) });
    for (const name of names.slice(1)) expect(strip(imported[name]!.summary), name).toEqual(strip(imported[names[0]!]!.summary));
  });
});
