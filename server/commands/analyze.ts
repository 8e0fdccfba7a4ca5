/**
 * `ipp-collector analyze FILE.pcap [--json]`: the debug recordings in a capture, grouped into
 * calls and streams with their stats, by the same pipeline code as live ingest, without the store.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { callJson } from '../json/recorded-call.js';
import { CaptureError, readPcapUdpBatches } from '../capture/pcap-reader.js';
import { terminalProgressBar } from '../capture/progress-bar.js';
import { analyzeCapture, type AnalyzeReport } from '../pipeline/recordings/analyze-capture.js';
import { DEFAULT_CONFIG } from '../config.js';
import { fail } from './fail.js';

const MAX_PORT = 65535;

/** The JSON `analyze --json` prints (documented in docs/api.md). */
export function analyzeJson(r: AnalyzeReport) {
  return {
    calls: r.calls.map((c) => {
      const { deviceAddr, ...rest } = callJson(c);
      return { ...rest, device: deviceAddr };
    }),
    recordingGaps: r.recordingGaps,
    datagrams: r.datagrams,
    malformed: r.malformed,
  };
}

export function registerAnalyze(program: Command): void {
  program.command('analyze')
    .description('analyse the debug recordings (ACDR) in a capture: calls, streams and their RTP stats; nothing is stored')
    .argument('<file>', 'capture: pcap (µs or ns) or pcapng (tcpdump -w, Wireshark, editcap)')
    .option('--json', 'print JSON (calls, streams, stats) instead of a table')
    .option('--port <port>', 'UDP port the recordings were sent to; 0 = any datagram that looks like ACDR', String(DEFAULT_CONFIG.recordingPort))
    .option('--call-timeout <seconds>', 'a call ends after this long without a datagram', String(DEFAULT_CONFIG.recordingCallTimeoutS))
    .action(async (file: string, opts: { json?: boolean; port: string; callTimeout: string }) => {
      const port = Number(opts.port);
      const timeoutS = Number(opts.callTimeout);
      if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) fail(`--port: "${opts.port}" is not a port (0-65535)`);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) fail(`--call-timeout: "${opts.callTimeout}" is not a positive number of seconds`);
      let report: AnalyzeReport;
      try {
        const size = statSync(file).size;
        const bar = terminalProgressBar(path.basename(file), size);
        report = await analyzeCapture(readPcapUdpBatches(file, undefined, (offset) => bar.update(offset)), { port, inactivityMs: timeoutS * 1000 });
        bar.end(size);
      } catch (err) {
        if (err instanceof CaptureError || (err as NodeJS.ErrnoException).code === 'ENOENT') fail(`cannot read ${file}: ${(err as Error).message}`);
        throw err;
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(analyzeJson(report), null, 2) + '\n');
        return;
      }
      process.stdout.write(table(report));
    });
}

function table(r: AnalyzeReport): string {
  const lines = [`${r.datagrams} recording datagrams, ${r.malformed} malformed, ${r.recordingGaps} missing (recording gaps), ${r.calls.length} calls`];
  const f = (n: number | null, digits = 2) => (n === null ? '-' : n.toFixed(digits));
  for (const c of r.calls) {
    lines.push('', `call ${c.id}  session ${c.sessionId}  from ${c.deviceAddr}  ${new Date(c.startMs).toISOString()} … ${new Date(c.endMs).toISOString()}  ${c.verdict}`);
    lines.push(`  recordings: ${c.recordingKinds.map((k) => `${k.name} ${k.datagrams}${k.undecoded > 0 ? ` (${k.undecoded} not RTP-framed)` : ''}`).join(', ')}`);
    lines.push('  dir tp  SSRC        codec   pkts   lost  lost%  seqerr  dup  maxΔms  maxJms  meanJms  MOS');
    for (const s of c.streams) {
      lines.push(`  ${s.direction}  ${String(s.tracePoint).padEnd(3)} 0x${s.ssrc.toString(16).padStart(8, '0')}  ${(s.codec ?? String(s.payloadType)).padEnd(6)}`
        + ` ${String(s.packets).padStart(6)} ${String(s.lost).padStart(6)} ${f(s.lostPercent).padStart(6)} ${String(s.sequenceErrors).padStart(7)}`
        + ` ${String(s.duplicates).padStart(4)} ${f(s.maxDeltaMs, 3).padStart(7)} ${f(s.maxJitterMs, 3).padStart(7)} ${f(s.meanJitterMs, 3).padStart(8)}  ${f(s.mos)}`);
    }
  }
  return lines.join('\n') + '\n';
}
