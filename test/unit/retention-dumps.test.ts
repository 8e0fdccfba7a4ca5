import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { CountingIds } from '../../server/store/ids.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../server/counters.js';
import { CrashService } from '../../server/crashes/service.js';
import { DEFAULT_UNWRAP_LIMITS } from '../../server/crashes/unwrap.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/types.js';
import { zipFile } from '../fixtures/gen-archives.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const KEEP_MS = 365 * DAY_MS;
const TOMBSTONE = readFileSync(fileURLToPath(new URL('../fixtures/crash/tombstone_arm32_android8.txt', import.meta.url)));
const OTHER_TOMBSTONE = Buffer.from(TOMBSTONE.toString('utf8').replace('pid: 1203', 'pid: 1777').replace('fault addr 0x18', 'fault addr 0x20'));

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-retention-dumps-'));
  const store = openStoreOnThisThread(path.join(dataDir, 'db.sqlite'));
  stores.push(store);
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

describe('crash dump retention', () => {
  it('deletes old uploads, the crashes only they held and their files; a crash a newer upload also holds stays with that upload', async () => {
    const { crashes, upload } = setup();
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
    const { crashes, upload } = setup();
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
});
