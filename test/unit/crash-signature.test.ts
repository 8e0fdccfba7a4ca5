import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  crashSignature, functionName, normalizeAbortMessage, PHONE_IN_APP_GLOBS, signatureInputFromCore, signatureInputFromFallback,
  signatureInputFromTombstone, DEFAULT_RULES, type SignatureInput,
} from '../../parsers/crash-signature.js';
import { decodeElfCore, type ElfCore } from '../../parsers/elf-core.js';
import { decodeTombstone, type Tombstone } from '../../parsers/tombstone.js';
import { isDecodeError } from '../../parsers/decode-error.js';

const text = (name: string): string => readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url), 'utf8');

function tombstone(source: string): Tombstone {
  const result = decodeTombstone(source);
  if (isDecodeError(result) || result.kind !== 'tombstone-text') throw new Error('expected a text tombstone');
  return result.tombstones[0]!;
}

function core(arch: string): ElfCore {
  const result = decodeElfCore(gunzipSync(readFileSync(new URL(`../fixtures/crash/core.${arch}.gz`, import.meta.url))));
  if (isDecodeError(result)) throw new Error(result.message);
  return result;
}

describe('signature v1 worked examples (spec §4.8)', () => {
  it('groups the Android 8 null dereference by its three libsipua frames', () => {
    const signature = crashSignature(signatureInputFromTombstone(tombstone(text('tombstone_arm32_android8.txt'))));
    expect(signature.text).toBe('v1 | SIGSEGV/SEGV_MAPERR | voip_task | libsipua.so!sip_dialog_set_remote_target | libsipua.so!sip_dialog_handle_response | libsipua.so!sip_transaction_dispatch');
    expect(signature.confidence).toBe('high');
    expect(signature.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('skips abort/fortify/mutex frames and keeps the normalized abort message for SIGABRT', () => {
    const signature = crashSignature(signatureInputFromTombstone(tombstone(text('tombstone_arm64_android10.txt'))));
    expect(signature.text).toBe(
      'v1 | SIGABRT | FORTIFY: pthread_mutex_lock called on a destroyed mutex (<addr>) | com.example.deskphone:media'
      + ' | libmediaengine.so!media::JitterBuffer::push | libmediaengine.so!media::RtpReceiver::onDatagram | libmediaengine.so!media::UdpSocketReader::poll',
    );
  });

  it('renders address-only core frames as module+offset scoped by firmware (medium confidence)', () => {
    const signature = crashSignature(signatureInputFromCore(core('armhf'), '3.4.8.808'));
    expect(signature.text).toMatch(/^v1 \| SIGSEGV \| crashme_armhf \| crashme_armhf\+0x[0-9a-f]+@fw:3\.4\.8\.808 \| crashme_armhf\+0x[0-9a-f]+@fw:3\.4\.8\.808 \| crashme_armhf\+0x[0-9a-f]+@fw:3\.4\.8\.808$/);
    expect(signature.confidence).toBe('medium');
  });

  it('scopes kernel-core frames by the module build-id instead', () => {
    const x86 = core('x86_64');
    const buildId = x86.modules.find((m) => m.main)!.buildId!.slice(0, 8);
    expect(crashSignature(signatureInputFromCore(x86)).text).toMatch(new RegExp(`^v1 \\| SIGSEGV/SEGV_MAPERR \\| crashme_x86_64 \\| crashme_x86_64\\+0x[0-9a-f]+@${buildId} \\|`));
  });
});

describe('grouping', () => {
  const base = tombstone(text('tombstone_arm32_android8.txt'));

  it('gives one signature for the same crash from several devices (other pids, addresses, times, paths)', () => {
    const fromAnotherPhone = text('tombstone_arm32_android8.txt')
      .replace(/pid: 1203, tid: 1227/, 'pid: 877, tid: 912')
      .replace('fault addr 0x18', 'fault addr 0x1c')
      .replace(/b1ca4e6a/g, 'a0c14e6a')
      .replace(/\/system\/lib\/libsipua\.so/g, '/data/app/com.example-Z9x/lib/arm/libsipua.so');
    const logcat = tombstone(text('logcat_threadtime_android8.txt'));
    const signatures = [base, tombstone(fromAnotherPhone), logcat].map((t) => crashSignature(signatureInputFromTombstone(t)).hash);
    expect(new Set(signatures).size).toBe(1);
  });

  it('gives two signatures for two different crashes in one process', () => {
    const other = base.threads[0]!.frames.slice(2);
    const first = crashSignature(signatureInputFromTombstone(base));
    const second = crashSignature({ ...signatureInputFromTombstone(base), frames: other });
    expect(second.hash).not.toBe(first.hash);
  });

  it('gives one signature for the same core crash at different load addresses, and distinguishes the worker thread', () => {
    const input = signatureInputFromCore(core('aarch64'), '3.4.8');
    expect(crashSignature({ ...input, frames: input.frames.map((f) => ({ ...f })) }).hash).toBe(crashSignature(input).hash);
    const workerThread = core('aarch64').threads[1]!;
    const otherCrash = { ...input, frames: workerThread.frames.map((f) => ({ module: f.module ?? '', ...(f.offset ? { relPc: f.offset } : {}), trust: f.trust })) };
    expect(crashSignature(otherCrash).hash).not.toBe(crashSignature(input).hash);
  });

  it('never contains absolute addresses, pids or thread names', () => {
    const signature = crashSignature(signatureInputFromTombstone(tombstone(text('tombstone_arm32_android12.txt'))));
    expect(signature.text).not.toMatch(/3121|0xe6|HwBinder|audio@1\.0-servi /);
    expect(signature.text).toBe('v1 | SIGBUS/BUS_ADRALN | vendor.example.audio@1.0-service | libexample_dsp.so!dsp_read_u32_le | libexample_dsp.so!dsp_parse_frame_header | libexample_dsp.so!dsp_process_block');
  });
});

describe('frame rules', () => {
  const frame = (fn: string, module = '/system/lib/libc.so'): SignatureInput['frames'][number] => ({ module, function: fn, relPc: '0x10' });
  const signal = { name: 'SIGSEGV', code: 1, codeName: 'SEGV_MAPERR' };

  it('collapses recursion and skips prefix frames such as memcpy', () => {
    const input: SignatureInput = { signal, processName: 'p', frames: [frame('memcpy'), frame('walk', '/lib/libx.so'), frame('walk', '/lib/libx.so'), frame('run', '/lib/libx.so')] };
    expect(crashSignature(input).text).toBe('v1 | SIGSEGV/SEGV_MAPERR | p | libx.so!walk | libx.so!run');
  });

  it('adds a fault class when no frame is usable', () => {
    expect(crashSignature({ signal: { ...signal, faultAddr: '0x18' }, frames: [] }).text).toBe('v1 | SIGSEGV/SEGV_MAPERR | null | ?');
    expect(crashSignature({ signal: { ...signal, faultAddr: '0x18' }, frames: [] }).confidence).toBe('low');
  });

  it('prefers in-app frames when asked, keeping the system frame that crashed', () => {
    const input: SignatureInput = { signal, processName: 'voip_task', frames: [frame('parse_header'), frame('a', '/system/lib/libsipua.so'), frame('main', '/home/ipphone/bin/voip_task')] };
    const text = crashSignature(input, { ...DEFAULT_RULES, inAppGlobs: PHONE_IN_APP_GLOBS }).text;
    expect(text).toBe('v1 | SIGSEGV/SEGV_MAPERR | voip_task | libc.so!parse_header | voip_task!main');
  });

  it('signs fallback text by its placed frames', () => {
    const result = decodeTombstone(text('crash_uclibc_backtrace.txt'));
    if (isDecodeError(result) || result.kind !== 'unknown-text') throw new Error('expected fallback');
    expect(crashSignature(signatureInputFromFallback(result.fallback)).text).toBe('v1 | SIGSEGV | voip_task | voip_task!sip_parse_uri | voip_task!sip_handle_invite | libc.so.0!__uClibc_main');
  });

  it('strips parameters, templates and return types from demangled names', () => {
    expect(functionName('media::JitterBuffer::push(media::RtpPacket const&)')).toBe('media::JitterBuffer::push');
    expect(functionName('std::__1::__thread_proxy<std::__1::tuple<int> >(void*)')).toBe('std::__1::__thread_proxy');
    expect(functionName('void voip::Queue<int>::drain() const')).toBe('voip::Queue::drain');
  });

  it('normalizes abort messages: addresses, long numbers, quoted paths', () => {
    expect(normalizeAbortMessage("open '/data/misc/voip/cfg_1203.xml' failed at 0xdeadbeef after 15000 ms")).toBe("open 'cfg_<n>.xml' failed at <addr> after <n> ms");
  });
});
