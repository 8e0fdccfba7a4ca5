import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { CountingIds } from '../../server/store/ids.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Counters } from '../../server/counters.js';
import { CrashService } from '../../server/crashes/service.js';
import { DEFAULT_UNWRAP_LIMITS } from '../../server/crashes/unwrap.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import type { GroupInfo, NewCrash, NewDump } from '../../server/store/crash-store.js';
import type { Store } from '../../server/store/types.js';
import { zipFile } from '../fixtures/gen-archives.js';
import { eachBackend } from './backends.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const T1 = Date.UTC(2026, 10, 20, 8, 0, 0);
const KEEP_MS = 365 * DAY_MS;
const TOMBSTONE = readFileSync(fileURLToPath(new URL('../fixtures/crash/tombstone_arm32_android8.txt', import.meta.url)));
const OTHER_TOMBSTONE = Buffer.from(TOMBSTONE.toString('utf8').replace('pid: 1203', 'pid: 1777').replace('fault addr 0x18', 'fault addr 0x20'));

function dump(sha256: string, receivedAt: number, over: Partial<NewDump> = {}): NewDump {
  return {
    sha256, name: `tombstone_${sha256.slice(0, 2)}`, size: 100, kind: 'tombstone', deviceId: null, deviceRef: '10.0.0.5', model: '450HD',
    firmware: '3.4.8', ticket: null, note: null, receivedAt, source: 'http', status: 'decoded', problems: [], ...over,
  };
}

function crash(contentSha256: string, at: number, over: Partial<NewCrash> = {}): Omit<NewCrash, 'dumpId'> {
  return {
    contentSha256, contentIndex: 0, member: '', groupHash: 'g1', process: '/system/bin/nxphone', signal: 'SIGSEGV', at, crashedAt: at, receivedAt: at,
    deviceId: null, deviceRef: '10.0.0.5', model: '450HD', firmware: '3.4.8', partial: false, report: '{"frames":[]}', ...over,
  };
}

const G1: GroupInfo = { hash: 'g1', signature: 'nxphone!SIGSEGV!sip_parse', title: 'SIGSEGV in sip_parse', confidence: 'high' };
const G2: GroupInfo = { hash: 'g2', signature: 'voip_task!SIGABRT!abort', title: 'SIGABRT in abort', confidence: 'medium' };

function setup(store: Store) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-crash-store-'));
  const clock = { now: NOW };
  const crashes = new CrashService({
    dataDir, store, devices: new DeviceRegistry([], new CountingIds(1).next), counters: new Counters(), now: () => clock.now, limits: DEFAULT_UNWRAP_LIMITS,
  });
  let n = 0;
  const upload = async (bytes: Buffer, name: string, atMs: number) => {
    clock.now = atMs;
    mkdirSync(crashes.spoolDir, { recursive: true });
    const file = path.join(crashes.spoolDir, `upload-${n++}`);
    writeFileSync(file, bytes);
    const result = await crashes.ingest({ path: file, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }, { name }, 'http');
    clock.now = NOW;
    return result;
  };
  return { crashes, upload };
}

