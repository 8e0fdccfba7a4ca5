/**
 * Capture imports over HTTP against the collector in-process: a simulated capture uploaded as the
 * raw body and as a multipart form, polled to done, its summary (calls, devices, logs, time range),
 * its log lines by `?import=` with capture times, `imports:update` pushed on socket.io, and DELETE
 * taking its logs, calls and recorded calls away (and only its own).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { testConfig } from '../support/test-config.js';
import type { ImportSummary } from '../../server/import/capture-import.js';
import { simulateToPcap } from '../../server/simulator/run.js';
import { pcapngFile, classicRecords } from '../fixtures/gen-pcapng.js';
import { freePorts } from '../../bench/free-ports.js';

const PORTS = { syslog: 514, recording: 50000, sip: 5060 };
const START_MS = Date.parse('2026-02-03T08:00:00Z');
const POLL_INTERVAL_MS = 50;
const POLL_LIMIT_MS = 30_000;

interface ImportJson {
  id: number; fileName: string; status: string; size: number; progressBytes: number; summary: ImportSummary | null;
  errors: Array<{ offset: number | null; message: string }>; links: { calls: string[]; logs: string; devices: string[] };
}

let collector: RunningCollector;
let base: string;
let capture: Buffer;

async function api<T>(p: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + p, init);
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function untilFinished(id: number): Promise<ImportJson> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const row = await api<ImportJson>(`/api/imports/${id}`);
    if (row.status === 'done' || row.status === 'failed') return row;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${row.status}`);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-imports-'));
  const file = path.join(dir, 'sim.pcap');
  await simulateToPcap({ target: '192.0.2.200', phones: 3, callsPerHour: 120, durationMs: 90_000, seed: 11, scenario: 'mixed', startMs: START_MS, ports: PORTS }, file);
  capture = readFileSync(file);
  const p = await freePorts(1, 0);
  const config = testConfig({ dataDir: path.join(dir, 'data'), webPort: p.tcp[0]! });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${p.tcp[0]}`;
});

afterAll(async () => {
  await collector?.stop();
});

describe('capture imports over HTTP', () => {
  let first: ImportJson;

  it('imports a raw upload in the background and sums it up: calls, devices, logs and time range', async () => {
    const socket = ioClient(base, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    const updates: ImportJson[] = [];
    const done = new Promise<void>((resolve) => socket.on('imports:update', (u: ImportJson) => {
      updates.push(u);
      if (u.status === 'done') resolve();
    }));
    const res = await fetch(`${base}/api/imports?name=${encodeURIComponent('night <shift>.pcap')}`, { method: 'POST', body: capture, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: number };
    first = await untilFinished(id);
    expect(first).toMatchObject({ id, fileName: 'night <shift>.pcap', status: 'done', size: capture.length, progressBytes: capture.length, errors: [] });
    const s = first.summary!;
    expect(s.calls).toBe(3);
    expect(s.recordedCalls).toBe(3);
    expect(s.devices).toEqual(['10.20.1.1', '10.20.1.2', '10.20.1.3']);
    expect(s.logs).toBeGreaterThan(0);
    expect(s.firstMs).toBeGreaterThanOrEqual(START_MS);
    expect(s.lastMs).toBeLessThanOrEqual(START_MS + 90_000);
    expect(first.links.calls).toEqual(s.callIds.map((c) => `/api/calls/${c}`));
    expect(first.links.devices).toEqual(s.devices.map((d) => `/api/devices/${d}`));
    await done;
    expect(updates.map((u) => u.status)).toEqual(expect.arrayContaining(['queued', 'reading', 'done']));
    expect(updates.every((u) => u.id === id)).toBe(true);
    socket.close();
  });

  it('serves the import\'s log lines by ?import= with their capture times', async () => {
    const { logs } = await api<{ logs: Array<{ receivedAt: string; importId: number; device: { address: string } }> }>(`${first.links.logs}&limit=1000`);
    expect(logs).toHaveLength(first.summary!.logs);
    for (const l of logs) {
      expect(l.importId).toBe(first.id);
      expect(Date.parse(l.receivedAt)).toBeGreaterThanOrEqual(first.summary!.firstMs!);
      expect(Date.parse(l.receivedAt)).toBeLessThanOrEqual(first.summary!.lastMs!);
      expect(first.summary!.devices).toContain(l.device.address);
    }
    for (const link of first.links.calls) expect((await fetch(base + link)).status).toBe(200);
  });

  it('takes a multipart form (pcapng) and lists both imports, newest first', async () => {
    const ng = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: classicRecords(capture).map((r) => ({ interfaceId: 0, timeMs: r.timeMs + 3_600_000, data: r.data })) }]);
    const form = new FormData();
    form.append('file', new Blob([ng]), 'later.pcapng');
    const res = await fetch(`${base}/api/imports`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const second = await untilFinished(((await res.json()) as { id: number }).id);
    expect(second).toMatchObject({ fileName: 'later.pcapng', status: 'done', errors: [] });
    expect(second.summary!.logs).toBe(first.summary!.logs);
    expect(second.summary!.firstMs).toBeCloseTo(first.summary!.firstMs! + 3_600_000, 3);
    const { imports } = await api<{ imports: ImportJson[] }>('/api/imports');
    expect(imports.map((i) => i.id)).toEqual([second.id, first.id]);
  });

  it('answers a file that is not a capture with a failed import that says why', async () => {
    const res = await fetch(`${base}/api/imports?name=notes.txt`, { method: 'POST', body: 'these are my notes, not a capture' });
    const row = await untilFinished(((await res.json()) as { id: number }).id);
    expect(row.status).toBe('failed');
    expect(row.errors.at(-1)!.message).toMatch(/is not a pcap or pcapng capture \(magic 74686573 at offset 0\)/);
  });

  it('removes the import\'s logs, calls and recorded calls on DELETE, and nothing of another import', async () => {
    const recordedBefore = (await api<{ calls: unknown[] }>('/api/recordings/calls?limit=100')).calls.length;
    const res = await api<{ id: number; deleted: { logs: number; calls: number; recordedCalls: number } }>(`/api/imports/${first.id}`, { method: 'DELETE' });
    expect(res.deleted).toEqual({ logs: first.summary!.logs, calls: 3, recordedCalls: 3 });
    expect((await api<{ logs: unknown[] }>(first.links.logs)).logs).toEqual([]);
    for (const link of first.links.calls) expect((await fetch(base + link)).status).toBe(404);
    expect((await api<{ calls: unknown[] }>('/api/recordings/calls?limit=100')).calls.length).toBe(recordedBefore - 3);
    const { imports } = await api<{ imports: ImportJson[] }>('/api/imports');
    expect(imports.some((i) => i.id === first.id)).toBe(false);
    expect((await fetch(`${base}/api/imports/${first.id}`)).status).toBe(404);
  });
});
