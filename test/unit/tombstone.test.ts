import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTombstone, parseFrame, type Tombstone, type TombstoneFile } from '../../parsers/tombstone.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { crashSignature, signatureInputFromTombstone } from '../../parsers/crash-signature.js';

const text = (name: string): string => readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url), 'utf8');

function file(input: string | Uint8Array): TombstoneFile {
  const result = decodeTombstone(input);
  if (isDecodeError(result)) throw new Error(result.message);
  return result;
}

function single(input: string): Tombstone {
  const result = file(input);
  if (result.kind !== 'tombstone-text') throw new Error(`expected debuggerd text, got ${result.kind}`);
  expect(result.tombstones).toHaveLength(1);
  return result.tombstones[0]!;
}

describe('Android 5–8 dialect (ARM32, legacy registers)', () => {
  const t = single(text('tombstone_arm32_android8.txt'));

  it('reads the header, the crashing thread and the signal with cause', () => {
    expect(t).toMatchObject({
      dialect: 'android-5..8', abi: 'arm', revision: '0',
      buildFingerprint: 'Example/deskphone_arm/deskphone:8.1.0/OPM8.190605.005/3147:user/release-keys',
      pid: 1203, tid: 1227, threadName: 'SipWorker', processName: '/system/bin/voip_task',
      signal: { number: 11, name: 'SIGSEGV', code: 1, codeName: 'SEGV_MAPERR', faultAddr: '0x18' },
      causes: ['null pointer dereference'],
    });
    expect(t.abortMessage).toBeUndefined();
  });

  it('names registers as printed and keeps FP registers apart', () => {
    const crashing = t.threads[0]!;
    expect(crashing.registers).toMatchObject({ r0: '0x0', sl: '0xb0f3e7f0', fp: '0xb0f3e86c', lr: '0xb1ca5a43', pc: '0xb1ca4e6a', cpsr: '0x600f0030' });
    expect(crashing.fpRegisters).toMatchObject({ d1: '0x3ff0000000000000', scr: '0x60000010' });
    expect(crashing.registers).not.toHaveProperty('d0');
  });

  it('parses every backtrace frame, skips stack and memory dumps, and counts both threads', () => {
    expect(t.threads.map((th) => [th.tid, th.name, th.frames.length])).toEqual([[1227, 'SipWorker', 9], [1203, 'voip_task', 4]]);
    expect(t.threads[0]!.frames[4]).toEqual({
      index: 4, relPc: '0xa6b1', module: '/system/bin/voip_task', function: 'voip::SipChannel::onPacket(voip::Packet const&)', functionOffset: 40,
    });
  });

  it('reads the memory map with offsets, sizes, build-ids and the fault marker line', () => {
    expect(t.memoryMap).toHaveLength(18);
    expect(t.memoryMap[5]).toEqual({
      start: '0xb1c80000', end: '0xb1cc3fff', perms: 'r-x', offset: '0x0', size: '0x44000',
      name: '/system/lib/libsipua.so', buildId: '0c4f9d2e8a7713b65e21f04c9ad8e3b7', fault: false,
    });
    expect(t.memoryMap[4]).toEqual({ start: '0xb0e41000', end: '0xb0f3efff', perms: 'rw-', offset: '0x0', size: '0xfe000', fault: false });
  });
});

describe('Android 10 dialect (ARM64, unwindstack with BuildId)', () => {
  const t = single(text('tombstone_arm64_android10.txt'));

  it('reads timestamp, uid, abort message and an address-less signal', () => {
    expect(t).toMatchObject({
      dialect: 'android-10/11', abi: 'arm64', timestamp: '2024-03-14 09:41:27+0100', uid: 10087,
      processName: 'com.example.deskphone:media',
      signal: { number: 6, name: 'SIGABRT', code: -6, codeName: 'SI_TKILL' },
      abortMessage: 'FORTIFY: pthread_mutex_lock called on a destroyed mutex (0x7a3b6c2e10)',
    });
    expect(t.signal?.faultAddr).toBeUndefined();
  });

  it('parses demangled names with nested parentheses and templates, right to left', () => {
    const frame = t.threads[0]!.frames[8]!;
    expect(frame.module).toBe('/system/lib64/libc++.so');
    expect(frame.function).toMatch(/^std::__1::__thread_proxy<.*>\(void\*\)$/);
    expect(frame.functionOffset).toBe(228);
    expect(frame.buildId).toBe('5a6b7c8d9e0f1a2b3c4d5e6f708192a3');
    expect(t.threads[0]!.registers).toMatchObject({ x29: '0x7a2c8f5020', lr: '0x7b5e1a0c4c', pc: '0x7b5e1a0c78' });
  });
});

