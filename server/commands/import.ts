/**
 * `ipp-collector import FILE... [--data-dir D] [--syslog-port P --recording-port P --sip-port P]`:
 * captures (pcap µs/ns, pcapng) into the store through the live pipeline, without a server.
 * Refuses while a collector runs on the same data directory (import through its dashboard or
 * `POST /api/imports` instead). Progress goes to stderr: a bar on a terminal, one final line otherwise.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { progressBar } from '../capture/progress-bar.js';
import { DEFAULT_CONFIG, type CollectorConfig } from '../config.js';
import type { ImportSummary } from '../import/capture-import.js';
import { runningCollector } from '../import/data-dir-lock.js';
import { openImportServices } from '../import/import-services.js';
import { runImport } from '../import/run-import.js';
import type { ImportRow } from '../store/import-store.js';
import { fail } from './fail.js';

const MAX_PORT = 65535;
const MAX_ISSUES_PRINTED = 20;

interface ImportFlags { dataDir: string; syslogPort: string; recordingPort: string; sipPort: string; callTimeout: string }

function port(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PORT) fail(`--${name}: "${raw}" is not a port (1-65535)`);
  return n;
}

export function registerImport(program: Command): void {
  program.command('import')
    .description('import captures (pcap, nanosecond pcap, pcapng) into the store: syslog, recordings, SIP reports, RTP/RTCP on the wire')
    .argument('<files...>', 'capture files (tcpdump -w, Wireshark, editcap)')
    .option('--data-dir <dir>', 'the collector\'s data directory', DEFAULT_CONFIG.dataDir)
    .option('--syslog-port <port>', 'syslog was sent to this UDP/TCP port', String(DEFAULT_CONFIG.syslogPort))
    .option('--recording-port <port>', 'debug recordings (ACDR) were sent to this UDP port', String(DEFAULT_CONFIG.recordingPort))
    .option('--sip-port <port>', 'SIP (reports, calls) used this port', String(DEFAULT_CONFIG.sipPort))
    .option('--call-timeout <seconds>', 'a recorded call ends after this long without a datagram', String(DEFAULT_CONFIG.recordingCallTimeoutS))
    .action(async (files: string[], f: ImportFlags) => {
      const ports = { syslog: port('syslog-port', f.syslogPort), recording: port('recording-port', f.recordingPort), sip: port('sip-port', f.sipPort) };
      const timeoutS = Number(f.callTimeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) fail(`--call-timeout: "${f.callTimeout}" is not a positive number of seconds`);
      const sizes = files.map((file) => {
        try {
          return statSync(file).size;
        } catch {
          return fail(`cannot read ${file}: no such file`);
        }
      });
      const config: CollectorConfig = { ...DEFAULT_CONFIG, dataDir: path.resolve(f.dataDir) };
      const holder = runningCollector(config.dataDir);
      if (holder !== null) fail(`a collector (pid ${holder}) is using ${config.dataDir}; import through its dashboard (Imports) or POST /api/imports, or stop it first`);
      const services = await openImportServices(config);
      let failed = 0;
      try {
        for (const [i, file] of files.entries()) {
          const row = await services.store.imports.create(path.basename(file), sizes[i]!, Date.now());
          const bar = progressBar(path.basename(file), sizes[i]!);
          const done = await runImport(services, row.id, file, { ports, inactivityMs: timeoutS * 1000, onUpdate: (r) => bar.update(r.progressBytes) });
          bar.end(done.status === 'done' ? done.size : done.progressBytes);
          process.stdout.write(describe(file, done));
          if (done.status !== 'done') failed++;
        }
      } finally {
        await services.close();
      }
      if (failed > 0) process.exitCode = 1;
    });
}

export function describe(file: string, r: ImportRow): string {
  const lines = [`import ${r.id}: ${file} ${r.status}`];
  const s = r.summary as ImportSummary | null;
  if (s) {
    const range = s.firstMs === null ? 'no packets' : `${new Date(s.firstMs).toISOString()} … ${new Date(s.lastMs!).toISOString()}`;
    lines.push(
      `  packets ${s.frames}, bytes ${s.bytes}, time range ${range}`,
      `  per protocol: ${Object.entries(s.protocols).map(([k, v]) => `${k} ${v}`).join(', ') || 'no packets'}`,
      `  not decoded: ${Object.entries(s.undecoded ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing (every packet decoded)'}`,
      `  devices ${s.devices.length}, calls ${s.calls} (recorded ${s.recordedCalls}, reports ${s.reports}, RTP streams ${s.rtpStreams}), logs ${s.logs}, crashes ${s.crashes}, malformed ${s.malformed}`,
    );
  }
  for (const e of r.errors.slice(0, MAX_ISSUES_PRINTED)) lines.push(`  ${e.offset === null ? '' : `offset ${e.offset}: `}${e.message}`);
  if (r.errors.length > MAX_ISSUES_PRINTED) lines.push(`  … ${r.errors.length - MAX_ISSUES_PRINTED} more problems (GET /api/imports/${r.id})`);
  return lines.join('\n') + '\n';
}
