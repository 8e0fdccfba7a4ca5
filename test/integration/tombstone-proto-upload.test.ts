/**
 * Android 12+ protobuf tombstones uploaded to a spawned collector: the crash read back through
 * the API has its threads, backtraces, registers, modules and abort message like a text
 * tombstone, lands in the same group as the text tombstone of the same crash, and a damaged
 * .pb is kept as a partial report that says what was lost.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url));

interface UploadAnswer { dumps: Array<{ dumpId: number; status: string; crashIds: number[]; groups: string[]; problems: unknown[] }>; crashIds: number[] }
interface Frame { index: number; module?: string; offset?: string; pc?: string; function?: string; functionOffset?: number; buildId?: string }
interface Report {
  source: string; dialect?: string; arch?: string; partial: boolean; partialReasons: string[];
  process: { name?: string; pid?: number; tid?: number; threadName?: string; args?: string };
  signal?: { name: string; codeName?: string; faultAddr?: string }; abortMessage?: string; buildFingerprint?: string; crashedAt?: string;
  threads: Array<{ tid?: number; name?: string; crashing: boolean; registers: Record<string, string>; frames: Frame[] }>;
  modules: Array<{ path: string; base?: string; buildId?: string }>;
  decoded: { kind: string; memoryMap: unknown[]; openFiles: unknown[]; logBuffers?: unknown[]; selinuxLabel?: string };
}

let collector: RunningCollector;

async function upload(body: Buffer, name: string): Promise<UploadAnswer> {
  const res = await fetch(`${collector.webUrl}/api/dumps?name=${name}&device=10.0.0.9`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(res.status).toBe(201);
  return (await res.json()) as UploadAnswer;
}

async function crash(group: string, id: number): Promise<Report> {
  const res = await fetch(`${collector.webUrl}/api/crashes/${group}/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { crash: { report: Report } }).crash.report;
}

beforeAll(async () => {
  collector = await spawnCollector();
});

afterAll(async () => {
  await collector?.stop();
});

describe('protobuf tombstone uploads', () => {
  it('reads a .pb back with threads, backtraces, registers, modules and abort message', async () => {
    const answer = await upload(fixture('tombstone_x86_64_android12.pb'), 'tombstone_07.pb');
    expect(answer.dumps[0]).toMatchObject({ status: 'decoded', problems: [] });
    const report = await crash(answer.dumps[0]!.groups[0]!, answer.crashIds[0]!);
    expect(report).toMatchObject({
      source: 'tombstone-proto', dialect: 'android-12+', arch: 'x86_64', partial: false,
      process: { name: 'com.example.softphone', pid: 4112, tid: 4130, threadName: 'Binder:4112_2' },
      signal: { name: 'SIGABRT', codeName: 'SI_TKILL' }, abortMessage: 'assertion "codec != NULL" failed at 0x7f3e2a10c040 line 1234',
      crashedAt: '2024-05-21T11:02:09.774Z',
    });
    const [crashing] = report.threads;
    expect(crashing).toMatchObject({ tid: 4130, crashing: true, registers: { rip: '0x7f3e3a8d6a48' } });
    expect(crashing!.frames).toHaveLength(10);
    expect(crashing!.frames[5]).toMatchObject({ module: '/data/app/com.example.softphone-Xh2vJq1QYk3e_8aZ5Pz1Aw==/base.apk', offset: '0x17c30', function: 'CodecRegistry::open(char const*, int (*)(void*))', functionOffset: 112 });
    expect(crashing!.frames[0]!.pc).toBe('0x7f3e3a8d6a48');
    expect(report.modules.map((m) => m.path)).toEqual(['/system/lib64/libc.so', '/data/app/com.example.softphone-Xh2vJq1QYk3e_8aZ5Pz1Aw==/base.apk']);
    expect(report.decoded.memoryMap).toHaveLength(3);
  });

  it('groups a .pb with the text tombstone of the same crash', async () => {
    const pb = await upload(fixture('tombstone_arm32_android12.pb'), 'tombstone_03.pb');
    const text = await upload(fixture('tombstone_arm32_android12.txt'), 'tombstone_03');
    expect(pb.dumps[0]!.groups).toEqual(text.dumps[0]!.groups);
    const res = await fetch(`${collector.webUrl}/api/crashes/${pb.dumps[0]!.groups[0]}`);
    const group = (await res.json()) as { group: { count: number; title: string }; crashes: Array<{ id: number }> };
    expect(group.group).toMatchObject({ count: 2, title: 'SIGBUS/BUS_ADRALN in libexample_dsp.so!dsp_read_u32_le' });
    const report = await crash(pb.dumps[0]!.groups[0]!, pb.crashIds[0]!);
    expect(report.threads.map((t) => [t.tid, t.name, t.frames.length])).toEqual([[3121, 'audio@1.0-servi', 5], [3135, 'HwBinder:3121_1', 3]]);
    expect(report.decoded).toMatchObject({ kind: 'tombstone-proto', selinuxLabel: 'u:r:hal_audio_default:s0', openFiles: [{ fd: 0, path: '/dev/null' }, { fd: 7 }] });
    expect(report.decoded.logBuffers).toHaveLength(1);
  });

  it('groups an Android 13 .pb with mangled names with its demangled text twin', async () => {
    const pb = await upload(fixture('tombstone_arm64_android13.pb'), 'tombstone_11.pb');
    const text = await upload(fixture('tombstone_arm64_android10.txt'), 'tombstone_11');
    expect(pb.dumps[0]!.groups).toEqual(text.dumps[0]!.groups);
  });

  it('keeps a truncated .pb as a partial report that names the loss', async () => {
    const whole = fixture('tombstone_arm64_android13.pb');
    const answer = await upload(whole.subarray(0, whole.length - 40), 'tombstone_12.pb');
    expect(answer.dumps[0]!.status).toBe('partial');
    const report = await crash(answer.dumps[0]!.groups[0]!, answer.crashIds[0]!);
    expect(report.partial).toBe(true);
    expect(report.partialReasons).toEqual([expect.stringMatching(/^truncated at byte \d+ of \d+: the rest of the file is lost$/)]);
    expect(report.threads).toHaveLength(2);
  });
});