describe('Android 12+ dialect', () => {
  const t = single(text('tombstone_arm32_android12.txt'));

  it('reads uptime, cmdline, a pointer-width fault address and new-style register names', () => {
    expect(t).toMatchObject({
      dialect: 'android-12+', processUptimeSeconds: 8432, cmdline: '/vendor/bin/hw/vendor.example.audio@1.0-service',
      timestamp: '2024-06-02 17:05:44.512084937+0200', threadName: 'audio@1.0-servi',
      signal: { number: 7, name: 'SIGBUS', codeName: 'BUS_ADRALN', faultAddr: '0xe61a2c03' },
    });
    expect(t.threads[0]!.registers).toMatchObject({ r10: '0xffd1c3b0', r11: '0xffd1c2f0', ip: '0xe8b6e5c8', pc: '0xe8b4a41e' });
    expect(t.threads[0]!.frames[2]).toMatchObject({ function: 'dsp_process_block', functionOffset: 0 });
    expect(t.threads.map((th) => th.name)).toEqual(['audio@1.0-servi', 'HwBinder:3121_1']);
  });
});

describe('Android 9 dialect (x86-64)', () => {
  const t = single(text('tombstone_x86_64_android9.txt'));

  it('detects the new register layout, APK-embedded libraries and map names with spaces', () => {
    expect(t.dialect).toBe('android-9');
    const frames = t.threads[0]!.frames;
    expect(frames[5]).toMatchObject({ module: '/data/app/com.example.softphone-Xh2vJq1QYk3e_8aZ5Pz1Aw==/base.apk', mapOffset: '0x1b9000', function: 'CodecRegistry::open(char const*, int (*)(void*))', functionOffset: 112 });
    expect(frames[7]).toEqual({ index: 7, relPc: '0x17a2', module: '/dev/ashmem/dalvik-jit-code-cache (deleted)' });
    expect(t.memoryMap[2]).toMatchObject({ offset: '0x1b9000', loadBias: '0x1b9000' });
  });
});

describe('Android 4.4 dialect', () => {
  const t = single(text('tombstone_arm32_android44.txt'));

  it('reads two-space frames, an unprefixed fault address, a multi-line abort message and 4.4 thread lines', () => {
    expect(t.dialect).toBe('android-4');
    expect(t.signal?.faultAddr).toBe('0x0');
    expect(t.abortMessage).toBe('jitter buffer corrupt\nframe 1203 lost');
    expect(t.threads.map((th) => [th.tid, th.name, th.processName])).toEqual([[901, 'RtpRx', '/system/bin/voip_task'], [877, 'voip_task', undefined]]);
    expect(t.threads[0]!.frames[2]).toEqual({ index: 2, relPc: '0x19c1', module: '/system/bin/voip_task' });
    expect(t.memoryMap.map((m) => m.name)).toEqual(['/system/bin/voip_task', '/system/lib/libmedia_rtp.so']);
  });
});

describe('logcat-prefixed tombstones', () => {
  it.each(['logcat_threadtime_android8.txt', 'logcat_brief_android8.txt'])('strips the %s prefixes and ignores other tags', (name) => {
    const t = single(text(name));
    expect(t).toMatchObject({ pid: 1203, tid: 1227, processName: '/system/bin/voip_task', causes: ['null pointer dereference'] });
    expect(t.threads[0]!.frames).toHaveLength(9);
    expect(t.threads[0]!.registers['pc']).toBe('0xb1ca4e6a');
  });

  it('keeps the logcat time of the *** line as a fallback crash time', () => {
    expect(single(text('logcat_threadtime_android8.txt')).logcatTime).toBe('03-14 09:41:27.512');
  });
});

