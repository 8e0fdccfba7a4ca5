/**
 * Bench case `import`: a large capture written to disk (1 GB in the full run, 4 MB in smoke) from
 * simulated traffic repeated with shifted times, imported by `ipp-collector import` in its own
 * process. Reports MB/s and packets/s, the import process's peak RSS (VmHWM, polled while it runs;
 * target < 300 MB), and `tshark -d udp.port==50000,acdr -q -z rtp,streams` on the same file as the
 * reference (ratio = tshark time / import time; > 1 means the import is faster).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.js';
import { simulateToPcap } from '../server/simulator/run.js';
import { peakRssMb, type BenchOptions, type CaseResult } from './harness.js';

const FULL_BYTES = 1024 * 1024 * 1024;
const SMOKE_BYTES = 4 * 1024 * 1024;
const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;
const RSS_POLL_MS = 100;
const RSS_TARGET_MB = 300;
const PORTS = { syslog: 514, recording: 50000, sip: 5060 };

export async function importCase(o: BenchOptions): Promise<CaseResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-import-'));
  try {
    const base = path.join(dir, 'base.pcap');
    const durationMs = o.smoke ? 60_000 : 300_000;
    await simulateToPcap({ target: '192.0.2.200', phones: o.smoke ? 3 : 20, callsPerHour: 120, durationMs, seed: 7, scenario: 'mixed', startMs: Date.parse('2026-01-05T08:00:00Z'), ports: PORTS }, base);
    const file = path.join(dir, 'big.pcap');
    const packets = writeRepeated(readFileSync(base), file, o.smoke ? SMOKE_BYTES : FULL_BYTES, Math.ceil(durationMs / 1000) + 60);
    const bytes = statSync(file).size;
    const ours = await runImport(file, path.join(dir, 'data'));
    const t0 = performance.now();
    const t = spawnSync('tshark', ['-r', file, '-d', `udp.port==${PORTS.recording},acdr`, '-q', '-z', 'rtp,streams'], { stdio: 'ignore' });
    const tsharkS = t.status === 0 ? (performance.now() - t0) / 1000 : null;
    const mb = bytes / 1e6;
    return {
      name: 'import',
      load: `ipp-collector import of a ${mb.toFixed(0)} MB classic pcap (${packets} packets: syslog, ACDR recordings, SIP reports; simulated traffic repeated with shifted times)`,
      result: { fileMb: round(mb), packets, seconds: round(ours.seconds), mbPerS: round(mb / ours.seconds), packetsPerS: Math.round(packets / ours.seconds), exitCode: ours.exitCode, tsharkSeconds: tsharkS === null ? null : round(tsharkS) },
      peakRssMb: ours.peakRssMb,
      reference: tsharkS === null ? null : { tool: 'tshark -d udp.port==50000,acdr -q -z rtp,streams', seconds: round(tsharkS) },
      ratio: tsharkS === null ? null : round(tsharkS / ours.seconds),
      notes: [
        `peak RSS target < ${RSS_TARGET_MB} MB (VmHWM of the import process, polled every ${RSS_POLL_MS} ms)`,
        'the import stores everything (logs, recordings, calls); tshark only reads and sums up streams',
        ...(tsharkS === null ? ['tshark not available: no reference'] : []),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the base capture's records again and again, each round `shiftS` later, up to `target` bytes. */
function writeRepeated(pcap: Buffer, file: string, target: number, shiftS: number): number {
  const fd = openSync(file, 'w');
  let written = 0;
  let packets = 0;
  try {
    written += writeSync(fd, pcap.subarray(0, PCAP_HEADER_BYTES));
    const body = pcap.subarray(PCAP_HEADER_BYTES);
    for (let round = 0; written < target; round++) {
      const copy = Buffer.from(body);
      for (let at = 0; at + RECORD_HEADER_BYTES <= copy.length; at += RECORD_HEADER_BYTES + copy.readUInt32LE(at + 8)) {
        copy.writeUInt32LE(copy.readUInt32LE(at) + round * shiftS, at);
        packets++;
      }
      for (let at = 0; at < copy.length; at += WRITE_CHUNK_BYTES) written += writeSync(fd, copy.subarray(at, at + WRITE_CHUNK_BYTES));
    }
  } finally {
    closeSync(fd);
  }
  return packets;
}

function runImport(file: string, dataDir: string): Promise<{ seconds: number; peakRssMb: number | null; exitCode: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist/server/cli.js'), 'import', file, '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    let peak: number | null = null;
    // VmHWM is gone once the process exits: keep the last reading taken while it ran.
    const poll = setInterval(() => { peak = peakRssMb(child.pid!) ?? peak; }, RSS_POLL_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ seconds: (performance.now() - started) / 1000, peakRssMb: peak, exitCode: code });
    });
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
