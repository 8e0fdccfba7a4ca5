/**
 * The collector as a Homer HEP receiver: a voice-quality PUBLISH a capture agent encapsulates
 * (with hep-js, sipcapture's own library) and sends over UDP, and another over TCP, become calls
 * as if the phone had sent them, from the address the agent saw (the agent's capture time is the
 * receive time);
 * a HEP log line is a log line of that address; a packet that is not HEP is counted malformed.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';
import { freePorts } from '../../bench/free-ports.js';
import { waitFor } from '../support/senders.js';
import { testConfig } from '../support/test-config.js';

const HEPjs = createRequire(import.meta.url)('hep-js') as { encapsulate(msg: string, rcinfo: Record<string, unknown>): Buffer };
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);
const PHONE = '192.0.2.10';
let collector: RunningCollector;
let base: string;
let hepPort: number;

interface Health { counters: Record<string, { received: number; malformed: number; dropped: number }>; listeners: Array<{ name: string; state: string }> }
const api = async <T>(p: string): Promise<T> => (await (await fetch(base + p)).json()) as T;

function hep(payload: string, payloadType = 1): Buffer {
  return HEPjs.encapsulate(payload, { protocolFamily: 2, protocol: 17, srcIp: PHONE, dstIp: '192.0.2.1', srcPort: 5060, dstPort: 5060, timeSeconds: T0 / 1000 + 61, timeUseconds: 0, payloadType, captureId: 2001, hepNodeName: 'sbc-1' });
}

function publish(callId: string): string {
  return buildVqPublish({
    collector: '192.0.2.1', source: { ip: PHONE, port: 5060 }, publishCallId: `pub-${callId}`,
    report: {
      callId, localId: '<sip:1000@x>', remoteId: '<sip:2000@x>', startMs: T0, stopMs: T0 + 60_000,
      localAddr: { ip: PHONE, port: 6000, ssrc: 0x11111111 }, remoteAddr: { ip: '192.0.2.20', port: 6002, ssrc: 0x22222222 },
      local: { lossPct: 12 },
    },
  });
}

beforeAll(async () => {
  const p = await freePorts(2, 0);
  collector = await startCollector(testConfig({ webPort: p.tcp[0]!, hepPort: p.tcp[1]! }));
  base = `http://127.0.0.1:${p.tcp[0]}`;
  hepPort = p.tcp[1]!;
});
afterAll(async () => { await collector?.stop(); });

describe('HEP listener', () => {
  it('listens on UDP and TCP', async () => {
    const h = await api<Health>('/api/health');
    expect(h.listeners.filter((l) => l.name.startsWith('hep-')).map((l) => [l.name, l.state])).toEqual([['hep-udp', 'listening'], ['hep-tcp', 'listening']]);
  });

  it('turns quality reports sent through HEP over UDP and TCP into calls, from the phone\'s address the agent saw', async () => {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.send(hep(publish('hep-udp-call@x')), hepPort, '127.0.0.1', () => r()));
    udp.close();
    const tcp = net.connect(hepPort, '127.0.0.1');
    await new Promise<void>((r) => tcp.once('connect', () => r()));
    const packet = hep(publish('hep-tcp-call@x'));
    tcp.write(packet.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 50));
    tcp.end(packet.subarray(10));
    for (const id of ['hep-udp-call@x', 'hep-tcp-call@x']) {
      const page = await waitFor(() => api<{ calls: Array<{ sipCallId: string; verdict: string; start: string }> }>(`/api/calls?q=${encodeURIComponent(id)}`), (p) => p.calls.length > 0);
      expect(page.calls[0]).toMatchObject({ sipCallId: id, verdict: 'poor' });
      expect(Math.abs(Date.parse(page.calls[0]!.start) - T0)).toBeLessThan(1000);
    }
    const devices = await api<Array<{ address: string }> | { devices: Array<{ address: string }> }>('/api/devices');
    const list = Array.isArray(devices) ? devices : devices.devices;
    expect(list.map((d) => d.address)).toContain(PHONE);
    const h = await api<Health>('/api/health');
    expect(h.counters['hep-udp']!.received).toBe(1);
    expect(h.counters['hep-tcp']!.received).toBe(1);
    expect(h.counters['sip-hep']!.received).toBe(2);
  });

  it('counts a datagram that is not HEP as malformed, and a log line through HEP reaches the logs', async () => {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.send(Buffer.from('not hep at all'), hepPort, '127.0.0.1', () => r()));
    await new Promise<void>((r) => udp.send(hep('<134>Dec  5 09:01:01 phone hep-log-line-42', 100), hepPort, '127.0.0.1', () => r()));
    udp.close();
    const h = await waitFor(() => api<Health>('/api/health'), (v) => (v.counters['hep-udp']?.malformed ?? 0) >= 1 && (v.counters['hep-udp']?.received ?? 0) >= 3);
    expect(h.counters['hep-udp']!.malformed).toBe(1);
    const logs = await waitFor(() => api<{ logs?: Array<{ message: string; address?: string }> } | Array<{ message: string }>>('/api/logs?q=hep-log-line-42'), (v) => (Array.isArray(v) ? v : v.logs ?? []).length > 0);
    expect(JSON.stringify(logs)).toContain(PHONE);
  });
});