describe('Android 4.0 dialect (ARM32, no thread names)', () => {
  const t = single(text('tombstone_arm32_android40.txt'));

  it('reads pid lines without thread names, symbols without offsets and the sibling thread', () => {
    expect(t).toMatchObject({
      dialect: 'android-4', pid: 877, tid: 901, processName: '/system/bin/voip_task',
      buildFingerprint: 'Example/deskphone_arm/deskphone:4.0.4/IMM76D/299849:user/release-keys',
      signal: { number: 11, name: 'SIGSEGV', code: 1, codeName: 'SEGV_MAPERR', faultAddr: '0xdeadbaad' },
    });
    expect(t.threadName).toBeUndefined();
    expect(t.threads.map((th) => [th.tid, th.name, th.processName, th.frames.length])).toEqual([[901, '', '/system/bin/voip_task', 4], [877, '', undefined, 2]]);
    expect(t.threads[0]!.frames[0]).toEqual({ index: 0, relPc: '0x16f7a', module: '/system/lib/libc.so', function: 'dlfree' });
    expect(t.threads[0]!.registers).toMatchObject({ r1: '0xdeadbaad', sl: '0x0', lr: '0x4020d305', pc: '0x40116f7a', cpsr: '0x60000030' });
    expect(t.memoryMap).toEqual([]);
  });

  it('gets the FP registers from logcat too: 4.0 logged everything of the crashing thread', () => {
    expect(single(text('logcat_time_arm32_android40.txt')).threads[0]!.fpRegisters).toEqual(t.threads[0]!.fpRegisters);
  });
});

describe('Android 7 dialect (x86, 32-bit registers)', () => {
  const t = single(text('tombstone_x86_android7.txt'));

  it('reads the eax…edi, segment and eip/ebp/esp/flags rows as printed', () => {
    expect(t).toMatchObject({
      dialect: 'android-5..8', abi: 'x86', pid: 1203, tid: 1227, threadName: 'SipWorker',
      signal: { number: 6, name: 'SIGABRT', code: -6, codeName: 'SI_TKILL' }, abortMessage: 'sip_msg_alloc: out of memory (4096 bytes)',
    });
    expect(t.threads[0]!.registers).toEqual({
      eax: '0x0', ebx: '0x4b3', ecx: '0x4cb', edx: '0x6', esi: '0x4cb', edi: '0xe4ff9978',
      xcs: '0x23', xds: '0x2b', xes: '0x2b', xfs: '0x6b', xss: '0x2b',
      eip: '0xf77a3b86', ebp: '0xe4ff9558', esp: '0xe4ff94ec', flags: '0x296',
    });
    expect(t.threads[0]!.fpRegisters).toEqual({});
  });

  it('parses both threads, skips the stack and the log tail, and reads the map', () => {
    expect(t.threads.map((th) => [th.tid, th.name, th.frames.length])).toEqual([[1227, 'SipWorker', 9], [1203, 'voip_task', 3]]);
    expect(t.threads[0]!.frames[4]).toEqual({ index: 4, relPc: '0x1a3f4', module: '/system/lib/libsipua.so', function: 'sip_msg_alloc', functionOffset: 196 });
    expect(t.memoryMap).toHaveLength(16);
    expect(t.memoryMap[9]).toMatchObject({ start: '0xf7729000', name: '/system/lib/libc.so', buildId: '6a1d3f5b7c9e0a2b4c6d8e0f1a3b5c7d' });
    expect(crashSignature(signatureInputFromTombstone(t)).text).toBe(
      'v1 | SIGABRT | sip_msg_alloc: out of memory (<n> bytes) | voip_task | libsipua.so!sip_msg_alloc | libsipua.so!sip_parse_request | libsipua.so!sip_transport_on_datagram',
    );
  });
});

/** Plain debuggerd text of every era: each dialect below must decode exactly like these. */
const PLAIN = [
  'tombstone_arm32_android40.txt', 'tombstone_arm32_android44.txt', 'tombstone_x86_android7.txt', 'tombstone_arm32_android8.txt',
  'tombstone_x86_64_android9.txt', 'tombstone_arm64_android10.txt', 'tombstone_arm32_android12.txt',
];
const STAR_LINE = /^\*\*\* \*\*\* \*\*\*.*$/m;
const DASH_LINE = /^--- --- ---.*$/gm;
const onLines = (source: string, wrap: (line: string) => string): string => source.split('\n').map((line) => (line === '' ? line : wrap(line))).join('\n');

