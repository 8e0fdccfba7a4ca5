/**
 * GET /metrics as Prometheus scrapes it, on an in-process collector with logins on: refused
 * without a token, answered in the text format with a viewer token, the ingest counters equal to
 * /api/health's, and an ended call counted in the quality histograms under its site (from the
 * subnet table), model, firmware and peer — never under a per-call or per-phone label.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';
import { sendUdp, waitFor } from '../support/senders.js';
import { testConfig } from '../support/test-config.js';

const ADMIN_PASSWORD = 'metrics-admin-password-1';
const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);

let collector: RunningCollector;
let base: string;
let token: string;
let ports: { syslog: number; sip: number };

beforeAll(async () => {
  const p = await freePorts(2, 1);
  ports = { syslog: p.udp[0]!, sip: p.tcp[1]! };
  process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
  collector = await startCollector(testConfig({ webPort: p.tcp[0]!, syslogPort: ports.syslog, sipPort: ports.sip, auth: 'on', sites: 'Lab=127.0.0.0/8;Berlin=10.1.0.0/16' }));
  delete process.env.IPP_ADMIN_PASSWORD;
  base = collector.webUrl!.replace(/\/$/, '');
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: ADMIN_PASSWORD }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf } = (await login.json()) as { csrf: string };
  const made = await fetch(`${base}/api/tokens`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'prometheus', role: 'viewer' }) });
  expect(made.status).toBe(201);
  ({ token } = (await made.json()) as { token: string });
});

afterAll(async () => {
  await collector?.stop();
});

const scrape = async () => {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
};

/** The value of one sample line, e.g. `ipp_ingest_total{source="syslog-udp",outcome="stored"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const have = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('GET /metrics', () => {
  it('needs a login or token like the API', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
  });

  it('counts every ingest outcome per source, as /api/health does', async () => {
    await sendUdp(ports.syslog, ['<134>Dec  6 09:00:00 voip_task[1]: one', '<134>Dec  6 09:00:01 voip_task[1]: two', '\u0000\u0001 not syslog']);
    await waitFor(async () => collector.counters.source('syslog-udp').stored, (n) => n === 2);
    const text = await scrape();
    expect(text).toContain('# TYPE ipp_ingest_total counter');
    expect(sample(text, 'ipp_ingest_total', { source: 'syslog-udp', outcome: 'received' })).toBe(3);
    expect(sample(text, 'ipp_ingest_total', { source: 'syslog-udp', outcome: 'stored' })).toBe(2);
    expect(sample(text, 'ipp_ingest_total', { source: 'syslog-udp', outcome: 'malformed' })).toBe(1);
    expect(text).toMatch(/^ipp_store_write_seconds_count \d+$/m);
    expect(text).toMatch(/^ipp_live_clients 0$/m);
    expect(text).toContain('ipp_process_resident_memory_bytes');
    // The store queue, stored through, and the bounds it is measured against.
    expect(text).toMatch(/^ipp_store_queue_lines 0$/m);
    expect(text).toMatch(/^ipp_store_queue_bytes 0$/m);
    expect(text).toMatch(/^ipp_store_queue_max_lines 1000000$/m);
    expect(text).toMatch(/^ipp_store_queue_max_bytes 268435456$/m);
  });

  it('puts an ended call into the quality histograms under its site, model, firmware and peer', async () => {
    const report = {
      style: 'audiocodes' as const, callId: 'metrics-1@127.0.0.1', localId: '<sip:1000@pbx.example>', remoteId: '<sip:2000@carrier.example.net;user=phone>',
      localAddr: { ip: '127.0.0.1', port: 6000, ssrc: 0x1111 }, remoteAddr: { ip: '203.0.113.9', port: 6002, ssrc: 0x2222 },
      startMs: T0, stopMs: T0 + 60_000, local: { lossPct: 12, mosLq: 2.9 },
    };
    await sendUdp(ports.sip, [buildVqPublish({ report, collector: '127.0.0.1', source: { ip: '127.0.0.1', port: 5062 }, publishCallId: 'pub-metrics-1' })]);
    const text = await waitFor(scrape, (t) => t.includes('ipp_calls_total{'), 5000);
    const labels = { site: 'Lab', peer: 'carrier.example.net', codec: 'PCMA' };
    expect(sample(text, 'ipp_calls_total', { ...labels, verdict: 'poor' })).toBe(1);
    expect(sample(text, 'ipp_call_worst_mos_count', labels)).toBe(1);
    expect(sample(text, 'ipp_call_worst_mos_bucket', { ...labels, le: '3' })).toBe(1);
    expect(sample(text, 'ipp_call_worst_mos_bucket', { ...labels, le: '2.5' })).toBe(0);
    expect(sample(text, 'ipp_call_max_loss_percent_bucket', { ...labels, le: '10' })).toBe(0);
    // No label names a call or a phone.
    expect(text).not.toContain('metrics-1@127.0.0.1');
    expect(text).not.toMatch(/ipp_call\w*\{[^}]*(address|call|device)=/);
  });
});
