// Listener guards on a running collector: senders outside the allow-list are dropped and counted,
// and a flooding sender is cut to its rate while another sender's lines all arrive.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { freePorts } from '../../bench/free-ports.js';

const FLOOD_LINES = 5000;
const POLITE_LINES = 100;
const RATE_PER_S = 200;

let collector: RunningCollector;
let dataDir: string;
let port: number;

function sender(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => resolve(s));
  });
}

const send = (s: dgram.Socket, text: string) => new Promise<void>((r) => s.send(text, port, '127.0.0.1', () => r()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const p = await freePorts(1, 1);
  port = p.udp[0]!;
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-guard-'));
  collector = await startCollector({
    ...DEFAULT_CONFIG, auth: 'off', dataDir, bind: '127.0.0.1', webPort: p.tcp[0]!, syslogPort: port, syslogTcpPort: 0, recordingPort: 0, sipPort: 0,
    allowSyslog: '127.0.0.1/32, 127.0.0.2', sourceRateLimit: RATE_PER_S, sourceRateBurst: RATE_PER_S,
  });
});

afterAll(async () => {
  await collector?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('listener guards', () => {
  it('limits a flooding sender while every line of a second sender arrives, and drops a sender outside the allow-list', async () => {
    const flooder = await sender('127.0.0.1');
    const polite = await sender('127.0.0.2');
    const stranger = await sender('127.0.0.3');
    const flood = (async () => {
      for (let i = 0; i < FLOOD_LINES; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => send(flooder, `<14>Nov 26 10:00:00 voip_task: flood ${i + j}`)));
        await sleep(1);
      }
    })();
    for (let i = 0; i < POLITE_LINES; i++) {
      await send(polite, `<14>Nov 26 10:00:00 voip_task: polite ${i}`);
      if (i % 10 === 0) await send(stranger, `<14>Nov 26 10:00:00 voip_task: stranger ${i}`);
      await sleep(5);
    }
    await flood;
    for (const s of [flooder, polite, stranger]) s.close();
    await sleep(500);

    const devices = collector.store;
    const polites = await devices.queryLogs({ text: 'polite', limit: 1000 });
    expect(polites).toHaveLength(POLITE_LINES);
    expect(await devices.queryLogs({ text: 'stranger', limit: 1000 })).toHaveLength(0);
    const c = collector.counters.source('syslog-udp');
    expect(c.denied).toBe(POLITE_LINES / 10);
    expect(c.limited).toBeGreaterThan(FLOOD_LINES / 2);
    expect(c.received + c.limited + c.denied).toBe(FLOOD_LINES + POLITE_LINES + POLITE_LINES / 10);
    const health = await (await fetch(`${collector.webUrl}api/health`)).json() as { guards: Record<string, { allow: string[]; turnedAway: Array<{ address: string; denied: number; limited: number }> }> };
    const g = health.guards['syslog-udp']!;
    expect(g.allow).toEqual(['127.0.0.1/32', '127.0.0.2']);
    expect(g.turnedAway[0]).toMatchObject({ address: '127.0.0.1', denied: 0 });
    expect(g.turnedAway.find((t) => t.address === '127.0.0.3')).toMatchObject({ denied: POLITE_LINES / 10, limited: 0 });
    expect(g.turnedAway.some((t) => t.address === '127.0.0.2')).toBe(false);
  });
});