eachBackend('crash store', (backend) => {
  it('deletes old uploads, the crashes only they held and their files; a crash a newer upload also holds stays with that upload', async () => {
    const { crashes, upload } = setup(await backend.open());
    const oldPlain = await upload(TOMBSTONE, 'tombstone_00', NOW - 400 * DAY_MS);
    const oldOnly = await upload(OTHER_TOMBSTONE, 'tombstone_01', NOW - 400 * DAY_MS);
    // The same tombstone again, inside an archive uploaded recently: the crash is shared, not copied.
    const recentZip = await upload(zipFile([{ name: 'tombstones/tombstone_00', data: TOMBSTONE }]), 'bugreport.zip', NOW - 10 * DAY_MS);
    expect(recentZip.crashIds).toEqual(oldPlain.crashIds);
    const shared = oldPlain.crashIds[0]!;

    expect(await crashes.enforceRetention(KEEP_MS)).toEqual({ deletedDumps: 2, deletedCrashes: 1, deletedFiles: 2 });
    expect(existsSync(crashes.filePath(oldPlain.sha256))).toBe(false);
    expect(existsSync(crashes.filePath(oldOnly.sha256))).toBe(false);
    expect(existsSync(crashes.filePath(recentZip.sha256))).toBe(true);
    expect(await crashes.tables.getDump(oldPlain.dumpId)).toBeNull();
    expect(await crashes.tables.getCrash(oldOnly.crashIds[0]!)).toBeNull();
    expect((await crashes.tables.getCrash(shared))?.dumpId).toBe(recentZip.dumpId);
    expect(await crashes.tables.getGroup(oldPlain.groups[0]!)).not.toBeNull();
    expect(await crashes.enforceRetention(KEEP_MS)).toEqual({ deletedDumps: 0, deletedCrashes: 0, deletedFiles: 0 });
  });

  it('never deletes a file that a symbol file still refers to', async () => {
    const { crashes, upload } = setup(await backend.open());
    const old = await upload(TOMBSTONE, 'tombstone_00', NOW - 400 * DAY_MS);
    // The same bytes registered as a symbol file share the stored file (files are named by content).
    await crashes.symbols.addSymbolFile({
      sha256: old.sha256, name: 'libsipua.so', module: 'libsipua.so', buildId: null, firmware: null, imageBase: 0,
      symbolTable: '.symtab', functions: 0, size: TOMBSTONE.length, receivedAt: NOW - 400 * DAY_MS,
    }, []);
    expect(await crashes.enforceRetention(KEEP_MS)).toEqual({ deletedDumps: 1, deletedCrashes: 1, deletedFiles: 0 });
    expect(existsSync(crashes.filePath(old.sha256))).toBe(true);
    expect(await crashes.tables.getGroup(old.groups[0]!)).toBeNull();
  });

  it('stores an upload with its crashes once, reuses a crash seen before by content, and finds the upload by hash and id', async () => {
    const { crashes } = await backend.open();
    const first = await crashes.addDump(dump('aa'.repeat(32), T1), [
      { crash: crash('c1', T1), group: G1, modules: ['libsipua.so', 'libc.so'] },
      { crash: crash('c1', T1 + 1, { contentIndex: 1, groupHash: 'g2', process: '/system/bin/voip_task', signal: null }), group: G2, modules: ['libc.so'] },
    ]);
    expect(first.created).toEqual(first.crashIds);
    expect(first.crashIds).toHaveLength(2);
    const again = await crashes.addDump(dump('bb'.repeat(32), T1 + 5, { kind: 'zip' }), [
      { crash: crash('c1', T1), group: G1, modules: ['libsipua.so'] },
      { crash: crash('c2', T1 + 2), group: G1, modules: [] },
    ]);
    expect(again.crashIds[0]).toBe(first.crashIds[0]);
    expect(again.created).toEqual([again.crashIds[1]]);
    expect(await crashes.findDump('bb'.repeat(32))).toMatchObject({ id: again.dumpId, kind: 'zip', crashIds: again.crashIds, status: 'decoded', problems: [] });
    expect(await crashes.getDump(first.dumpId)).toMatchObject({ sha256: 'aa'.repeat(32), deviceRef: '10.0.0.5', model: '450HD', crashIds: first.crashIds });
    expect(await crashes.findDump('cc'.repeat(32))).toBeNull();
    const c = (await crashes.getCrash(first.crashIds[1]!))!;
    expect(c).toEqual({ id: first.crashIds[1], dumpId: first.dumpId, ...crash('c1', T1 + 1, { contentIndex: 1, groupHash: 'g2', process: '/system/bin/voip_task', signal: null }) });
    expect(await crashes.crashIdsWithModule('libc.so')).toEqual([...first.crashIds].sort((a, b) => a - b));
    expect(await crashes.crashIdsWithModule('libsipua.so')).toEqual([first.crashIds[0]]);
  });

  it('groups crashes with counts, devices, first and last seen and breakdowns, filtered like the crashes list', async () => {
    const { crashes } = await backend.open();
    const day = 86_400_000;
    await crashes.addDump(dump('a1'.repeat(32), T1), [
      { crash: crash('x1', T1, { deviceRef: '10.0.0.5', firmware: '3.4.8' }), group: G1, modules: [] },
      { crash: crash('x1', T1 + day, { contentIndex: 1, deviceRef: '10.0.0.6', firmware: null, model: '445HD' }), group: G1, modules: [] },
      { crash: crash('x1', T1 + 2 * day, { contentIndex: 2, groupHash: 'g2', deviceRef: null, process: null }), group: G2, modules: [] },
    ]);
    const groups = await crashes.listGroups({}, 10);
    expect(groups.map((g) => g.hash)).toEqual(['g2', 'g1']);
    const g1 = groups[1]!;
    expect(g1).toMatchObject({
      ...G1, count: 2, devices: 2, firstSeen: T1, lastSeen: T1 + day, process: '/system/bin/nxphone', signal: 'SIGSEGV',
      byFirmware: { '3.4.8': 1, '(unknown)': 1 }, byModel: { '450HD': 1, '445HD': 1 }, byDevice: { '10.0.0.5': 1, '10.0.0.6': 1 },
      perDay: { '2026-11-20': 1, '2026-11-21': 1 },
    });
    expect(groups[0]).toMatchObject({ count: 1, devices: 0, process: null, byDevice: { '(unknown)': 1 } });
    expect((await crashes.listGroups({ firmware: '3.4.8' }, 10)).map((g) => [g.hash, g.count])).toEqual([['g2', 1], ['g1', 1]]);
    expect((await crashes.listGroups({}, 1)).map((g) => g.hash)).toEqual(['g2']);
    expect((await crashes.listCrashes({ groupHash: 'g1' }, 10)).map((c) => c.at)).toEqual([T1 + day, T1]);
    expect((await crashes.listCrashes({ deviceRef: '10.0.0.6' }, 10)).map((c) => c.model)).toEqual(['445HD']);
    expect((await crashes.listCrashes({ fromMs: T1 + 1, toMs: T1 + day }, 10))).toHaveLength(1);
    expect((await crashes.listCrashes({ process: '/system/bin/nxphone' }, 1))).toHaveLength(1);
    expect(await crashes.getGroup('g1')).toEqual(G1);
    expect(await crashes.getGroup('nope')).toBeNull();
  });

  it('moves a crash to its new group when symbols arrive, and an emptied group is gone', async () => {
    const { crashes } = await backend.open();
    const { crashIds } = await crashes.addDump(dump('d1'.repeat(32), T1), [{ crash: crash('y1', T1), group: G1, modules: ['libsipua.so'] }]);
    const named: GroupInfo = { hash: 'g3', signature: 'nxphone!SIGSEGV!sip_parse_via', title: 'SIGSEGV in sip_parse_via', confidence: 'high' };
    await crashes.regroupCrash(crashIds[0]!, named, '{"frames":["sip_parse_via"]}');
    expect(await crashes.getCrash(crashIds[0]!)).toMatchObject({ groupHash: 'g3', report: '{"frames":["sip_parse_via"]}' });
    expect(await crashes.getGroup('g1')).toBeNull();
    expect(await crashes.getGroup('g3')).toEqual(named);
    expect((await crashes.listGroups({}, 10)).map((g) => [g.hash, g.count])).toEqual([['g3', 1]]);
  });

  it('finds symbol files by hash, build id or module and firmware, and the function covering each address', async () => {
    const { symbols } = await backend.open();
    const file = (sha256: string, over: Partial<Parameters<typeof symbols.addSymbolFile>[0]> = {}) => ({
      sha256, name: 'libsipua.so', module: 'libsipua.so', buildId: null, firmware: null, imageBase: 0x10000, symbolTable: '.symtab', functions: 3,
      size: 4096, receivedAt: T1, ...over,
    });
    const generic = await symbols.addSymbolFile(file('s1'), [
      { address: 0x1000, size: 0x100, name: 'sip_parse' }, { address: 0x1100, size: 0, name: 'asm_copy' }, { address: 0x1200, size: 0x10, name: 'tail' },
    ]);
    const forFw = await symbols.addSymbolFile(file('s2', { firmware: '3.4.8' }), []);
    const byBuild = await symbols.addSymbolFile(file('s3', { buildId: '00ff', name: 'other.so', module: 'other.so' }), []);
    expect((await symbols.findSymbolFile('s1'))!.id).toBe(generic);
    expect(await symbols.findSymbolFile('s9')).toBeNull();
    expect((await symbols.listSymbolFiles()).map((f) => f.id)).toEqual([byBuild, forFw, generic]);
    expect((await symbols.findSymbolsFor('libsipua.so', null, '3.4.8'))!.id).toBe(forFw);
    expect((await symbols.findSymbolsFor('libsipua.so', null, '3.5.0'))!.id).toBe(generic);
    expect((await symbols.findSymbolsFor('libsipua.so', null, null))!.id).toBe(generic);
    expect((await symbols.findSymbolsFor('libsipua.so', '00FF', '3.4.8'))!.id).toBe(byBuild);
    expect(await symbols.findSymbolsFor('libsipua.so', 'abcd', '3.4.8')).toBeNull();
    expect(await symbols.functionsAt(generic, [0x0fff, 0x1000, 0x10ff, 0x1150, 0x1200, 0x120f, 0x1210, 0x1000])).toEqual([
      null, { address: 0x1000, size: 0x100, name: 'sip_parse' }, { address: 0x1000, size: 0x100, name: 'sip_parse' },
      { address: 0x1100, size: 0, name: 'asm_copy' }, { address: 0x1200, size: 0x10, name: 'tail' }, { address: 0x1200, size: 0x10, name: 'tail' },
      null, { address: 0x1000, size: 0x100, name: 'sip_parse' },
    ]);
  });
});
