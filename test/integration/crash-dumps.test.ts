/**
 * Crash dumps over HTTP against the collector in-process: raw and multipart uploads, archives,
 * dedup by content hash, byte-identical raw download, grouping across devices, symbols naming
 * past crashes, live `crashes:update`, hostile uploads answered with reasons, the drop folder, and
 * nothing written outside the data directory.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/test-config.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { gzipTimes, tarFile, zipFile } from '../fixtures/gen-archives.js';
import { freePorts } from '../../bench/free-ports.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/crash/', import.meta.url));
const fixture = (name: string) => readFileSync(FIXTURES + name);
const ANDROID8 = fixture('tombstone_arm32_android8.txt');
const ANDROID10 = fixture('tombstone_arm64_android10.txt');

interface DumpAnswer { dumpId: number; sha256: string; duplicate: boolean; status: string; crashIds: number[]; newCrashIds: number[]; groups: string[]; problems: Array<{ member: string; reason: string }> }
interface UploadAnswer { dumps: DumpAnswer[]; crashIds: number[] }
interface Group { hash: string; signature: string; title: string; count: number; devices: number; byFirmware: Record<string, number>; byDevice: Record<string, number>; perDay: Record<string, number> }

let collector: RunningCollector;
let base: string;
let dataDir: string;
let dropDir: string;
const outside = mkdtempSync(path.join(os.tmpdir(), 'ipp-outside-'));

async function upload(body: Uint8Array, query = ''): Promise<{ status: number; json: UploadAnswer & { error?: string } }> {
  const res = await fetch(`${base}/api/dumps${query}`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  return { status: res.status, json: (await res.json()) as UploadAnswer & { error?: string } };
}

async function api<T>(p: string): Promise<T> {
  const res = await fetch(base + p);
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function groupOf(crashId: number): Promise<Group> {
  const { groups } = await api<{ groups: Group[] }>('/api/crashes?limit=1000');
  for (const g of groups) {
    const { crashes } = await api<{ crashes: Array<{ id: number }> }>(`/api/crashes/${g.hash}`);
    if (crashes.some((c) => c.id === crashId)) return g;
  }
  throw new Error(`crash ${crashId} in no group`);
}

/** The same tombstone as another phone would write it: other pid, other time, same code path. */
function fromAnotherRun(text: Buffer, n: number): Buffer {
  return Buffer.from(text.toString('utf8').replace(/pid: (\d+), tid: (\d+)/, (_m, p: string, t: string) => `pid: ${Number(p) + n}, tid: ${Number(t) + n}`));
}

