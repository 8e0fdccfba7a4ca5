// Starts the real collector (`node bin/ipp-collector.js serve`) on free loopback ports with a
// throwaway data directory, for integration and browser tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../../bench/free-ports.js';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 10_000;
/** Keep the tail of stderr for failure messages, not all of it. */
const STDERR_KEEP_CHARS = 16_384;

export interface CollectorPorts {
  web: number;
  syslogUdp: number;
  syslogTcp: number;
}

export interface RunningCollector {
  webUrl: string;
  ports: CollectorPorts;
  dataDir: string;
  /** What the collector wrote to stderr so far (its tail). */
  stderr(): string;
  /** SIGTERM, then waits for the process to exit (SIGKILL after 10 s); removes the data directory. */
  stop(): Promise<void>;
  /** Sends a signal (fault tests: SIGKILL mid-ingest) and waits for the exit; the data directory stays. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Distinct free loopback ports for the collector's listeners. */
async function collectorPorts(): Promise<CollectorPorts> {
  const { tcp: [web, syslogTcp], udp: [syslogUdp] } = await freePorts(2, 1);
  return { web: web!, syslogTcp: syslogTcp!, syslogUdp: syslogUdp! };
}

/** Any answer below 500 means the web port is up (a 401 included: auth may be on). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    // The test's own self-signed certificate: readiness is all this checks.
    const req = get(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function spawnCollector(extraArgs: readonly string[] = []): Promise<RunningCollector> {
  const ports = await collectorPorts();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-collector-'));
  const args = [
    'bin/ipp-collector.js', 'serve',
    '--data-dir', dataDir,
    '--bind', '127.0.0.1',
    '--web-port', String(ports.web),
    '--syslog-port', String(ports.syslogUdp),
    '--syslog-tcp-port', String(ports.syslogTcp),
    // Fixed default ports (50000, 5060, 9060) would collide between tests running side by side;
    // a test that needs these listeners passes its own ports after these (the last one wins).
    '--recording-port', '0',
    '--sip-port', '0',
    '--hep-port', '0',
    // Tests that are not about access control run without it; security tests pass `--auth on`.
    '--no-auth',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  // `serve` prints its dashboard address once every listener is up (the web port answers earlier).
  let started = false;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => { if (chunk.includes('dashboard:')) started = true; });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
  });
  const webUrl = `${extraArgs.includes('--tls-cert') ? 'https' : 'http'}://127.0.0.1:${ports.web}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`collector exited (${child.exitCode ?? child.signalCode}) before it was ready: node ${args.join(' ')}\n${stderr}`);
    }
    if (started && await answers(`${webUrl}/api/auth/session`)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`collector did not answer ${webUrl}/api/auth/session within ${READY_TIMEOUT_MS} ms\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }

  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    child.kill(signal);
    await exited(child);
  };
  return { webUrl, ports, dataDir, stderr: () => stderr, stop, kill };
}
