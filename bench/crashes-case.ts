/**
 * Crash-dump intake: a large core (the x86-64 fixture core padded with zeros, as a sparse kernel
 * core is once extracted) uploaded raw and gzipped over HTTP. Measures upload-to-stored time and
 * the collector's peak memory, which must stay far below the core's size: the body is streamed to
 * disk while hashed, unwrapped to disk, and decoded through positioned reads.
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../server/package-root.js';
import { freePorts } from './free-ports.js';
import { peakRssMb, startCollectorProcess, stopProcess, waitForDashboard, type BenchOptions, type CaseResult } from './harness.js';

const FULL_CORE_MB = 200;
const SMOKE_CORE_MB = 16;

export async function crashesCase(o: BenchOptions): Promise<CaseResult> {
  const coreMb = o.smoke ? SMOKE_CORE_MB : FULL_CORE_MB;
  const work = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-crashes-'));
  const dataDir = path.join(work, 'data');
  const core = path.join(work, 'core');
  const gz = path.join(work, 'core.gz');
  const fixture = gunzipSync(readFileSync(path.join(PACKAGE_ROOT, 'test/fixtures/crash/core.x86_64.gz')));
  writeFileSync(core, fixture);
  await appendZeros(core, coreMb * 1024 * 1024 - fixture.length);
  await pipeline(createReadStream(core), createGzip({ level: 1 }), createWriteStream(gz));

  const { tcp: [webPort] } = await freePorts(1, 0);
  const child = startCollectorProcess(['--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(webPort),
    '--syslog-port', '0', '--syslog-tcp-port', '0', '--recording-port', '0', '--sip-port', '0']);
  const result: Record<string, unknown> = { coreMb };
  let peak: number | null = null;
  try {
    await waitForDashboard(`http://127.0.0.1:${webPort}`);
    for (const [label, file] of [['raw', core], ['gzip', gz]] as const) {
      const started = performance.now();
      const answer = await post(webPort!, file, `/api/dumps?name=${label}`);
      const seconds = (performance.now() - started) / 1000;
      result[label] = { uploadMb: +(statSync(file).size / 2 ** 20).toFixed(1), seconds: +seconds.toFixed(2), coreMbPerS: +(coreMb / seconds).toFixed(0), status: answer.status, crashes: answer.crashIds };
    }
    peak = peakRssMb(child.pid!);
  } finally {
    await stopProcess(child);
    rmSync(work, { recursive: true, force: true });
  }
  return {
    name: 'crashes',
    load: `one ${coreMb} MB core uploaded raw, then gzipped, over HTTP`,
    result,
    peakRssMb: peak,
    notes: ['peak RSS is the collector process after both uploads; the core itself never sits in memory'],
  };
}

async function appendZeros(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file, { flags: 'a' });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    if (!out.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function post(port: number, file: string, urlPath: string): Promise<{ status: string; crashIds: number[] }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        const json = JSON.parse(body) as { dumps?: Array<{ status: string }>; crashIds?: number[]; error?: string };
        if (!json.dumps) reject(new Error(`upload failed: ${body}`));
        else resolve({ status: json.dumps[0]!.status, crashIds: json.crashIds ?? [] });
      });
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}
