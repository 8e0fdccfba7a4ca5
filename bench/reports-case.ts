/**
 * Voice-quality reports: vq-rtcpxr PUBLISHes over UDP at rising rates, each a different call, until
 * one is lost: not answered 200 OK, or not stored (the collector answers only after storing).
 *
 * Run as `node reports-case.js --send HOST PORT RATE SECONDS START` it is the load generator (its own
 * process, so the collector is measured, not the sender): it paces the PUBLISHes, reads the answers
 * and prints {"sent","ok","other","elapsedMs"}.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVqPublish } from '../server/simulator/wire/sip.js';
import { getJson, peakRssMb, settle, sleep, startCollectorProcess, stopProcess, type BenchOptions, type CaseResult } from './harness.js';

const FULL_RATES = [250, 500, 1000, 2000, 3000, 4000];
const SMOKE_RATES = [200];
const BASE_PORT = 47_200;
/** After the last PUBLISH, answers still count for this long (the store may be a little behind). */
const ANSWER_GRACE_MS = 5000;
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

interface Step { rate: number; sent: number; answered200: number; otherAnswers: number; stored: number; lost: number; sendSeconds: number }

export async function reportsCase(o: BenchOptions): Promise<CaseResult> {
  const rates = o.smoke ? SMOKE_RATES : FULL_RATES;
  const seconds = o.smoke ? 1 : 10;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-reports-'));
  const [web, sip] = [BASE_PORT, BASE_PORT + 1];
  const child = startCollectorProcess(['--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(web), '--sip-port', String(sip),
    '--syslog-port', '0', '--syslog-tcp-port', '0', '--recording-port', '0']);
  const stored = async () => {
    const h = await getJson<{ counters: Record<string, { stored: number }> }>(`http://127.0.0.1:${web}/api/health`);
    return h.counters['sip-udp']?.stored ?? 0;
  };
  for (let i = 0; i < 100; i++) {
    try { await stored(); break; } catch { await sleep(100); }
  }
  const steps: Step[] = [];
  let start = 0;
  let peak: number | null = null;
  try {
    for (const rate of rates) {
      const before = await stored();
      const s = await runReportSender(['127.0.0.1', String(sip), String(rate), String(seconds), String(start)]);
      start += s.sent;
      const after = await settle(stored);
      const step: Step = {
        rate, sent: s.sent, answered200: s.ok, otherAnswers: s.other, stored: after - before,
        lost: Math.max(s.sent - s.ok, s.sent - (after - before)), sendSeconds: s.elapsedMs / 1000,
      };
      steps.push(step);
      if (step.lost > 0) break;
    }
    peak = peakRssMb(child.pid!);
  } finally {
    await stopProcess(child);
  }
  return {
    name: 'reports',
    load: `vq-rtcpxr PUBLISH (~1.2 KB, AudioCodes style, one new call each) over UDP loopback, ${seconds} s per step, rates ${rates.join(', ')} reports/s`,
    result: {
      highestRateZeroLoss: steps.filter((s) => s.lost === 0).reduce((m, s) => Math.max(m, s.rate), 0),
      steps,
    },
    peakRssMb: peak,
    notes: ['zero loss = every PUBLISH answered 200 OK (sent only once stored) and counted stored; sender, collector and store worker share the 2 cores'],
  };
}

function runReportSender(args: string[]): Promise<{ sent: number; ok: number; other: number; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--send', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`report sender exited ${code}`))));
  });
}

function publish(i: number): Buffer {
  return Buffer.from(buildVqPublish({
    collector: '127.0.0.1',
    source: { ip: '10.1.0.5', port: 5060 },
    publishCallId: `bench-pub-${i}@10.1.0.5`,
    report: {
      style: 'audiocodes',
      callId: `bench-call-${i}@10.1.0.5`,
      localId: `<sip:${1000 + (i % 500)}@pbx.example>`,
      remoteId: '<sip:2000@pbx.example>',
      localAddr: { ip: '10.1.0.5', port: 6000 + (i % 1000) * 2, ssrc: (0x10000000 + i) >>> 0 },
      remoteAddr: { ip: '10.1.0.9', port: 7000, ssrc: (0x20000000 + i) >>> 0 },
      localMac: '00:90:8f:00:00:05',
      startMs: T0 + i * 1000,
      stopMs: T0 + i * 1000 + 60_000,
      local: { lossPct: i % 10, mosLq: 3 + (i % 15) / 10 },
      remote: {},
    },
  }));
}

async function send(host: string, port: number, rate: number, seconds: number, first: number): Promise<void> {
  const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024, recvBufferSize: 8 * 1024 * 1024 });
  let ok = 0;
  let other = 0;
  socket.on('message', (m) => {
    if (m.subarray(0, 12).toString('latin1') === 'SIP/2.0 200 ') ok++;
    else other++;
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) socket.send(publish(first + sent++), port, host);
      if (sent < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  const elapsedMs = Math.round(performance.now() - started);
  const deadline = Date.now() + ANSWER_GRACE_MS;
  while (ok + other < sent && Date.now() < deadline) await sleep(50);
  process.stdout.write(JSON.stringify({ sent, ok, other, elapsedMs }) + '\n');
  socket.close();
}

if (process.argv[2] === '--send') {
  const [host = '127.0.0.1', port = '5060', rate = '100', seconds = '1', first = '0'] = process.argv.slice(3);
  await send(host, Number(port), Number(rate), Number(seconds), Number(first));
}