const DIALECTS: ReadonlyArray<[name: string, make: (plain: string) => string | Uint8Array]> = [
  ['CRLF line ends', (p) => p.replace(/\n/g, '\r\n')],
  ['lone CR line ends', (p) => p.replace(/\n/g, '\r')],
  ['CRLF with a UTF-8 BOM (bytes)', (p) => new TextEncoder().encode(`\uFEFF${p.replace(/\n/g, '\r\n')}`)],
  ['a BOM in a string', (p) => `\uFEFF${p}`],
  ['UTF-16LE with a BOM, CRLF (PowerShell redirect)', (p) => Uint8Array.from(Buffer.from(`\uFEFF${p.replace(/\n/g, '\r\n')}`, 'utf16le'))],
  ['trailing NULs of a truncated upload', (p) => Uint8Array.from([...new TextEncoder().encode(p), ...new Uint8Array(4096)])],
  ['terminal colour around every line', (p) => onLines(p, (line) => `\x1b[38;5;196m${line}\x1b[0m`)],
  ['colour codes whose ESC byte a viewer dropped', (p) => onLines(p, (line) => `[38;5;196m${line}[0m`)],
  ['colour codes as cat -v shows them', (p) => onLines(p, (line) => `^[[1;31m${line}^[[0m`)],
  ['markdown-escaped separators', (p) => p.replace(STAR_LINE, '\\*\\*\\* \\*\\*\\* \\*\\*\\* \\*\\*\\* \\*\\*\\* \\*\\*\\*').replace(DASH_LINE, '\\--- \\--- \\--- \\--- \\---')],
  ['indented, tab-separated separators', (p) => p.replace(STAR_LINE, '\t***\t***\t***\t***').replace(DASH_LINE, '  ---\t---\t---\t---')],
  ['separators with extra stars and lost spaces', (p) => p.replace(STAR_LINE, '**** ***** ***************** ****').replace(DASH_LINE, '------------ --------')],
  ['the *** line wrapped over two lines by chat', (p) => p.replace(STAR_LINE, '*** *** *** *** *** *** *** *** *** *** *** ***\n*** *** *** ***')],
  ['the --- line wrapped over two lines', (p) => p.replace(DASH_LINE, '--- --- --- --- --- --- --- --- --- --- --- ---\n--- --- --- ---')],
];

describe('dialects decode like their plain twin', () => {
  // A single-thread file has no --- line to mangle: those pairs would compare a file with itself.
  const cases = PLAIN.flatMap((plain) => DIALECTS.filter(([, make]) => make(text(plain)) !== text(plain)).map(([dialect, make]) => [plain, dialect, make] as const));
  it.each(cases)('%s with %s', (plain, _dialect, make) => {
    const source = text(plain);
    const expected = file(source);
    const actual = file(make(source));
    expect(actual).toEqual(expected);
    if (actual.kind !== 'tombstone-text' || expected.kind !== 'tombstone-text') throw new Error('expected debuggerd text');
    expect(crashSignature(signatureInputFromTombstone(actual.tombstones[0]!))).toEqual(crashSignature(signatureInputFromTombstone(expected.tombstones[0]!)));
  });

  it('reads the part of a tombstone cut short and padded with NULs', () => {
    const source = text('tombstone_x86_android7.txt');
    const cut = source.slice(0, source.indexOf('sip_parse_request'));
    const padded = file(Uint8Array.from([...new TextEncoder().encode(cut), ...new Uint8Array(1000)]));
    expect(padded).toEqual(file(cut));
    expect(padded.kind === 'tombstone-text' && padded.tombstones[0]!.threads[0]!.frames.map((f) => f.function)).toEqual(['tgkill', 'pthread_kill', 'raise', 'abort', 'sip_msg_alloc', undefined]);
  });
});

/**
 * What a logcat capture carries: debuggerd sends only the crashing thread's header, registers and
 * backtrace there (5–8 keep even the FP registers for the tombstone file).
 */
function crashingPart(t: Tombstone): unknown {
  const { threads, memoryMap: _maps, openFiles: _files, logcatTime: _time, ...header } = t;
  const { fpRegisters: _fp, ...crashing } = threads[0]!;
  return { header, crashing };
}

