/**
 * The collector in-process, over real loopback sockets: datagrams and TCP frames in, rows in the
 * store, events out of socket.io, counters right, bad input counted and survived.
 */
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/test-config.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendTcp, sendUdp, waitFor } from '../support/senders.js';

interface LogLine { id: number; module: string; message: string; severity: number | null; device: { address: string }; raw: string; seq: number | null }

let collector: RunningCollector;
let base: string;
let ports: { web: number; udp: number; tcp: number };

async function api<T>(p: string): Promise<T> {
  const res = await fetch(base + p);
  return (await res.json()) as T;
}

async function health() {
  return api<{ counters: Record<string, { received: number; parsed: number; malformed: number; dropped: number; stored: number }>; live: { dropped: number }; listeners: Array<{ name: string; state: string; port: number }> }>('/api/health');
}

beforeAll(async () => {
  const p = await freePorts(2, 1);
  ports = { web: p.tcp[0]!, tcp: p.tcp[1]!, udp: p.udp[0]! };
  const config = testConfig({ webPort: ports.web, syslogPort: ports.udp, syslogTcpPort: ports.tcp, liveMaxQueuedPerClient: 50 });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${ports.web}`;
});

afterAll(async () => {
  await collector?.stop();
});

function connect(filter: Record<string, unknown>): Promise<{ socket: Socket; lines: LogLine[]; missed: () => number }> {
  const socket = ioClient(base, { transports: ['websocket'], forceNew: true });
  const lines: LogLine[] = [];
  let missed = 0;
  socket.on('logs:batch', (b: { lines: LogLine[]; missed: number }) => {
    lines.push(...b.lines);
    missed += b.missed;
  });
  return new Promise((resolve) => socket.on('connect', () => {
    socket.emit('logs:subscribe', filter);
    // Give the subscription a moment to land before traffic starts.
    setTimeout(() => resolve({ socket, lines, missed: () => missed }), 100);
  }));
}

describe('syslog collector over loopback', () => {
  it('reports every listener with its port', async () => {
    const h = await health();
    expect(h.listeners).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'syslog-udp', state: 'listening', port: ports.udp }),
      expect.objectContaining({ name: 'syslog-tcp', state: 'listening', port: ports.tcp }),
      expect.objectContaining({ name: 'web', state: 'listening', port: ports.web }),
    ]));
  });

  it('stores UDP lines, pushes them live with the server-side filter, and counts them', async () => {
    const all = await connect({});
    const dspOnly = await connect({ modules: ['dsp'] });
    const before = (await health()).counters['syslog-udp'] ?? { received: 0, parsed: 0, stored: 0 };
    await sendUdp(ports.udp, [
      '<134>Nov 26 10:00:01 voip_task[412]: udp-case call 17 started [S=1]',
      '<131>Nov 26 10:00:02 dsp[400]: udp-case DSP channel 0 overrun [S=2]\n<135>Nov 26 10:00:03 sip_stack[401]: udp-case INVITE sip:4402@contoso.com SIP/2.0 [S=3]',
    ]);
    const rows = await waitFor(() => api<{ logs: LogLine[] }>('/api/logs?q=udp-case'), (r) => r.logs.length === 3);
    expect(rows.logs.map((l) => l.module)).toEqual(['sip_stack', 'dsp', 'voip_task']);
    expect(rows.logs[2]).toMatchObject({ device: { address: '127.0.0.1' }, seq: 1, raw: '<134>Nov 26 10:00:01 voip_task[412]: udp-case call 17 started [S=1]' });
    await waitFor(async () => all.lines.length, (n) => n >= 3);
    expect(all.lines.filter((l) => l.message.includes('udp-case')).map((l) => l.module)).toEqual(['voip_task', 'dsp', 'sip_stack']);
    await waitFor(async () => dspOnly.lines.length, (n) => n >= 1);
    expect(dspOnly.lines.map((l) => l.module)).toEqual(['dsp']);
    const after = (await health()).counters['syslog-udp']!;
    expect(after.received - before.received).toBe(2);
    expect(after.parsed - before.parsed).toBe(3);
    expect(after.stored - before.stored).toBe(3);
    all.socket.close();
    dspOnly.socket.close();
  });

  it('frames TCP syslog by octet count and by line end, across segments', async () => {
    const counted = (m: string) => `${Buffer.byteLength(m)} ${m}`;
    const stream = counted('<14>Nov 26 10:00:04 nxphone: tcp-case counted') +
      '<14>Nov 26 10:00:05 lighttpd: tcp-case lf-framed\n' +
      counted('<14>Nov 26 10:00:06 cgi: tcp-case split count\n') +
      '<14>Nov 26 10:00:07 kernel: tcp-case unterminated last';
    // Cut inside a line-framed message and inside an octet count.
    const cut1 = stream.indexOf('lf-framed') + 2;
    const cut2 = stream.indexOf(' <14>Nov 26 10:00:06') - 1;
    await sendTcp(ports.tcp, [stream.slice(0, cut1), stream.slice(cut1, cut2), stream.slice(cut2)]);
    const rows = await waitFor(() => api<{ logs: LogLine[] }>('/api/logs?q=tcp-case'), (r) => r.logs.length === 4);
    expect(rows.logs.map((l) => l.message).reverse()).toEqual(['tcp-case counted', 'tcp-case lf-framed', 'tcp-case split count', 'tcp-case unterminated last']);
  });

  it('counts garbage, truncation and broken framing as malformed and keeps listening', async () => {
    const before = (await health()).counters;
    await sendUdp(ports.udp, [new Uint8Array([0, 1, 2, 3, 0xff, 0xfe]), new Uint8Array(0), '\x01\x02\x03\x04\x05\x06\x07\x08abc']);
    await sendTcp(ports.tcp, ['99999999999 <14>x']);
    await sendUdp(ports.udp, ['<14>Nov 26 10:00:08 dsp: after-garbage still alive']);
    const rows = await waitFor(() => api<{ logs: LogLine[] }>('/api/logs?q=after-garbage'), (r) => r.logs.length === 1);
    expect(rows.logs).toHaveLength(1);
    const after = (await health()).counters;
    expect(after['syslog-udp']!.malformed - (before['syslog-udp']?.malformed ?? 0)).toBe(3);
    expect(after['syslog-tcp']!.malformed - (before['syslog-tcp']?.malformed ?? 0)).toBe(1);
  });

  it('learns the device from its lines and lists it', async () => {
    await sendUdp(ports.udp, ['<14>Nov 26 10:00:09 control_center: boot 440HD firmware UC_3.1.0.296 mac 00:90:8F:11:22:33']);
    const devices = await waitFor(() => api<{ devices: Array<{ address: string; mac: string | null; model: string | null; firmware: string | null; online: boolean }> }>('/api/devices'), (r) => r.devices[0]?.mac !== null);
    expect(devices.devices[0]).toMatchObject({ address: '127.0.0.1', mac: '00:90:8f:11:22:33', model: '440HD', firmware: 'UC_3.1.0.296', online: true });
  });

  it('filters history by module, severity and device and pages by cursor', async () => {
    await sendUdp(ports.udp, Array.from({ length: 12 }, (_, i) => `<${128 + (i % 8)}>Nov 26 10:01:${String(i).padStart(2, '0')} ${i % 2 ? 'dsp' : 'nxphone'}: page-case ${i}`));
    await waitFor(() => api<{ logs: LogLine[] }>('/api/logs?q=page-case&limit=100'), (r) => r.logs.length === 12);
    const dsp = await api<{ logs: LogLine[] }>('/api/logs?q=page-case&module=dsp');
    expect(dsp.logs.every((l) => l.module === 'dsp')).toBe(true);
    expect(dsp.logs).toHaveLength(6);
    const severe = await api<{ logs: LogLine[] }>('/api/logs?q=page-case&severity=err');
    expect(severe.logs.every((l) => l.severity! <= 3)).toBe(true);
    const p1 = await api<{ logs: LogLine[]; nextCursor: string }>('/api/logs?q=page-case&limit=5');
    const p2 = await api<{ logs: LogLine[]; nextCursor: string }>(`/api/logs?q=page-case&limit=5&cursor=${p1.nextCursor}`);
    expect(p2.logs[0]!.id).toBeLessThan(p1.logs[4]!.id);
    expect(new Set([...p1.logs, ...p2.logs].map((l) => l.id)).size).toBe(10);
    expect((await api<{ logs: LogLine[] }>('/api/logs?device=10.9.9.9')).logs).toEqual([]);
    const bad = await fetch(`${base}/api/logs?module=nope`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown value/);
  });

  it('tells a browser that cannot keep up how many lines it missed, without slowing ingest', async () => {
    const client = await connect({ q: 'flood-case' });
    const before = (await health()).counters['syslog-udp']!;
    const LINES = 400;
    await sendUdp(ports.udp, Array.from({ length: LINES }, (_, i) => `<14>Nov 26 10:02:00 dsp: flood-case ${i}`));
    const stored = await waitFor(health, (h) => h.counters['syslog-udp']!.stored - before.stored >= LINES);
    expect(stored.counters['syslog-udp']!.stored - before.stored).toBe(LINES);
    await waitFor(async () => client.lines.length + client.missed(), (n) => n >= LINES);
    // The per-client queue holds 50: the rest of a burst is missed and said so, never silently.
    expect(client.missed()).toBeGreaterThan(0);
    expect(client.lines.length + client.missed()).toBe(LINES);
    client.socket.close();
  });

  it('keeps ingesting at full count while a connected browser stops reading its socket', async () => {
    // A raw engine.io client that subscribes, then never reads again.
    const ws = new WebSocket(`ws://127.0.0.1:${ports.web}/socket.io/?EIO=4&transport=websocket`);
    await new Promise<void>((resolve) => ws.on('message', (m) => {
      const s = m.toString();
      if (s.startsWith('0')) ws.send('40');
      if (s.startsWith('40')) {
        ws.send('42["logs:subscribe",{}]');
        resolve();
      }
    }));
    await new Promise((r) => setTimeout(r, 100));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const before = await health();
    const LINES = 3000;
    const padding = 'x'.repeat(600);
    for (let i = 0; i < LINES; i += 100) {
      await sendUdp(ports.udp, Array.from({ length: 100 }, (_, j) => `<14>Nov 26 10:03:00 dsp: stall-case ${i + j} ${padding}`));
    }
    const after = await waitFor(health, (h) => h.counters['syslog-udp']!.stored - before.counters['syslog-udp']!.stored >= LINES, 10_000);
    expect(after.counters['syslog-udp']!.stored - before.counters['syslog-udp']!.stored).toBe(LINES);
    expect(after.counters['syslog-udp']!.dropped).toBe(0);
    expect(after.live.dropped).toBeGreaterThan(before.live.dropped);
    ws.terminate();
  });
});
