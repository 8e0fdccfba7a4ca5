/**
 * Text tombstones in the shapes phones, shells and tickets hand them over (CRLF, lone CR, UTF-16
 * from PowerShell, a colour logcat capture, NUL padding, mangled separators) uploaded to a spawned
 * collector: each lands in the same crash group as the plain file of the same crash, with the same
 * crashing thread read back through the API.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url), 'utf8');

interface UploadAnswer { dumps: Array<{ status: string; crashIds: number[]; groups: string[] }>; crashIds: number[] }
interface Report {
  source: string; dialect?: string; arch?: string;
  process: { name?: string; pid?: number; tid?: number; threadName?: string };
  signal?: { name: string; codeName?: string }; abortMessage?: string;
  threads: Array<{ tid?: number; registers: Record<string, string>; frames: Array<{ module?: string; offset?: string; function?: string }> }>;
}

let collector: RunningCollector;

async function upload(body: Uint8Array | string, name: string): Promise<UploadAnswer> {
  const res = await fetch(`${collector.webUrl}/api/dumps?name=${name}&device=10.0.0.21`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(res.status).toBe(201);
  const answer = (await res.json()) as UploadAnswer;
  expect(answer.dumps[0]!.status).toBe('decoded');
  return answer;
}

async function report(answer: UploadAnswer): Promise<Report> {
  const res = await fetch(`${collector.webUrl}/api/crashes/${answer.dumps[0]!.groups[0]}/${answer.crashIds[0]}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { crash: { report: Report } }).crash.report;
}

/** What every upload of one crash must agree on, whatever wrapped it. */
function crashingThread(r: Report): unknown {
  return { process: r.process, signal: r.signal, abortMessage: r.abortMessage, arch: r.arch, registers: r.threads[0]!.registers, frames: r.threads[0]!.frames };
}

beforeAll(async () => {
  collector = await spawnCollector();
});

afterAll(async () => {
  await collector?.stop();
});

describe('text tombstone dialects uploaded to the collector', () => {
  it('groups CRLF, CR, UTF-16, NUL-padded, colour-logcat and mangled-separator uploads of the x86 crash with the plain file', async () => {
    const plain = fixture('tombstone_x86_android7.txt');
    const base = await upload(plain, 'tombstone_00');
    const baseReport = await report(base);
    expect(baseReport).toMatchObject({ source: 'tombstone', dialect: 'android-5..8', arch: 'x86', process: { name: '/system/bin/voip_task', tid: 1227, threadName: 'SipWorker' } });
    expect(baseReport.threads[0]!.registers).toMatchObject({ eip: '0xf77a3b86', esp: '0xe4ff94ec', flags: '0x296' });

    const variants: Array<[string, Uint8Array | string]> = [
      ['crlf', plain.replace(/\n/g, '\r\n')],
      ['cr', plain.replace(/\n/g, '\r')],
      ['utf16', Uint8Array.from(Buffer.from(`\uFEFF${plain.replace(/\n/g, '\r\n')}`, 'utf16le'))],
      ['nul-padded', Uint8Array.from([...Buffer.from(plain), ...new Uint8Array(8192)])],
      ['mangled', plain.replace(/^\*\*\* .*$/m, '\\*\\*\\* \\*\\*\\* \\*\\*\\* \\*\\*\\*\n\\*\\*\\* \\*\\*\\*').replace(/^--- .*$/m, '\t---\t---\t---')],
      ['logcat-color', fixture('logcat_color_x86_android7.txt')],
    ];
    for (const [name, body] of variants) {
      const answer = await upload(body, `tombstone_00_${name}`);
      expect(answer.dumps[0]!.groups, name).toEqual(base.dumps[0]!.groups);
      expect(crashingThread(await report(answer)), name).toEqual(crashingThread(baseReport));
    }
    const res = await fetch(`${collector.webUrl}/api/crashes/${base.dumps[0]!.groups[0]}`);
    const group = (await res.json()) as { group: { count: number; title: string } };
    expect(group.group).toMatchObject({ count: 1 + variants.length, title: 'SIGABRT in libsipua.so!sip_msg_alloc' });
  });

  it('groups the Android 4.0 time-format CRLF logcat capture with its tombstone file', async () => {
    const file = await upload(fixture('tombstone_arm32_android40.txt'), 'tombstone_01');
    const capture = await upload(fixture('logcat_time_arm32_android40.txt'), 'logcat_01');
    expect(capture.dumps[0]!.groups).toEqual(file.dumps[0]!.groups);
    const [fromFile, fromCapture] = [await report(file), await report(capture)];
    expect(crashingThread(fromCapture)).toEqual(crashingThread(fromFile));
    expect(fromFile).toMatchObject({ dialect: 'android-4', process: { name: '/system/bin/voip_task', pid: 877, tid: 901 }, signal: { name: 'SIGSEGV', codeName: 'SEGV_MAPERR' } });
    expect(fromFile.process.threadName).toBeUndefined();
    expect(fromFile.threads).toHaveLength(2);
  });
});