describe('logcat captures decode like the tombstone file of the same crash', () => {
  it.each([
    ['logcat_color_x86_android7.txt', 'tombstone_x86_android7.txt', '03-14 09:41:27.500'],
    ['logcat_time_arm32_android40.txt', 'tombstone_arm32_android40.txt', '03-14 09:41:27.512'],
    ['logcat_threadtime_android8.txt', 'tombstone_arm32_android8.txt', '03-14 09:41:27.512'],
    ['logcat_brief_android8.txt', 'tombstone_arm32_android8.txt', undefined],
  ])('%s matches %s in header, crashing thread and signature', (capture, plain, time) => {
    const fromLogcat = single(text(capture));
    const fromFile = single(text(plain));
    expect(crashingPart(fromLogcat)).toEqual(crashingPart(fromFile));
    expect(fromLogcat.logcatTime).toBe(time);
    expect(fromLogcat.threads).toHaveLength(1);
    expect(crashSignature(signatureInputFromTombstone(fromLogcat)).hash).toBe(crashSignature(signatureInputFromTombstone(fromFile)).hash);
  });

  it.each([
    ['-v year', (line: string) => `2024-${line}`, '2024-03-14 09:41:27.512'],
    ['-v usec', (line: string) => line.replace(/^(\S+ \S+)/, '$1284'), '03-14 09:41:27.512284'],
    ['-v nsec', (line: string) => line.replace(/^(\S+ \S+)/, '$1284117'), '03-14 09:41:27.512284117'],
    ['-v zone', (line: string) => line.replace(/^(\S+ \S+)/, '$1 +0100'), '03-14 09:41:27.512'],
    ['-v uid (numeric)', (line: string) => line.replace(/^(\S+ \S+)/, '$1  1000'), '03-14 09:41:27.512'],
    ['-v uid (named)', (line: string) => line.replace(/^(\S+ \S+)/, '$1 system'), '03-14 09:41:27.512'],
    ['-v year,usec,zone,uid,color', (line: string) => `\x1b[38;5;196m${line.replace(/^(\S+) (\S+)/, '2024-$1 $2284 +0100  1000')}\x1b[0m`, '2024-03-14 09:41:27.512284'],
    // Seconds since 1970 and, padded to a right-aligned column, since boot.
    ['-v epoch', (line: string) => line.replace(/^\S+ \S+/, '1710409287.512'), '1710409287.512'],
    ['-v epoch,usec', (line: string) => line.replace(/^\S+ \S+/, '1710409287.512284'), '1710409287.512284'],
    ['-v monotonic', (line: string) => line.replace(/^\S+ \S+/, '   93.512'), '93.512'],
    ['-v monotonic,uid', (line: string) => line.replace(/^\S+ \S+/, ' 1093.512  1000'), '1093.512'],
  ])('threadtime with %s', (_name, rewrite, time) => {
    const source = text('logcat_threadtime_android8.txt');
    const variant = source.split(/\r?\n/).map((line) => (line === '' ? line : rewrite(line))).join('\n');
    const t = single(variant);
    expect(crashingPart(t)).toEqual(crashingPart(single(source)));
    expect(t.logcatTime).toBe(time);
  });

  it('reads the time format with -v monotonic (Android 4 debuggerd, CRLF) like its dated form', () => {
    const source = text('logcat_time_arm32_android40.txt');
    const variant = source.split(/\r\n/).map((line) => line.replace(/^\d\d-\d\d \S+/, '  412.512')).join('\r\n');
    expect(variant).not.toEqual(source);
    const t = single(variant);
    expect(crashingPart(t)).toEqual(crashingPart(single(source)));
    expect(t.logcatTime).toBe('412.512');
  });
});

describe('star rows that are not a tombstone', () => {
  it('falls back to crash-text extraction instead of failing', () => {
    const result = file('*************************\nvoip_task[812]: Segmentation fault\n*************************\n');
    expect(result.kind === 'unknown-text' && result.fallback.signal).toEqual({ number: 11, name: 'SIGSEGV' });
  });
});

describe('files with several tombstones', () => {
  it('splits on the *** line', () => {
    const result = file(`${text('tombstone_arm32_android8.txt')}\n${text('tombstone_arm64_android10.txt')}`);
    expect(result.kind === 'tombstone-text' && result.tombstones.map((t) => t.pid)).toEqual([1203, 2417]);
  });
});

