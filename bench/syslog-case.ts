/**
 * Syslog ingest: UDP datagrams over loopback at rising rates, 10 s per step, until something is
 * lost (sent ≠ stored). Also the in-process parse+store rate, and rsyslog (imudp → file) on the
 * same traffic where it is installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeSyslog } from '../parsers/syslog.js';
import { isDecodeError } from '../parsers/decode-error.js';
import { classifyModule } from '../parsers/phone-module.js';
import { openStoreOnThisThread } from '../server/store/open-store.js';
import type { LogRecord } from '../server/store/types.js';
import { highestZeroLossRate, rateLadder, runSender, settle, sleep, stopProcess, UDP_SENDER, type BenchOptions, type CaseResult, type RateStep } from './harness.js';
import { syslogLine } from './syslog-lines.js';

const FULL_RATES = [20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 150_000];
const SMOKE_RATES = [2_000];
const BASE_PORT = 47_000;


export async function syslogCase(o: BenchOptions): Promise<CaseResult> {
  const rates = o.smoke ? SMOKE_RATES : FULL_RATES;
  const seconds = o.smoke ? 1 : 10;
  const ours = await collectorSteps(rates, seconds);
  const reference = rsyslogAvailable() ? await rsyslogSteps(rates, seconds) : null;
  const oursHeld = highestZeroLossRate(ours.steps);
  const refHeld = reference ? highestZeroLossRate(reference) : null;
  return {
    name: 'syslog',
    load: `UDP syslog over loopback, ${seconds} s per rate step, rates ${rates.join(', ')} lines/s, 80-400 byte lines of 8 modules`,
    result: {
      highestRateZeroLoss: oursHeld,
      steps: ours.steps,
      parseAndStoreLinesPerS: parseStoreRate(o.smoke ? 20_000 : 200_000),
    },
    peakRssMb: ours.peakRssMb,
    reference: reference ? { tool: 'rsyslogd imudp → omfile', highestRateZeroLoss: refHeld, steps: reference } : null,
    ratio: refHeld ? Math.round((oursHeld / refHeld) * 100) / 100 : null,
    notes: ['sender, collector (main thread + store worker) share the 2 cores; a step stops the run once it loses lines'],
  };
}

function collectorSteps(rates: number[], seconds: number): Promise<{ steps: RateStep[]; peakRssMb: number | null }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-'));
  const [web, udp] = [BASE_PORT, BASE_PORT + 1];
  return rateLadder({
    collectorArgs: ['--data-dir', dataDir, '--bind', '127.0.0.1', '--syslog-port', String(udp), '--syslog-tcp-port', '0',
      '--recording-port', '0', '--sip-port', '0', '--retention-max-mb', '100000'],
    webPort: web,
    source: 'syslog-udp',
    rates,
    send: (rate, offset) => runSender(UDP_SENDER, ['127.0.0.1', String(udp), String(rate), String(seconds), String(offset)]),
  });
}

function rsyslogAvailable(): boolean {
  return ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].some((p) => existsSync(p));
}

async function rsyslogSteps(rates: number[], seconds: number): Promise<RateStep[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-rsyslog-'));
  const port = BASE_PORT + 2;
  const out = path.join(dir, 'out.log');
  const conf = path.join(dir, 'rsyslog.conf');
  // rsyslog's own high-rate recipe: two imudp threads with batched recvmmsg, async file writes.
  writeFileSync(conf, `global(workDirectory="${dir}")
module(load="imudp" threads="2" batchSize="128")
input(type="imudp" address="127.0.0.1" port="${port}")
main_queue(queue.type="FixedArray" queue.size="250000" queue.dequeueBatchSize="4096")
*.* action(type="omfile" file="${out}" asyncWriting="on" ioBufferSize="256k" flushOnTXEnd="off" template="RSYSLOG_FileFormat")
`);
  const child = spawn(rsyslogBinary(), ['-n', '-f', conf, '-i', path.join(dir, 'pid')], { stdio: 'ignore' });
  await sleep(1000);
  const lines = async () => (existsSync(out) ? countLines(out) : 0);
  const steps: RateStep[] = [];
  let offset = 0;
  try {
    for (const rate of rates) {
      const before = await settle(lines, 1000);
      const s = await runSender(UDP_SENDER, ['127.0.0.1', String(port), String(rate), String(seconds), String(offset)]);
      offset += s.sent;
      const after = await settle(lines, 2500);
      // rsyslog writes each datagram as one line (it escapes the SIP message's new lines).
      const datagrams = after - before;
      const step = { rate, sent: s.sent, stored: datagrams, lost: s.sent - datagrams, sendSeconds: s.elapsedMs / 1000 };
      steps.push(step);
      if (step.lost > 0) break;
    }
  } finally {
    await stopProcess(child);
  }
  return steps;
}

function rsyslogBinary(): string {
  return existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : '/sbin/rsyslogd';
}

function countLines(file: string): number {
  if (statSync(file).size === 0) return 0;
  return Number(execFileSync('wc', ['-l', file]).toString().trim().split(/\s+/)[0]);
}

/** Decode + classify + write in 5,000-line transactions, on one thread, no network. */
function parseStoreRate(lines: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-store-'));
  const store = openStoreOnThisThread(path.join(dir, 'db.sqlite'));
  const datagrams = Array.from({ length: lines }, (_, i) => Buffer.from(syslogLine(i)));
  const t0 = performance.now();
  let batch: LogRecord[] = [];
  let id = 1;
  const flush = () => {
    void store.write({ logs: batch, devices: [] });
    batch = [];
  };
  for (const d of datagrams) {
    const msgs = decodeSyslog(d, { referenceMs: Date.now() });
    if (isDecodeError(msgs)) continue;
    for (const m of msgs) {
      batch.push({
        id: id++, receivedAt: Date.now(), deviceId: 1, source: 'syslog-udp', format: m.format, facility: m.facility, severity: m.severity,
        deviceTime: m.timestamp, deviceTs: m.timestampMs, hostname: m.hostname, app: m.app, pid: m.pid, msgid: m.msgid,
        module: classifyModule(m.app, m.message), seq: m.seq, sid: m.sid, message: m.message, raw: m.raw.slice(),
        structuredData: m.structuredData, warnings: m.warnings, importId: null,
      });
    }
    if (batch.length >= 5000) flush();
  }
  flush();
  const rate = Math.round(lines / ((performance.now() - t0) / 1000));
  void store.close();
  return rate;
}
