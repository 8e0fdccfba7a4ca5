/**
 * Losses before the collector reads a byte must still be counted: a bounded burst against a small
 * receive buffer while the collector's thread is held busy, then received + kernel-dropped must
 * equal what was sent. Counting is checked here, not speed (that is the bench's job).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { freePorts } from '../../bench/free-ports.js';
import { waitFor } from '../support/senders.js';
import { testConfig } from '../support/test-config.js';

const SENT = 20_000;
const linux = process.platform === 'linux';

let collector: RunningCollector;
let ports: { web: number; udp: number };

beforeAll(async () => {
  const p = await freePorts(1, 1);
  ports = { web: p.tcp[0]!, udp: p.udp[0]! };
  collector = await startCollector(testConfig({ webPort: ports.web, syslogPort: ports.udp, udpReceiveBufferBytes: 64 * 1024 }));
});

afterAll(async () => {
  await collector?.stop();
});

/** Another process sends, so the burst goes on while this thread (the collector's) is held. */
function blast(port: number, count: number): Promise<void> {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    let i = 0;
    const next = () => {
      if (i >= ${count}) { s.close(); return; }
      const line = '<134>Dec  5 10:00:00 phone nxphone: burst line ' + (i++);
      s.send(line, ${port}, '127.0.0.1', next);
    };
    next();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sender exited ${code}`))));
  });
}

function holdThread(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* the kernel buffer fills meanwhile */ }
}

interface Counts { received: number; kernelDropped: number; parsed: number; stored: number; dropped: number; malformed: number }

describe.runIf(linux)('kernel drops on the syslog socket', () => {
  it('counts what the kernel dropped so that received + kernelDropped = sent', async () => {
    const sending = blast(ports.udp, SENT);
    // Let the sender start, then stop reading for long enough that a 64 KB buffer overflows.
    await new Promise((r) => setTimeout(r, 150));
    holdThread(1500);
    await sending;
    const health = async () => ((await (await fetch(`http://127.0.0.1:${ports.web}/api/health`)).json()) as { counters: Record<string, Counts> }).counters['syslog-udp']!;
    const settled = await waitFor(health, (c) => c.received + c.kernelDropped === SENT && c.stored + c.dropped === c.parsed, 15_000);
    expect(settled.kernelDropped).toBeGreaterThan(0);
    expect(settled.received + settled.kernelDropped).toBe(SENT);
    expect(settled.malformed).toBe(0);
  });
});