describe('fallback for crash text that is not debuggerd', () => {
  it('extracts signal, process, backtrace_symbols frames and places them with the maps block', () => {
    const result = file(text('crash_uclibc_backtrace.txt'));
    expect(result.kind).toBe('unknown-text');
    if (result.kind !== 'unknown-text') return;
    expect(result.fallback).toMatchObject({ fallback: true, signal: { number: 11, name: 'SIGSEGV' }, pid: 1432, processName: 'voip_task' });
    expect(result.fallback.registers).toMatchObject({ pc: '0x40e2c4', lr: '0x40e2a8' });
    expect(result.fallback.frames.map((f) => [f.module, f.function, f.offset])).toEqual([
      ['/home/ipphone/bin/voip_task', 'sip_parse_uri', '0xe2c4'],
      ['/home/ipphone/bin/voip_task', 'sip_handle_invite', '0xf5a0'],
      ['/lib/libc.so.0', '__uClibc_main', '0x7c14'],
      ['/home/ipphone/bin/voip_task', undefined, '0x23f0'],
    ]);
  });

  it('uses the libc "Fatal signal" logcat summary when the DEBUG lines are missing', () => {
    const result = file('03-14 09:41:27.480  1203  1227 F libc    : Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x18 in tid 1227 (SipWorker), pid 1203 (voip_task)\n');
    expect(result.kind === 'unknown-text' && result.fallback).toMatchObject({ signal: { number: 11, name: 'SIGSEGV' }, pid: 1203, processName: 'voip_task' });
  });

  it('recognises "Segmentation fault" wording without a signal name', () => {
    const result = file('voip_task[812]: Segmentation fault\n');
    expect(result.kind === 'unknown-text' && result.fallback.signal).toEqual({ number: 11, name: 'SIGSEGV' });
  });
});

describe('Android 12+ protobuf tombstones', () => {
  it('recognises one by its leading fields (fully decoded in tombstone-proto.test.ts)', () => {
    const proto = protoMessage([
      [1, 0, 1],
      [2, 2, 'Example/deskphone_arm/deskphone:12/SP1A.210812.016/2.1.638:user/release-keys'],
      [5, 0, 3121], [6, 0, 3121], [7, 0, 1041],
      [9, 2, '/vendor/bin/hw/vendor.example.audio@1.0-service'],
      [10, 2, protoMessage([[1, 0, 7]])],
      [14, 2, 'boom'],
    ]);
    const result = file(proto);
    expect(result.kind).toBe('tombstone-proto');
    expect(result.kind === 'tombstone-proto' && result.tombstone).toMatchObject({
      buildFingerprint: 'Example/deskphone_arm/deskphone:12/SP1A.210812.016/2.1.638:user/release-keys', abi: 'arm64',
      pid: 3121, tid: 3121, uid: 1041, commandLine: ['/vendor/bin/hw/vendor.example.audio@1.0-service'], abortMessage: 'boom',
      signal: { number: 7 },
    });
  });

  it('treats bytes that merely start like protobuf as text', () => {
    const result = file(new Uint8Array([0x12, 0x03, 0x61, 0x62, 0x63]));
    expect(result.kind).toBe('unknown-text');
  });
});

describe('hostile input', () => {
  it('rejects empty input and never throws on garbage', () => {
    expect(decodeTombstone('')).toMatchObject({ kind: 'decode-error' });
    expect(decodeTombstone(new Uint8Array(0))).toMatchObject({ kind: 'decode-error' });
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const source = text('tombstone_arm64_android10.txt');
    for (let round = 0; round < 100; round++) {
      const bytes = new TextEncoder().encode(source);
      for (let i = 0; i < 40; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      expect(() => decodeTombstone(bytes)).not.toThrow();
    }
    expect(() => decodeTombstone(`*** *** ***\npid: 1, tid: 1, name: x  >>> y <<<\nAbort message: '${'('.repeat(100_000)}`)).not.toThrow();
  });

  it('parses a frame with an unbalanced parenthesis as a plain map name', () => {
    expect(parseFrame('    #00 pc 00001000  /data/weird)name')).toEqual({ index: 0, relPc: '0x1000', module: '/data/weird)name' });
  });
});

type ProtoField = [field: number, wireType: 0 | 2, value: number | string | Uint8Array];

function protoMessage(fields: readonly ProtoField[]): Uint8Array {
  const bytes: number[] = [];
  const varint = (value: number): void => {
    let v = value;
    while (v >= 0x80) { bytes.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    bytes.push(v);
  };
  for (const [field, wireType, value] of fields) {
    varint(field * 8 + wireType);
    if (wireType === 0) varint(value as number);
    else {
      const body = typeof value === 'string' ? new TextEncoder().encode(value) : (value as Uint8Array);
      varint(body.length);
      bytes.push(...body);
    }
  }
  return Uint8Array.from(bytes);
}
