/**
 * Interop with a real SIP tool: sipp plays a phone that sends a vq-rtcpxr PUBLISH
 * (test/fixtures/sipp/publish-vq-rtcpxr.xml) over UDP and over TCP, and must get its 200 OK with
 * a SIP-ETag; the reported call must then be in the API. CI installs sipp (Debian `sip-tester`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { testConfig } from '../support/test-config.js';
import { freePorts } from '../../bench/free-ports.js';
import { waitFor } from '../support/senders.js';

const SCENARIO = fileURLToPath(new URL('../fixtures/sipp/publish-vq-rtcpxr.xml', import.meta.url));
const SIPP_TIMEOUT_S = 15;
const logDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-sipp-log-'));

const hasSipp = spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
if (!hasSipp) {
  if (process.env['IPP_ALLOW_MISSING_ORACLES'] !== '1') {
    throw new Error('interop tool missing: sipp (apt-get install sip-tester, or set IPP_ALLOW_MISSING_ORACLES=1 to skip)');
  }
  console.warn('skipping sipp interop: sipp missing (IPP_ALLOW_MISSING_ORACLES=1)');
}

let collector: RunningCollector;
let base: string;
let sipPort: number;

beforeAll(async () => {
  if (!hasSipp) return;
  const p = await freePorts(2, 0);
  const config = testConfig({ webPort: p.tcp[0]!, sipPort: p.tcp[1]! });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${p.tcp[0]}`;
  sipPort = p.tcp[1]!;
});

afterAll(async () => {
  await collector?.stop();
});

/** Runs sipp as a child process; asynchronously, since the collector answers from this same event loop. */
function runSipp(transport: 'u1' | 't1', localPort: number): Promise<{ status: number | null; output: string }> {
  const errorFile = path.join(logDir, `sipp-${transport}.log`);
  const child = spawn('sipp', [
    '-sf', SCENARIO, '-m', '1', '-t', transport, '-i', '127.0.0.1', '-p', String(localPort),
    '-timeout', `${SIPP_TIMEOUT_S}s`, '-timeout_error', '-nostdin', '-trace_err', '-error_file', errorFile,
    `127.0.0.1:${sipPort}`,
  ]);
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve) => child.on('close', (status) => {
    const errors = existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '';
    resolve({ status, output: `${output.slice(-4000)}\n${errors}` });
  }));
}

describe.skipIf(!hasSipp)('sipp interop', () => {
  it.each(['u1', 't1'] as const)('sipp gets 200 OK with a SIP-ETag for its PUBLISH (transport %s)', async (transport) => {
    const [localPort] = (await freePorts(1, 0)).tcp;
    const r = await runSipp(transport, localPort!);
    // sipp exits 0 only when every call of the scenario succeeded (the 200 came, the ETag matched).
    expect(r.status, r.output).toBe(0);
  });

  it('stores the call sipp reported', async () => {
    const page = await waitFor(
      async () => (await fetch(`${base}/api/calls?q=sipp-reported-`)).json() as Promise<{ total: number; calls: Array<{ verdict: string; sources: string[] }> }>,
      (p) => p.total >= 2,
    );
    expect(page.calls.every((c) => c.verdict === 'good' && c.sources.includes('vq-session'))).toBe(true);
  });
});