beforeAll(async () => {
  const p = await freePorts(1, 0);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-crash-'));
  dropDir = path.join(dataDir, 'drop');
  const config = testConfig({ dataDir, webPort: p.tcp[0]!, dumpDropDir: dropDir, dumpMaxUnpackedMb: 200, dumpMaxUploadMb: 64 });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${p.tcp[0]}`;
});

afterAll(async () => {
  await collector?.stop();
});

describe('crash dump intake over HTTP', () => {
  it('decodes a raw tombstone upload into the spec\'s v1 group', async () => {
    const { status, json } = await upload(ANDROID8, '?name=tombstone_01&device=10.0.0.5&firmware=UC_3.1.0.296&ticket=INC-1&note=after%20upgrade');
    expect(status).toBe(201);
    expect(json.dumps[0]!.status).toBe('decoded');
    const group = await groupOf(json.crashIds[0]!);
    expect(group.signature).toBe('v1 | SIGSEGV/SEGV_MAPERR | voip_task | libsipua.so!sip_dialog_set_remote_target | libsipua.so!sip_dialog_handle_response | libsipua.so!sip_transaction_dispatch');
    const { dump, crashes } = await api<{ dump: { ticket: string; note: string; firmware: string; deviceRef: string }; crashes: Array<{ report: { source: string; threads: Array<{ frames: unknown[] }> } }> }>(`/api/dumps/${json.dumps[0]!.dumpId}`);
    expect(dump).toMatchObject({ ticket: 'INC-1', note: 'after upgrade', firmware: 'UC_3.1.0.296', deviceRef: '10.0.0.5' });
    expect(crashes[0]!.report.source).toBe('tombstone');
    expect(crashes[0]!.report.threads[0]!.frames.length).toBeGreaterThan(3);
  });

  it('stores an identical upload once and downloads the original byte for byte', async () => {
    const core = fixture('core.x86_64.gz');
    const first = await upload(core, '?name=core.x86_64.gz');
    const again = await upload(core, '?name=renamed.gz');
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json.dumps[0]).toMatchObject({ duplicate: true, dumpId: first.json.dumps[0]!.dumpId, crashIds: first.json.crashIds });
    const res = await fetch(`${base}/api/dumps/${first.json.dumps[0]!.dumpId}/raw`);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?core\.x86_64\.gz/);
    expect(Buffer.from(await res.arrayBuffer()).equals(core)).toBe(true);
  });

  it('takes a multipart form with a tar.gz of several dumps and the form fields', async () => {
    const tgz = gzipTimes(await tarFile([
      { name: 'dumps/tombstone_00', data: ANDROID10, mtime: new Date('2026-11-20T10:00:00Z') },
      { name: 'dumps/core.armhf', data: gunzipSync(fixture('core.armhf.gz')), mtime: new Date('2026-11-21T09:30:00Z') },
      { name: 'dumps/tombstone_01', data: fixture('tombstone_x86_64_android9.txt') },
    ]), 1);
    const form = new FormData();
    form.append('device', '00:90:8f:12:34:56');
    form.append('firmware', 'UC_3.2.1.7');
    form.append('file', new Blob([tgz]), 'phone-dumps.tar.gz');
    const res = await fetch(`${base}/api/dumps`, { method: 'POST', body: form });
    const json = (await res.json()) as UploadAnswer;
    expect(res.status).toBe(201);
    expect(json.crashIds).toHaveLength(3);
    expect(json.dumps[0]!.problems).toEqual([]);
    const { crashes } = await api<{ crashes: Array<{ member: string; firmware: string; deviceRef: string; at: string }> }>(`/api/dumps/${json.dumps[0]!.dumpId}`);
    const core = crashes.find((c) => c.member.endsWith('core.armhf'))!;
    expect(core).toMatchObject({ firmware: 'UC_3.2.1.7', deviceRef: '00:90:8f:12:34:56', at: '2026-11-21T09:30:00.000Z' });
    expect(core.member).toBe('phone-dumps.tar.gz › gzip › dumps/core.armhf');
  });

  it('names past core frames once the unstripped binary is uploaded, and regroups them', async () => {
    const core = await upload(fixture('core.armhf.gz'), '?name=core.armhf.gz&firmware=UC_9.9');
    const crashId = core.json.crashIds[0]!;
    const before = await groupOf(crashId);
    expect(before.signature).toMatch(/^v1 \| SIGSEGV \| crashme_armhf \| crashme_armhf\+0x[0-9a-f]+@fw:UC_[\d.]+ \|/);
    // Uploaded without a firmware: matches the module by name whatever firmware the crash came with.
    const res = await fetch(`${base}/api/symbols?name=crashme_armhf`, { method: 'POST', body: fixture('crashme_armhf') });
    expect(res.status).toBe(201);
    const after = await groupOf(crashId);
    expect(after.signature).toMatch(/crashme_armhf!write_config_value \| crashme_armhf!handle_incoming_call \| crashme_armhf!dispatch_event$/);
    const { crash } = await api<{ crash: { report: { threads: Array<{ crashing: boolean; frames: Array<{ function?: string; functionSource?: string }> }> } } }>(`/api/crashes/${after.hash}/${crashId}`);
    const frames = crash.report.threads.find((t) => t.crashing)!.frames;
    expect(frames[0]).toMatchObject({ function: 'write_config_value', functionSource: 'symbols' });
  });

  it('puts one crash from many devices in one group and two crashes of one process in two', async () => {
    const ids: number[] = [];
    for (const [i, device] of ['10.1.0.1', '10.1.0.2', '10.1.0.3'].entries()) {
      const { json } = await upload(fromAnotherRun(ANDROID10, i + 1), `?device=${device}&firmware=UC_3.1.0.${i % 2}`);
      ids.push(json.crashIds[0]!);
    }
    const groups = await Promise.all(ids.map(groupOf));
    expect(new Set(groups.map((g) => g.hash)).size).toBe(1);
    const g = groups[0]!;
    for (const device of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) expect(g.byDevice[device]).toBe(1);
    expect(g.byFirmware).toMatchObject({ 'UC_3.1.0.0': 2, 'UC_3.1.0.1': 1 });
    expect(Object.values(g.perDay).reduce((a, b) => a + b, 0)).toBe(g.count);

    const other = Buffer.from(ANDROID10.toString('utf8').replace(/media::JitterBuffer::push/g, 'media::JitterBuffer::pop'));
    const { json } = await upload(other, '?device=10.1.0.1');
    expect((await groupOf(json.crashIds[0]!)).hash).not.toBe(g.hash);
    const filtered = await api<{ groups: Group[] }>('/api/crashes?device=10.1.0.2');
    expect(filtered.groups.map((x) => x.hash)).toEqual([g.hash]);
    const byProcess = await api<{ groups: Group[] }>('/api/crashes?process=voip_task');
    expect(byProcess.groups.every((x) => x.signature.includes('| voip_task |'))).toBe(true);
    expect((await api<{ groups: Group[] }>('/api/crashes?to=2000-01-01T00:00:00Z')).groups).toEqual([]);
    expect((await api<{ groups: Group[] }>(`/api/crashes?from=2000-01-01T00:00:00Z&firmware=UC_3.1.0.1`)).groups.map((x) => x.hash)).toEqual([g.hash]);
    expect((await fetch(`${base}/api/crashes?from=yesterday`)).status).toBe(400);
    expect((await fetch(`${base}/api/crashes/not-a-group`)).status).toBe(400);
  });

  it('tells a browser about new crashes on the socket.io hub', async () => {
    const socket = ioClient(base, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    const update = new Promise<{ crashIds: number[]; groups: string[] }>((resolve) => socket.on('crashes:update', resolve));
    const { json } = await upload(fromAnotherRun(ANDROID8, 77));
    expect((await update).crashIds).toEqual(json.crashIds);
    socket.close();
  });
});

describe('hostile crash uploads', () => {
  const cases: Array<[string, () => Promise<Uint8Array>, RegExp]> = [
    ['a 0-byte file', async () => new Uint8Array(0), /empty file/],
    ['a text file that is not a tombstone', async () => Buffer.from('Dear support,\nthe phone rebooted twice today.\n'), /not a crash report/],
    ['a truncated core', async () => gunzipSync(fixture('core.mipsel.gz')).subarray(0, 3000), /ELF core|truncated|exceeds/],
    ['a zip bomb', async () => zipFile([{ name: 'core', data: new Uint8Array(64 * 1024 * 1024), deflate: true }]), /decompression bomb/],
    ['archives nested past the depth limit', async () => gzipTimes(ANDROID8, 5), /nested deeper than 4/],
    ['a tar with ../ paths', async () => tarFile([{ name: '../../escaped.txt', data: ANDROID8 }, { name: '/etc/evil', data: ANDROID8 }]), /path with "\.\."/],
    ['a zip with a symbolic link and ../ names', async () => zipFile([{ name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 }, { name: '../x', data: ANDROID8 }]), /symbolic link/],
    ['random binary', async () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)), /not a crash report/],
  ];
  for (const [label, make, reason] of cases) {
    it(`answers ${label} with a reason and keeps serving`, async () => {
      const { status, json } = await upload(await make());
      expect(status).toBeLessThan(300);
      const dump = json.dumps[0]!;
      const { crashes } = await api<{ crashes: Array<{ report: { partialReasons: string[] } }> }>(`/api/dumps/${dump.dumpId}`);
      const reasons = [...dump.problems.map((p) => p.reason), ...crashes.flatMap((c) => c.report.partialReasons)];
      expect(reasons.join('\n')).toMatch(reason);
      expect(['rejected', 'partial']).toContain(dump.status);
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
    });
  }

  it('reads a core whose note sizes lie as a partial report', async () => {
    const core = Buffer.from(gunzipSync(fixture('core.armhf.gz')));
    // First PT_NOTE's first note: declare a descsz far beyond the segment.
    const phoff = core.readUInt32LE(28);
    const phnum = core.readUInt16LE(44);
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * 32;
      if (core.readUInt32LE(at) === 4) { core.writeUInt32LE(0x7ffffff0, core.readUInt32LE(at + 4) + 4); break; }
    }
    const { json } = await upload(core);
    const dump = json.dumps[0]!;
    if (dump.status !== 'rejected') {
      const { crashes } = await api<{ crashes: Array<{ partial: boolean; report: { partialReasons: string[] } }> }>(`/api/dumps/${dump.dumpId}`);
      expect(crashes[0]!.partial).toBe(true);
      expect(crashes[0]!.report.partialReasons.join(' ')).toMatch(/note|beyond|PT_NOTE/);
    } else {
      expect(dump.problems[0]!.reason).toMatch(/note|PT_NOTE/);
    }
  });

  it('refuses an upload over the size limit with 413', async () => {
    const res = await fetch(`${base}/api/dumps`, { method: 'POST', body: new Uint8Array(65 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/limit/);
  });

  it('writes nothing outside the data directory: only dumps/<xx>/<sha256>, the database and an empty spool', () => {
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(path.join(dataDir, '..', 'escaped.txt'))).toBe(false);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(path.relative(dataDir, p));
      }
    };
    walk(dataDir);
    // Besides dumps by hash and the database, only the collector's own marker that the store is in use.
    const unexpected = files.filter((f) => !/^dumps\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(f) && !/^[^/]+\.sqlite(-wal|-shm)?$/.test(f) && !f.startsWith('drop/') && f !== 'collector.pid');
    expect(unexpected).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'dumps', 'tmp'))).toEqual([]);
  });
});

describe('drop folder', () => {
  it('takes files once their size holds, moving them to processed/ or failed/ with a reason', async () => {
    writeFileSync(path.join(dropDir, 'tombstone_07'), fromAnotherRun(ANDROID8, 4242));
    writeFileSync(path.join(dropDir, 'notes.c'), 'Phone 12 in room 4 rebooted at 10:40, nobody was on a call.\n');
    await expect.poll(() => existsSync(path.join(dropDir, 'processed', 'tombstone_07')), { timeout: 15_000, interval: 200 }).toBe(true);
    await expect.poll(() => existsSync(path.join(dropDir, 'failed', 'notes.c.reason.txt')), { timeout: 15_000, interval: 200 }).toBe(true);
    expect(readFileSync(path.join(dropDir, 'failed', 'notes.c.reason.txt'), 'utf8')).toMatch(/not a crash report/);
    expect(statSync(path.join(dropDir, 'processed', 'tombstone_07')).size).toBeGreaterThan(0);
  });
});
