// Every download route with real data behind it, on an in-process collector with auth on: each
// answers an analyst with its own Content-Type and `Content-Disposition: attachment` (a browser saves
// it, never renders it on our origin), and a viewer token gets 403 wherever raw bytes, audio or
// originals would come out.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { DEFAULT_CONFIG, type CollectorConfig } from '../../server/config.js';
import { recordedCallRecords, recordingFeed } from '../fixtures/gen-recording.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendUdp, waitFor } from '../support/senders.js';

const ADMIN_PASSWORD = 'downloads need an analyst';
const TOMBSTONE = readFileSync(fileURLToPath(new URL('../fixtures/crash/tombstone_arm32_android8.txt', import.meta.url)));
const SEEN_TIMEOUT_MS = 15_000;

let collector: RunningCollector;
let base: string;
let dataDir: string;
let analyst: Record<string, string>;
let viewer: Record<string, string>;

interface Download { name: string; url: string; type: RegExp; viewer: 'forbidden' | 'allowed' }
const downloads: Download[] = [];

async function json<T>(p: string, headers: Record<string, string>, init: RequestInit = {}): Promise<T> {
  const res = await fetch(base + p, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  expect(res.status, `${init.method ?? 'GET'} ${p}`).toBeLessThan(300);
  return (await res.json()) as T;
}

beforeAll(async () => {
  const p = await freePorts(1, 2);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-downloads-'));
  const [syslogPort, recordingPort] = [p.udp[0]!, p.udp[1]!];
  const config: CollectorConfig = {
    ...DEFAULT_CONFIG, dataDir, bind: '127.0.0.1', webPort: p.tcp[0]!, syslogPort, syslogTcpPort: 0, recordingPort, sipPort: 0,
    recordingCallTimeoutS: 1, storeFlushIntervalMs: 20,
  };
  process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
  collector = await startCollector(config);
  delete process.env.IPP_ADMIN_PASSWORD;
  base = collector.webUrl!.replace(/\/$/, '');

  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: ADMIN_PASSWORD }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf } = (await login.json()) as { csrf: string };
  const admin = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
  const token = async (role: string) => `Bearer ${(await json<{ token: string }>('/api/tokens', admin, { method: 'POST', body: JSON.stringify({ name: `dl-${role}`, role }) })).token}`;
  analyst = { authorization: await token('analyst') };
  viewer = { authorization: await token('viewer') };

  await sendUdp(syslogPort, ['<14>Nov 26 10:00:00 voip_task: call from sip:+15551234@example.com']);
  await sendUdp(recordingPort, recordingFeed(recordedCallRecords({ seed: 31, sessionId: 91, packetCount: 200 })).map((d) => d.bytes));
  const { dumps } = await json<{ dumps: Array<{ dumpId: number }> }>('/api/dumps?name=tombstone_05', analyst, { method: 'POST', body: new Uint8Array(TOMBSTONE) });

  const { logs } = await waitFor(() => json<{ logs: Array<{ id: number }> }>('/api/logs', analyst), (r) => r.logs.length > 0, SEEN_TIMEOUT_MS);
  const recorded = await waitFor(() => json<{ calls: Array<{ id: number; active: boolean }> }>('/api/recordings/calls', analyst),
    (r) => r.calls.some((c) => !c.active), SEEN_TIMEOUT_MS);
  const recId = recorded.calls[0]!.id;
  const detail = await json<{ streams: Array<{ id: number; direction: string }> }>(`/api/recordings/calls/${recId}`, analyst);
  const rx = detail.streams.find((s) => s.direction === 'rx')!;
  const { calls } = await waitFor(() => json<{ calls: Array<{ id: number }> }>('/api/calls', analyst), (r) => r.calls.length > 0, SEEN_TIMEOUT_MS);
  const callId = calls[0]!.id;
  const bundle = await json<{ id: string }>('/api/bundles', { ...analyst, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify({ scope: { callId }, options: { format: 'zip' } }) });
  await waitFor(() => json<{ state: string }>(`/api/bundles/${bundle.id}`, analyst), (s) => s.state === 'done' || s.state === 'failed', 60_000);

  downloads.push(
    { name: 'raw log line', url: `/api/logs/${logs[0]!.id}/raw`, type: /^application\/octet-stream/, viewer: 'forbidden' },
    { name: 'original pcap', url: `/api/recordings/calls/${recId}/pcap?form=original`, type: /^application\/vnd\.tcpdump\.pcap/, viewer: 'forbidden' },
    { name: 'plain pcap', url: `/api/recordings/calls/${recId}/pcap?form=plain`, type: /^application\/vnd\.tcpdump\.pcap/, viewer: 'forbidden' },
    { name: 'stream WAV', url: `/api/recordings/calls/${recId}/audio/${rx.id}.wav`, type: /^audio\/wav/, viewer: 'forbidden' },
    { name: 'mixed WAV', url: `/api/recordings/calls/${recId}/audio/mixed.wav`, type: /^audio\/wav/, viewer: 'forbidden' },
    { name: 'dump original', url: `/api/dumps/${dumps[0]!.dumpId}/raw`, type: /^application\/octet-stream/, viewer: 'forbidden' },
    { name: 'bundle file', url: `/api/bundles/${bundle.id}/file`, type: /^application\/zip/, viewer: 'forbidden' },
    // The quality numbers a viewer already reads through /api/calls/:id/timeline, as a sheet: no raw bytes, no audio.
    { name: 'samples CSV', url: `/api/calls/${callId}/samples.csv`, type: /^text\/csv/, viewer: 'allowed' },
  );
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('download routes', () => {
  it('each answers an analyst with its content type as an attachment', async () => {
    expect(downloads).toHaveLength(8);
    for (const d of downloads) {
      const res = await fetch(base + d.url, { headers: analyst });
      expect(res.status, d.name).toBe(200);
      expect(res.headers.get('content-type'), d.name).toMatch(d.type);
      expect(res.headers.get('content-disposition'), d.name).toMatch(/^attachment; filename="?[A-Za-z0-9._-]+"?/);
      expect(res.headers.get('x-content-type-options'), d.name).toBe('nosniff');
      expect((await res.arrayBuffer()).byteLength, d.name).toBeGreaterThan(0);
    }
  });

  it('refuses a viewer token (403) on every download of raw bytes, audio or originals', async () => {
    for (const d of downloads) {
      const res = await fetch(base + d.url, { headers: viewer });
      await res.arrayBuffer();
      expect(res.status, d.name).toBe(d.viewer === 'forbidden' ? 403 : 200);
    }
  });
});
