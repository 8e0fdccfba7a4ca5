/**
 * `ipp-collector decode FILE --json` on crash files: one JSON object per crash, through archives,
 * with the v1 signature; files that hold no crash say why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerDecode } from '../../server/commands/decode.js';
import { gzipTimes, tarFile } from '../fixtures/gen-archives.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/crash/', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-decode-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function decode(file: string): Promise<Array<Record<string, unknown>>> {
  const program = new Command().exitOverride();
  registerDecode(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'ipp-collector', 'decode', file, '--json']);
  } finally {
    spy.mockRestore();
  }
  return out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('decode command on crash files', () => {
  it('prints a tombstone as one report with its signature', async () => {
    const [report] = await decode(FIXTURES + 'tombstone_arm32_android8.txt');
    expect(report).toMatchObject({ source: 'tombstone', process: { name: '/system/bin/voip_task' }, signal: { name: 'SIGSEGV' } });
    expect((report!['signature'] as { text: string }).text).toContain('libsipua.so!sip_dialog_set_remote_target');
  });

  it('reads a logcat capture saved as UTF-16 by a PowerShell redirect', async () => {
    const file = path.join(dir, 'logcat_utf16.txt');
    const capture = fs.readFileSync(FIXTURES + 'logcat_threadtime_android8.txt', 'utf8');
    fs.writeFileSync(file, Buffer.from(`\uFEFF${capture}`, 'utf16le'));
    const [report] = await decode(file);
    expect(report).toMatchObject({ source: 'tombstone', arch: 'arm', process: { name: '/system/bin/voip_task', tid: 1227 }, signal: { name: 'SIGSEGV' } });
  });

  it('prints a gzipped core as one report with its crashing thread', async () => {
    const lines = await decode(FIXTURES + 'core.aarch64.gz');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ source: 'core', arch: 'arm64', member: 'core.aarch64.gz › gzip' });
    const threads = lines[0]!['threads'] as Array<{ crashing: boolean; frames: unknown[] }>;
    expect(threads.find((t) => t.crashing)!.frames.length).toBeGreaterThan(0);
  });

  it('prints one object per crash of a tar.gz, and an error for a member that is not one', async () => {
    const file = path.join(dir, 'bundle.tgz');
    fs.writeFileSync(file, gzipTimes(await tarFile([
      { name: 'a/tombstone_00', data: fs.readFileSync(FIXTURES + 'tombstone_arm64_android10.txt') },
      { name: 'a/core', data: gunzipSync(fs.readFileSync(FIXTURES + 'core.mipsel.gz')) },
      { name: 'a/README', data: Buffer.from('copied from the phone web page\n') },
    ]), 1));
    const lines = await decode(file);
    expect(lines.filter((l) => l['source'] !== undefined).map((l) => l['source'])).toEqual(['tombstone', 'core']);
    expect(lines.find((l) => l['error'])).toMatchObject({ member: 'bundle.tgz › gzip › a/README', error: expect.stringMatching(/not a crash report/) });
  });
});
