/**
 * `ipp-collector demo` (`npm run demo`): the collector on a throwaway data directory and free
 * loopback ports, fed by simulated phones, so a newcomer sees live logs, calls and a poor call
 * within a minute without owning a phone. Ctrl-C / SIGTERM stops both and removes the data.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { loadCollector } from './load-collector.js';
import { DEFAULT_CONFIG, type CollectorConfig } from '../config.js';
import { DEFAULT_CRASH_EVERY_MS } from '../simulator/crash.js';
import { simulateLive, type SimulationResult } from '../simulator/run.js';
import { fail } from './fail.js';
import { summarise } from './simulate.js';

const DEMO_BIND = '127.0.0.1';
const PREFERRED_WEB_PORT = 8080;
/** Long enough that the demo never runs out of calls; it stops when asked. */
const DEMO_DURATION_MS = 24 * 3600_000;
const PORT_ATTEMPTS = 20;

function tcpPortFree(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen(port, DEMO_BIND, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function udpPortFree(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(null); });
    s.bind(port, DEMO_BIND, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** A port free for both TCP and UDP (the SIP receiver listens on both). */
async function freeTcpUdpPort(): Promise<number> {
  for (let i = 0; i < PORT_ATTEMPTS; i++) {
    const p = await tcpPortFree(0);
    if (p !== null && (await udpPortFree(p)) !== null) return p;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
}

interface DemoFlags { phones: string; callsPerHour: string; seed: string; webPort?: string; speed: string }

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('start the collector with simulated phones feeding it (throwaway data, free ports); Ctrl-C stops both')
    .option('--phones <n>', 'simulated phones', '12')
    .option('--calls-per-hour <r>', 'calls each phone starts per hour', '60')
    .option('--seed <x>', 'simulation seed', '1')
    .option('--web-port <port>', `dashboard port; 0 = any free one (default ${PREFERRED_WEB_PORT} if free, else any free one)`)
    .option('--speed <x>', 'simulated seconds per real second', '1')
    .action(async (flags: DemoFlags) => {
      const phones = Number(flags.phones);
      const callsPerHour = Number(flags.callsPerHour);
      const seed = Number(flags.seed);
      const speed = Number(flags.speed);
      if (!Number.isInteger(phones) || phones < 1 || phones > 1000) fail(`--phones: "${flags.phones}" is not a whole number from 1 to 1000`);
      if (!(callsPerHour > 0) || !(speed > 0) || !Number.isInteger(seed) || seed < 0) fail('--calls-per-hour, --speed and --seed must be positive numbers');
      // Unlike `serve`, 0 here means "any free port": a demo without its dashboard shows nothing.
      const asked = flags.webPort === undefined ? PREFERRED_WEB_PORT : Number(flags.webPort);
      const webPort = asked === 0 ? await tcpPortFree(0) : ((await tcpPortFree(asked)) ?? (flags.webPort === undefined ? await tcpPortFree(0) : null));
      if (webPort === null || !Number.isInteger(webPort) || webPort < 0 || webPort > 65535) fail(`dashboard port ${flags.webPort ?? PREFERRED_WEB_PORT} is not free or not a port`);
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-demo-'));
      const config: CollectorConfig = {
        ...DEFAULT_CONFIG,
        // Throwaway data on loopback only: no login, and the page banner says so.
        auth: 'off',
        dataDir,
        bind: DEMO_BIND,
        webPort,
        syslogPort: (await udpPortFree(0))!,
        syslogTcpPort: 0,
        recordingPort: (await udpPortFree(0))!,
        sipPort: await freeTcpUdpPort(),
      };
      let collector;
      try {
        collector = await (await loadCollector())(config);
      } catch (err) {
        rmSync(dataDir, { recursive: true, force: true });
        fail(`cannot start the collector: ${(err as Error).message}`);
      }
      const out = process.stdout;
      out.write(`ipp-collector demo: data in ${dataDir} (removed when the demo stops)\n`);
      for (const l of collector.listeners) {
        if (l.state === 'listening') out.write(`  ${l.name.padEnd(11)} ${l.transport.toUpperCase()} ${l.address} port ${l.port}\n`);
      }
      out.write(`  simulator   ${phones} phones, mixed impairments (docs/simulator.md); the first call is a poor one\n`);
      out.write(`dashboard: ${collector.webUrl}\nCtrl-C stops the demo.\n`);

      const controller = new AbortController();
      const simulation: Promise<SimulationResult> = simulateLive({
        target: DEMO_BIND, phones, callsPerHour, durationMs: DEMO_DURATION_MS, seed, scenario: 'mixed', startMs: Date.now(),
        ports: { syslog: config.syslogPort, recording: config.recordingPort, sip: config.sipPort },
        // The dashboard's own port, so crashing phones upload tombstones (about one per phone-hour).
        webPort: config.webPort, crashEveryMs: DEFAULT_CRASH_EVERY_MS,
      }, { speed, signal: controller.signal });
      simulation.then((r) => r.notes.forEach((n) => process.stderr.write(`note: ${n}\n`)), (err: Error) => process.stderr.write(`simulator stopped: ${err.message}\n`));

      const shutdown = (signal: string): void => {
        process.stderr.write(`${signal}: stopping the simulator and the collector…\n`);
        controller.abort();
        simulation.catch(() => null)
          .then(async (r) => {
            await collector.stop();
            rmSync(dataDir, { recursive: true, force: true });
            if (r) process.stderr.write(`sent ${summarise(r)}\n`);
            process.stderr.write('demo stopped cleanly, data removed\n');
            process.exit(0);
          })
          .catch((err: Error) => { process.stderr.write(`stop failed: ${err.message}\n`); process.exit(1); });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
