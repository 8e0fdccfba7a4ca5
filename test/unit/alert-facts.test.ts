// What the alert rules are measured on (server/alerts/facts.ts), over the collector's real parts:
// a SQLite store with crash groups, the device registry counting sequence gaps, the ingest
// counters, a listener that could not bind and a store writer whose store has gone away.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FactGatherer } from '../../server/alerts/facts.js';
import { checkRule } from '../../server/alerts/rules.js';
import { Counters } from '../../server/counters.js';
import { parseSites } from '../../server/fleet/sites.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import { listenTcp, type ListenerStatus } from '../../server/sources/listener.js';
import type { AlertRule } from '../../server/store/alert-store.js';
import { BatchWriter } from '../../server/store/batch-writer.js';
import type { GroupInfo, NewCrash, NewDump } from '../../server/store/crash-store.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { LogRecord, Store } from '../../server/store/types.js';
import { waitFor } from '../support/senders.js';

const NOW = Date.UTC(2026, 11, 7, 6, 0, 0);
const MIN = 60_000;
const stores: Store[] = [];

function openStore(): Store {
  const store = openStoreOnThisThread(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-alert-facts-')), 'db.sqlite'));
  stores.push(store);
  return store;
}

afterAll(async () => {
  for (const s of stores) await s.close().catch(() => undefined);
});

const rule = (input: object): AlertRule => ({ ...checkRule({ name: 'r', ...input }, 'api', null), id: 1, createdAt: NOW, updatedAt: NOW });

function gatherer(o: { store?: Store; devices?: DeviceRegistry; counters?: Counters; listeners?: ListenerStatus[]; writer?: BatchWriter }) {
  const store = o.store ?? openStore();
  const devices = o.devices ?? new DeviceRegistry([], (a) => a.length);
  const counters = o.counters ?? new Counters();
  const writer = o.writer ?? new BatchWriter(store, devices, counters, { batchSize: 100, flushIntervalMs: 10, maxQueued: 1000, maxQueuedBytes: 1 << 20 });
  return new FactGatherer({ calls: store.calls, crashes: store.crashes, devices, sites: () => parseSites('Lab=10.9.0.0/16'), counters, listeners: () => o.listeners ?? [], writer });
}

describe('crash groups', () => {
  const dump = (sha256: string, at: number): NewDump => ({
    sha256, name: `t_${sha256.slice(0, 2)}`, size: 100, kind: 'tombstone', deviceId: null, deviceRef: '10.0.0.5', model: '450HD',
    firmware: '3.4.8', ticket: null, note: null, receivedAt: at, source: 'http', status: 'decoded', problems: [],
  });
  const crash = (sha: string, index: number, group: string, at: number, model = '450HD'): Omit<NewCrash, 'dumpId'> => ({
    contentSha256: sha, contentIndex: index, member: '', groupHash: group, process: '/system/bin/nxphone', signal: 'SIGSEGV', at, crashedAt: at, receivedAt: at,
    deviceId: null, deviceRef: '10.0.0.5', model, firmware: '3.4.8', partial: false, report: '{"frames":[]}',
  });
  const OLD: GroupInfo = { hash: 'old', signature: 'nxphone!SIGSEGV!a', title: 'SIGSEGV in a', confidence: 'high' };
  const NEW: GroupInfo = { hash: 'new', signature: 'nxphone!SIGSEGV!b', title: 'SIGSEGV in b', confidence: 'high' };

  it('tells a group first seen in the window from one seen before it, and counts crashes in the window by model', async () => {
    const store = openStore();
    await store.crashes.addDump(dump('a1'.repeat(32), NOW - 3 * 3600_000), [{ crash: crash('c0', 0, 'old', NOW - 3 * 3600_000), group: OLD, modules: [] }]);
    await store.crashes.addDump(dump('a2'.repeat(32), NOW - 10 * MIN), [
      { crash: crash('c1', 0, 'old', NOW - 10 * MIN), group: OLD, modules: [] },
      { crash: crash('c1', 1, 'new', NOW - 9 * MIN), group: NEW, modules: [] },
      { crash: crash('c1', 2, 'new', NOW - 8 * MIN, '420HD'), group: NEW, modules: [] },
    ]);
    const g = gatherer({ store });
    const byHash = (f: Awaited<ReturnType<FactGatherer['gather']>>) => (f.kind === 'crash-group' ? Object.fromEntries(f.groups.map((x) => [x.hash, [x.count, x.isNew]])) : null);
    expect(byHash(await g.gather(rule({ kind: 'crash-group', params: { mode: 'new', windowMin: 60 } }), NOW))).toEqual({ old: [1, false], new: [2, true] });
    expect(byHash(await g.gather(rule({ kind: 'crash-group', params: { mode: 'spike', windowMin: 60 }, scope: { model: '420HD' } }), NOW))).toEqual({ new: [1, false] });
    // A window reaching back past the old group's first crash: both groups are new in it.
    expect(byHash(await g.gather(rule({ kind: 'crash-group', params: { mode: 'new', windowMin: 240 } }), NOW))).toEqual({ old: [2, true], new: [2, true] });
  });
});

describe('syslog gaps', () => {
  it('is a rate over about the last minute of samples: sequence gaps per device, plus syslog drops for the fleet', async () => {
    let nextId = 1;
    const devices = new DeviceRegistry([], () => nextId++);
    const counters = new Counters();
    const g = gatherer({ devices, counters });
    const a = devices.touch('10.9.0.5', NOW);
    const b = devices.touch('10.1.0.6', NOW);
    devices.noteLine(a, 'sip_stack', 1, null, null);
    devices.noteLine(b, 'sip_stack', 1, null, null);
    const r = rule({ kind: 'syslog-gaps', params: { perMinute: 5, by: 'device' } });
    g.sample(NOW);
    expect((await g.gather(r, NOW)).kind === 'syslog-gaps' && (await g.gather(r, NOW))).toMatchObject({ rates: [] });
    devices.noteLine(a, 'sip_stack', 12, null, null);
    devices.noteLine(b, 'sip_stack', 3, null, null);
    counters.handoffDropped('syslog-udp', 4);
    g.sample(NOW + 30_000);
    // 10 + 1 gaps and 4 drops in half a minute.
    expect(await g.gather(r, NOW + 30_000)).toEqual({ kind: 'syslog-gaps', rates: [{ device: null, perMinute: 30 }, { device: '10.9.0.5', perMinute: 20 }, { device: '10.1.0.6', perMinute: 2 }] });
    // A scope keeps its devices' gaps; drops name no device, so they count for the whole fleet only.
    const lab = rule({ kind: 'syslog-gaps', params: { perMinute: 5 }, scope: { site: 'Lab' } });
    expect(await g.gather(lab, NOW + 30_000)).toEqual({ kind: 'syslog-gaps', rates: [{ device: null, perMinute: 20 }] });
    // Past a minute the oldest samples drop out: a quiet minute is a rate of zero.
    g.sample(NOW + 100_000);
    g.sample(NOW + 160_000);
    expect(await g.gather(lab, NOW + 160_000)).toEqual({ kind: 'syslog-gaps', rates: [{ device: null, perMinute: 0 }] });
  });
});

describe('source faults', () => {
  it('names a listener that could not bind and a store that fails writes', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const port = (holder.address() as net.AddressInfo).port;
    const failed = await listenTcp(net.createServer(), { name: 'syslog-tcp', bind: '127.0.0.1', port, flag: '--syslog-tcp-port' }, () => undefined);
    holder.close();
    const gone = openStore();
    await gone.close();
    const devices = new DeviceRegistry([], (a) => a.length);
    const counters = new Counters();
    const writer = new BatchWriter(gone, devices, counters, { batchSize: 1, flushIntervalMs: 10, maxQueued: 10, maxQueuedBytes: 1 << 20 });
    const line: LogRecord = {
      id: 1, receivedAt: NOW, deviceId: 1, source: 'syslog-udp', format: 'raw', facility: null, severity: null, deviceTime: null, deviceTs: null, hostname: null,
      app: null, pid: null, msgid: null, module: 'other', seq: null, sid: null, message: 'x', raw: Buffer.from('x'), structuredData: null, warnings: [], importId: null,
    };
    const g = gatherer({ listeners: [failed.status, { name: 'web', transport: 'tcp', address: '127.0.0.1', port: 8080, state: 'listening' }], writer, devices, counters });
    const r = rule({ kind: 'source-fault' });
    expect(await g.gather(r, NOW)).toEqual({ kind: 'source-fault', faults: [{ key: 'listener=syslog-tcp', reason: `Listener syslog-tcp is not listening: ${failed.status.error}.` }] });
    writer.enqueue(line);
    await waitFor(async () => writer.degraded, (d) => d, 5000);
    const facts = await g.gather(r, NOW);
    expect(facts.kind === 'source-fault' && facts.faults.map((f) => f.key)).toEqual(['listener=syslog-tcp', 'store']);
    expect(facts.kind === 'source-fault' && facts.faults[1]!.reason).toMatch(/^The store is failing writes: .+\.$/);
    await writer.close().catch(() => undefined);
  });
});
