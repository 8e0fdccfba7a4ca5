import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { sniffKind } from '../../parsers/archive-sniff.js';
import { DEFAULT_UNWRAP_LIMITS, unwrap, type UnwrapLimits } from '../../server/crashes/unwrap.js';
import { gzipTimes, tarFile, zipFile } from '../fixtures/gen-archives.js';

const CRASH = fileURLToPath(new URL('../fixtures/crash/', import.meta.url));
const ARCHIVES = fileURLToPath(new URL('../fixtures/crash-archives/', import.meta.url));
const TOMBSTONE = readFileSync(CRASH + 'tombstone_arm32_android8.txt');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const root = mkdtempSync(path.join(os.tmpdir(), 'ipp-unwrap-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function unwrapBytes(bytes: Uint8Array, limits: UnwrapLimits = DEFAULT_UNWRAP_LIMITS) {
  const dir = mkdtempSync(path.join(root, 'case-'));
  const file = path.join(dir, 'upload');
  writeFileSync(file, bytes);
  const work = path.join(dir, 'work');
  await import('node:fs/promises').then((fs) => fs.mkdir(work));
  const result = await unwrap({ path: file, size: bytes.length, sha256: sha(bytes), name: 'upload' }, work, limits);
  return { ...result, workFiles: readdirSync(work) };
}

describe('sniffing crash uploads by magic bytes', () => {
  it('tells every wrapper and payload apart without a file name', async () => {
    expect(sniffKind(new Uint8Array(0))).toBe('empty');
    expect(sniffKind(gzipTimes(TOMBSTONE, 1))).toBe('gzip');
    expect(sniffKind(readFileSync(ARCHIVES + 'tombstone.txt.bz2'))).toBe('bzip2');
    expect(sniffKind(readFileSync(ARCHIVES + 'tombstone.txt.xz'))).toBe('xz');
    expect(sniffKind(readFileSync(ARCHIVES + 'tombstone.txt.zst'))).toBe('zstd');
    expect(sniffKind(readFileSync(ARCHIVES + 'tombstone.txt.lz4'))).toBe('lz4');
    expect(sniffKind(await tarFile([{ name: 'x', data: TOMBSTONE }]))).toBe('tar');
    expect(sniffKind(zipFile([{ name: 'x', data: TOMBSTONE }]))).toBe('zip');
    expect(sniffKind(gunzipSync(readFileSync(CRASH + 'core.armhf.gz')).subarray(0, 512))).toBe('elf-core');
    expect(sniffKind(readFileSync(CRASH + 'crashme_armhf').subarray(0, 512))).toBe('elf-binary');
    expect(sniffKind(TOMBSTONE)).toBe('text');
    expect(sniffKind(Buffer.from('MDMP\x93\xa7\0\0'))).toBe('minidump');
  });
});

describe('unwrapping crash uploads', () => {
  for (const [file, label] of [['tombstone.txt.xz', 'xz'], ['tombstone.txt.bz2', 'bzip2'], ['tombstone.txt.zst', 'zstd']] as const) {
    it(`restores the exact bytes from ${label}`, async () => {
      const { files, problems } = await unwrapBytes(readFileSync(ARCHIVES + file));
      expect(problems).toEqual([]);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatchObject({ kind: 'text', size: TOMBSTONE.length, sha256: sha(TOMBSTONE), member: `upload › ${label}` });
    });
  }

  it('says lz4 is not supported instead of guessing', async () => {
    const { files, problems } = await unwrapBytes(readFileSync(ARCHIVES + 'tombstone.txt.lz4'));
    expect(files).toEqual([]);
    expect(problems[0]!.reason).toMatch(/lz4 compression is not supported/);
  });

  it('goes through zip in tar in gzip, naming members for display only', async () => {
    const inner = zipFile([{ name: 'crash/tombstone_00', data: TOMBSTONE, deflate: true }]);
    const { files, workFiles } = await unwrapBytes(gzipTimes(await tarFile([{ name: 'bundle.zip', data: inner }]), 1));
    expect(files.map((f) => f.member)).toEqual(['upload › gzip › bundle.zip › crash/tombstone_00']);
    expect(files[0]!.sha256).toBe(sha(TOMBSTONE));
    expect(workFiles.every((f) => /^part-\d+$/.test(f))).toBe(true);
  });

  it('stops at the entry limit with a reason', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `t${i}`, data: TOMBSTONE }));
    const result = await unwrapBytes(await tarFile(entries), { ...DEFAULT_UNWRAP_LIMITS, maxEntries: 5 });
    expect(result.limitHit).toMatch(/more than 5 archive entries/);
    expect(result.files).toEqual([]);
  });

  it('stops at the total size limit with a reason', async () => {
    const result = await unwrapBytes(gzipTimes(new Uint8Array(3 * 1024 * 1024).fill(7), 1), { ...DEFAULT_UNWRAP_LIMITS, maxTotalBytes: 1024 * 1024 });
    expect(result.limitHit).toMatch(/exceeds the 1048576-byte limit/);
  });

  it('refuses a tar symlink, ../ and absolute names but keeps the safe entries', async () => {
    const { files, problems } = await unwrapBytes(await tarFile([
      { name: 'ok/tombstone', data: TOMBSTONE },
      { name: '../../etc/cron.d/x', data: TOMBSTONE },
      { name: '/tmp/abs', data: TOMBSTONE },
      { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
    ]));
    expect(files.map((f) => f.member)).toEqual(['upload › ok/tombstone']);
    expect(problems.map((p) => p.reason)).toEqual(['tar entry refused: path with ".."', 'tar entry refused: absolute path', 'tar entry of type symlink skipped (only regular files are read)']);
  });

  it('reports a corrupt gzip as a problem of that member', async () => {
    const broken = gzipTimes(TOMBSTONE, 1).subarray(0, 200);
    const { files, problems } = await unwrapBytes(broken);
    expect(files).toEqual([]);
    expect(problems[0]!.reason).toMatch(/upload › gzip: /);
  });
});
