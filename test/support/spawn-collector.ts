// Starts the real collector (`node bin/ipp-collector.js serve`) on free loopback ports with a
// throwaway data directory, for integration and browser tests.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
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
}

function listenTcp(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function bindUdp(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** Holds all the sockets open while choosing, so the ports are distinct, then frees them. */
async function freePorts(): Promise<CollectorPorts> {
  const [web, tcp, udp] = await Promise.all([listenTcp(), listenTcp(), bindUdp()]);
  const ports = {
    web: (web.address() as net.AddressInfo).port,
    syslogTcp: (tcp.address() as net.AddressInfo).port,
    syslogUdp: udp.address().port,
  };
  await Promise.all([
    new Promise((r) => web.close(r)),
    new Promise((r) => tcp.close(r)),
    new Promise<void>((r) => udp.close(() => r())),
  ]);
  return ports;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function spawnCollector(extraArgs: readonly string[] = []): Promise<RunningCollector> {
  const ports = await freePorts();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-collector-'));
  const args = [
    'bin/ipp-collector.js', 'serve',
    '--data-dir', dataDir,
    '--bind', '127.0.0.1',
    '--web-port', String(ports.web),
    '--syslog-port', String(ports.syslogUdp),
    '--syslog-tcp-port', String(ports.syslogTcp),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
  });
  const webUrl = `http://127.0.0.1:${ports.web}`;

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
    try {
      const res = await fetch(`${webUrl}/api/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`collector did not answer ${webUrl}/api/health within ${READY_TIMEOUT_MS} ms\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }

  return { webUrl, ports, dataDir, stderr: () => stderr, stop };
}
