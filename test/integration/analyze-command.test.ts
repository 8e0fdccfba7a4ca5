/**
 * `ipp-collector analyze FILE.pcap --json` over a generated capture: the calls, streams and stats
 * the live pipeline would give, recording gaps, and other UDP traffic left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerAnalyze } from '../../server/commands/analyze.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { recordedCallRecords, recordingCapture, recordingFeed } from '../fixtures/gen-recording.js';

interface AnalyzeOut {
  calls: Array<{ id: number; sessionId: string; device: string; start: string; end: string; recordingGaps: number; streams: Array<Record<string, unknown>> }>;
  recordingGaps: number;
  datagrams: number;
}

async function analyze(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerAnalyze(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'ipp-collector', 'analyze', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('ipp-collector analyze', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  const a = recordedCallRecords({ seed: 31, sessionId: 1, packetCount: 300, rx: { lossRate: 0.05, duplicateAt: [20] } });
  const b = recordedCallRecords({ seed: 32, sessionId: 2, packetCount: 300, payloadType: 8, startMs: Date.UTC(2026, 0, 1, 10, 0, 2) });
  const feed = recordingFeed([...a, ...b], { skipSequence: [100, 101, 400] });

  it('prints the calls, streams and stats as JSON, with recording gaps, ignoring other ports', async () => {
    const file = path.join(dir, 'two-calls.pcap');
    const recording = recordingCapture(feed);
    // Some unrelated UDP (syslog) in the same capture.
    const other = pcapFile(LINKTYPE_ETHERNET, [{ ...pcapTime(feed[0]!.timeMs), data: ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 514, dstAddr: '192.0.2.200', dstPort: 514 }, Buffer.from('<134>hello'))) }]);
    fs.writeFileSync(file, Buffer.concat([recording, other.subarray(24)]));
    const out = JSON.parse(await analyze([file, '--json'])) as AnalyzeOut;
    expect(out.datagrams).toBe(feed.length);
    expect(out.recordingGaps).toBe(3);
    expect(out.calls.map((c) => c.sessionId)).toEqual(['abcdef:3:1', 'abcdef:3:2']);
    const [first, second] = out.calls;
    expect(first!.device).toBe('192.0.2.10');
    expect(first!.start).toMatch(/^2026-01-01T10:00:00\.\d{3}Z$/);
    expect(first!.streams).toHaveLength(2);
    const rx = first!.streams.find((s) => s['direction'] === 'rx')!;
    for (const key of ['ssrc', 'payloadType', 'codec', 'tracePoint', 'direction', 'packets', 'expected', 'lost', 'lostPercent', 'sequenceErrors', 'duplicates', 'maxDeltaMs', 'maxJitterMs', 'meanJitterMs', 'mos']) {
      expect(rx).toHaveProperty(key);
    }
    expect(typeof rx['ssrc']).toBe('number');
    expect(rx['duplicates']).toBe(1);
    expect(second!.streams.map((s) => s['codec'])).toEqual(['PCMA', 'PCMA']);
    expect(first!.recordingGaps + second!.recordingGaps).toBe(3);
  });

  it('prints a table without --json', async () => {
    const file = path.join(dir, 'one.pcap');
    fs.writeFileSync(file, recordingCapture(recordingFeed(a)));
    const out = await analyze([file]);
    expect(out).toContain('session abcdef:3:1');
    expect(out).toMatch(/rx\s+0\s+0x11110001\s+PCMU/);
    expect(out).toMatch(/^ {2}recordings: RTP \d+$/m);
  });
});
