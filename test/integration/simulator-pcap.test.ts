/**
 * The simulator into a capture: reproducible to the byte for a seed, decoded by tshark as syslog,
 * ACDR (RTP/RTCP inside) and SIP in the numbers the simulator's event log states, and the planned
 * impairments visible in tshark's own RTP stream analysis.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EventLog } from '../../server/simulator/event-log.js';
import { simulateToPcap, type SimulateOptions } from '../../server/simulator/run.js';
import { requireTshark, runTshark, tsharkFields } from '../support/tshark.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
const ACDR = 'udp.port==50000,acdr';

function options(o: Partial<SimulateOptions>): SimulateOptions {
  return {
    target: '127.0.0.1', phones: 4, callsPerHour: 60, durationMs: 120_000, seed: 5, scenario: 'mixed',
    startMs: Date.parse('2026-01-01T09:00:00Z'), ports: { syslog: 514, recording: 50000, sip: 5060 }, ...o,
  };
}

async function capture(name: string, o: Partial<SimulateOptions>): Promise<{ file: string; log: EventLog }> {
  const file = path.join(dir, `${name}.pcap`);
  const r = await simulateToPcap(options(o), file);
  return { file, log: r.log };
}

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** tshark's RTP stream list: SSRC → packets and lost. */
function rtpStreams(file: string): Map<number, { packets: number; lost: number }> {
  const out = runTshark(file, ['-d', ACDR, '-q', '-z', 'rtp,streams']);
  const streams = new Map<number, { packets: number; lost: number }>();
  for (const line of out.split('\n')) {
    const m = /\s(0x[0-9A-Fa-f]{8})\s+\S+\s+(\d+)\s+(-?\d+) \(/.exec(line);
    if (m) streams.set(parseInt(m[1]!, 16), { packets: Number(m[2]), lost: Number(m[3]) });
  }
  return streams;
}

describe.skipIf(!requireTshark())('simulated capture', () => {
  it('is byte-for-byte the same for the same seed, and different for another seed', async () => {
    const a = await capture('a', { seed: 11 });
    const b = await capture('b', { seed: 11 });
    const c = await capture('c', { seed: 12 });
    expect(sha256(a.file)).toBe(sha256(b.file));
    expect(sha256(c.file)).not.toBe(sha256(a.file));
  });

  it('decodes in tshark as syslog, ACDR with RTP and RTCP inside, and SIP requests, in the event log\'s numbers', async () => {
    const { file, log } = await capture('counts', { phones: 12, scenario: 'bursty-loss' });
    const rows = tsharkFields(file, ['frame.protocols', 'sip.Method', 'sip.Status-Code'], { decodeAs: [ACDR] });
    const count = (pred: (protocols: string, method: string | undefined) => boolean) => rows.filter((r) => pred(r.first('frame.protocols') ?? '', r.first('sip.Method'))).length;
    expect(count((p) => p.endsWith(':syslog'))).toBe(log.counts.syslog);
    expect(count((p) => p.includes(':acdr:rtp'))).toBe(log.counts['acdr-rtp']);
    expect(count((p) => p.includes(':acdr:rtcp'))).toBe(log.counts['acdr-rtcp']);
    expect(count((p, m) => p.includes(':sip') && m === 'PUBLISH')).toBe(log.counts['sip-publish']);
    expect(count((p, m) => p.includes(':sip') && m === 'SERVICE')).toBe(log.counts['sip-service']);
    expect(rows.length).toBe(Object.values(log.counts).reduce((a, b) => a + b, 0));
    expect(rows.some((r) => r.first('sip.Status-Code') !== undefined)).toBe(false);
    expect(log.counts['sip-publish']).toBeGreaterThan(0);
    expect(log.counts['sip-service']).toBeGreaterThan(0);
  });

  it('shows every loss burst as lost packets in that call\'s received stream, and nothing lost in clean ones', async () => {
    const { file, log } = await capture('bursts', { phones: 6, scenario: 'bursty-loss', seed: 8 });
    const streams = rtpStreams(file);
    const bursts = log.impairments.filter((i) => i.kind === 'loss-burst');
    expect(bursts.length).toBeGreaterThan(2);
    for (const call of log.calls) {
      const rx = streams.get(call.ssrcRx)!;
      const tx = streams.get(call.ssrcTx)!;
      expect(rx.lost).toBe(call.rxExpected - call.rxReceived);
      expect(tx.lost).toBe(0);
      const burstLoss = bursts.filter((b) => b.call === call.index).reduce((n, b) => n + b.lostPackets!, 0);
      expect(rx.lost).toBeGreaterThanOrEqual(burstLoss);
    }
  });

  it('has one RTP stream per one-way call: the phone\'s own', async () => {
    const { file, log } = await capture('one-way', { phones: 4, scenario: 'one-way', seed: 3 });
    const streams = rtpStreams(file);
    expect(log.calls.length).toBeGreaterThan(0);
    expect(streams.size).toBe(log.calls.length);
    for (const call of log.calls) {
      expect(streams.has(call.ssrcTx)).toBe(true);
      expect(streams.has(call.ssrcRx)).toBe(false);
    }
  });

  it('writes the jitter spikes where the event log says: tshark\'s max jitter of those streams is high, of the others low', async () => {
    const { file, log } = await capture('jitter', { phones: 4, scenario: 'jitter-storm', seed: 4 });
    const out = runTshark(file, ['-d', ACDR, '-q', '-z', 'rtp,streams']);
    const maxJitter = new Map<number, number>();
    for (const line of out.split('\n')) {
      const cols = line.trim().split(/\s+/);
      const ssrc = cols.find((c) => /^0x[0-9A-F]{8}$/i.test(c));
      // The last column is the max jitter, unless tshark added its "X" (problems) mark after it.
      if (ssrc && cols.length >= 16) maxJitter.set(parseInt(ssrc, 16), Number(cols.at(-1) === 'X' ? cols.at(-2) : cols.at(-1)));
    }
    expect(log.impairments.filter((i) => i.kind === 'jitter-spike').length).toBeGreaterThan(0);
    for (const call of log.calls) {
      const spikes = log.impairments.filter((i) => i.call === call.index && i.kind === 'jitter-spike');
      if (spikes.length > 0) expect(maxJitter.get(call.ssrcRx)).toBeGreaterThan(10);
      expect(maxJitter.get(call.ssrcTx)).toBeLessThan(1);
    }
  });
});

describe('ipp-collector simulate (the built CLI)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/ipp-collector.js', 'simulate', ...args], { cwd: fileURLToPath(new URL('../../', import.meta.url)), encoding: 'utf8' });

  it('writes the capture and its event log, and says what it sent', () => {
    const file = path.join(dir, 'cli.pcap');
    const r = cli(['--target', '127.0.0.1', '--phones', '3', '--duration', '60', '--calls-per-hour', '120', '--seed', '9', '--pcap', file]);
    expect(r.status).toBe(0);
    const log = JSON.parse(fs.readFileSync(path.join(dir, 'cli.events.json'), 'utf8')) as EventLog;
    const total = Object.values(log.counts).reduce((a, b) => a + b, 0);
    expect(r.stdout).toContain(`${total} datagrams`);
    expect(log.start).toBe('2026-01-01T09:00:00.000Z');
    expect(log.phones).toHaveLength(3);
  });

  it('writes a capture without --target, addressed to the documentation address', () => {
    const file = path.join(dir, 'no-target.pcap');
    const r = cli(['--phones', '2', '--duration', '30', '--seed', '4', '--pcap', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const log = JSON.parse(fs.readFileSync(path.join(dir, 'no-target.events.json'), 'utf8')) as EventLog;
    expect(JSON.stringify(log.target)).toContain('192.0.2.10');
    expect(fs.statSync(file).size).toBeGreaterThan(24);
  });

  it('asks for --target when sending live', () => {
    const r = cli(['--phones', '1', '--duration', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--target');
  });

  it('refuses a bad flag with one line saying which and why', () => {
    const r = cli(['--target', '127.0.0.1', '--scenario', 'thunderstorm']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['ipp-collector: --scenario: "thunderstorm" is not one of clean, bursty-loss, one-way, jitter-storm, mixed']);
  });
});
