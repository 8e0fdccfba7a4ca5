import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { crashSignature, functionName, signatureInputFromTombstone } from '../../parsers/crash-signature.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { itaniumFunctionName } from '../../parsers/itanium-name.js';
import { decodeTombstone, type Tombstone } from '../../parsers/tombstone.js';
import { decodeProtoTombstone } from '../../parsers/tombstone-proto.js';
import { TOMBSTONE_DESCRIPTOR } from '../../parsers/tombstone-proto/descriptor.js';
import { ARM64_MANGLED, protoTombstoneFixtures, TombstoneMessage } from '../fixtures/gen-tombstone-pb.js';

const SCHEMA = fileURLToPath(new URL('../../parsers/tombstone-proto/tombstone.proto', import.meta.url));
const fixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url)));
const text = (name: string): string => readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url), 'utf8');

function fromPb(bytes: Uint8Array): { tombstone: Tombstone; problems: readonly string[] } {
  const result = decodeTombstone(bytes);
  if (isDecodeError(result)) throw new Error(result.message);
  if (result.kind !== 'tombstone-proto') throw new Error(`expected a protobuf tombstone, got ${result.kind}`);
  return result;
}

function fromText(name: string): Tombstone {
  const result = decodeTombstone(text(name));
  if (isDecodeError(result) || result.kind !== 'tombstone-text') throw new Error(`${name}: not a text tombstone`);
  return result.tombstones[0]!;
}

/**
 * What a .pb and its text twin must agree on: everything but the fields only one of them has, and
 * the fault marker (the ARM32 text fixture says "between mapped regions" of an address its scudo map holds).
 */
function shared(t: Tombstone): unknown {
  return {
    buildFingerprint: t.buildFingerprint, revision: t.revision, abi: t.abi, pid: t.pid, tid: t.tid, threadName: t.threadName,
    processName: t.processName, uid: t.uid, signal: t.signal, causes: t.causes, abortMessage: t.abortMessage, memoryMap: t.memoryMap.map(({ fault: _fault, ...entry }) => entry),
    threads: t.threads.map((thread) => ({ ...thread, frames: thread.frames.map(({ pc: _pc, ...frame }) => frame) })),
  };
}

describe('schema', () => {
  it('ships the descriptor generated from the .proto (scripts/gen-tombstone-proto.js)', () => {
    const { root } = protobuf.parse(readFileSync(SCHEMA, 'utf8'), { keepCase: true });
    expect(root.toJSON()).toEqual(TOMBSTONE_DESCRIPTOR);
  });

  it('commits the .pb fixtures that test/fixtures/gen-tombstone-pb.ts builds', () => {
    const fixtures = protoTombstoneFixtures();
    expect(fixtures.map((f) => f.name)).toEqual(['tombstone_arm32_android12.pb', 'tombstone_arm64_android13.pb', 'tombstone_x86_64_android12.pb']);
    for (const f of fixtures) expect(Buffer.from(fixtureBytes(f.name)).equals(Buffer.from(f.bytes)), f.name).toBe(true);
  });
});

describe('Android 12+ protobuf tombstones, decoded whole', () => {
  it('reads header, signal, every thread with registers and frames, maps, open fds and logs (ARM32)', () => {
    const { tombstone: t, problems } = fromPb(fixtureBytes('tombstone_arm32_android12.pb'));
    expect(problems).toEqual([]);
    expect(t).toMatchObject({
      kind: 'tombstone-proto', dialect: 'android-12+', abi: 'arm', revision: '0',
      buildFingerprint: 'Example/deskphone_arm/deskphone:12/SP1A.210812.016/2.1.638:user/release-keys',
      timestamp: '2024-06-02 17:05:44.512084937+0200', processUptimeSeconds: 8432, pid: 3121, tid: 3121, uid: 1041,
      selinuxLabel: 'u:r:hal_audio_default:s0', threadName: 'audio@1.0-servi',
      processName: '/vendor/bin/hw/vendor.example.audio@1.0-service', commandLine: ['/vendor/bin/hw/vendor.example.audio@1.0-service'],
      signal: { number: 7, name: 'SIGBUS', code: 1, codeName: 'BUS_ADRALN', faultAddr: '0xe61a2c03' },
    });
    expect(t.threads.map((th) => [th.tid, th.name, th.frames.length, Object.keys(th.registers).length])).toEqual([[3121, 'audio@1.0-servi', 5, 16], [3135, 'HwBinder:3121_1', 3, 16]]);
    expect(t.threads[0]!.registers).toMatchObject({ r10: '0xffd1c3b0', ip: '0xe8b6e5c8', pc: '0xe8b4a41e' });
    expect(t.threads[0]!.frames[0]).toEqual({
      index: 0, relPc: '0x641e', pc: '0xe8b4641e', module: '/vendor/lib/libexample_dsp.so', function: 'dsp_read_u32_le', functionOffset: 10,
      buildId: 'e2d4c6b8a0f1e3d5c7b9a1f2e4d6c8b0',
    });
    expect(t.memoryMap[1]).toEqual({
      start: '0xe8b44000', end: '0xe8b4cfff', perms: 'r-x', offset: '0x4000', size: '0x9000', name: '/vendor/lib/libexample_dsp.so',
      buildId: 'e2d4c6b8a0f1e3d5c7b9a1f2e4d6c8b0', fault: false,
    });
    expect(t.openFiles).toEqual([{ fd: 0, path: '/dev/null' }, { fd: 7, path: 'socket:[48213]', owner: 'unique_fd', tag: '0x1e48d5a71' }]);
    expect(t.logBuffers).toEqual([{
      name: 'main', messages: [
        { timestamp: '06-02 17:05:44.498', pid: 3121, tid: 3121, priority: 'E', tag: 'audio_hw', message: 'write: frame header at 0xe61a2c03' },
        { timestamp: '06-02 17:05:44.505', pid: 3121, tid: 3121, priority: 'F', tag: 'libc', message: 'Fatal signal 7 (SIGBUS), code 1 (BUS_ADRALN)' },
      ],
    }]);
  });

  it.each([
    ['tombstone_arm32_android12.pb', 'tombstone_arm32_android12.txt'],
    ['tombstone_x86_64_android12.pb', 'tombstone_x86_64_android9.txt'],
  ])('yields the record the text decoder gives for the same crash (%s)', (pb, txt) => {
    expect(shared(fromPb(fixtureBytes(pb)).tombstone)).toEqual(shared(fromText(txt)));
  });

  it('reads an abort message, an address-less signal and APK-embedded frames (x86-64)', () => {
    const t = fromPb(fixtureBytes('tombstone_x86_64_android12.pb')).tombstone;
    expect(t).toMatchObject({ abi: 'x86_64', abortMessage: 'assertion "codec != NULL" failed at 0x7f3e2a10c040 line 1234', signal: { name: 'SIGABRT', code: -6 } });
    expect(t.signal?.faultAddr).toBeUndefined();
    expect(t.threads[0]!.registers).toMatchObject({ rip: '0x7f3e3a8d6a48', rsp: '0x7f3e2f6ff0b8' });
    expect(t.threads[0]!.frames[5]).toMatchObject({ mapOffset: '0x1b9000', function: 'CodecRegistry::open(char const*, int (*)(void*))' });
    expect(t.memoryMap[2]).toMatchObject({ loadBias: '0x1b9000' });
  });

  it('marks the mapping the fault address lies in, as debuggerd\'s "--->"', () => {
    const message = TombstoneMessage.toObject(TombstoneMessage.decode(fixtureBytes('tombstone_arm32_android12.pb')), { longs: String, arrays: true, objects: true });
    message['signal_info'].fault_address = String(0xe8b4a41en);
    const t = fromPb(TombstoneMessage.encode(TombstoneMessage.fromObject(message)).finish()).tombstone;
    expect(t.memoryMap.map((m) => m.fault)).toEqual([false, true, false, false, false, false]);
  });

  it('keeps the mangled names Android 12–13 store, and their frames still name the same functions', () => {
    const pb = fromPb(fixtureBytes('tombstone_arm64_android13.pb')).tombstone;
    const txt = fromText('tombstone_arm64_android10.txt');
    expect(pb.threads[0]!.frames[4]!.function).toBe('_ZN5media12JitterBuffer4pushERKNS_9RtpPacketE');
    expect(pb.threads[0]!.frames.map((f) => f.function && functionName(f.function))).toEqual(txt.threads[0]!.frames.map((f) => f.function && functionName(f.function)));
  });
});

describe('grouping with the text tombstone of the same crash', () => {
  it.each([
    ['tombstone_arm32_android12.pb', 'tombstone_arm32_android12.txt'],
    ['tombstone_arm64_android13.pb', 'tombstone_arm64_android10.txt'],
    ['tombstone_x86_64_android12.pb', 'tombstone_x86_64_android9.txt'],
  ])('%s and %s give one signature', (pb, txt) => {
    const fromProto = crashSignature(signatureInputFromTombstone(fromPb(fixtureBytes(pb)).tombstone));
    const fromTextFile = crashSignature(signatureInputFromTombstone(fromText(txt)));
    expect(fromProto).toEqual(fromTextFile);
    expect(fromProto.confidence).toBe('high');
  });
});

describe('damaged files', () => {
  const whole = fixtureBytes('tombstone_arm64_android13.pb');

  it('keeps what precedes a truncation and names the loss', () => {
    const { tombstone: t, problems } = fromPb(whole.subarray(0, whole.length - 40));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^truncated at byte \\d+ of ${whole.length - 40}: the rest of the file is lost$`))]);
    expect(t.threads).toHaveLength(2);
    expect(t.signal?.name).toBe('SIGABRT');
    expect(t.memoryMap.length).toBeGreaterThan(0);
  });

  it('drops a top-level field whose inside is broken and keeps the others', () => {
    // A thread entry (field 16) whose map value claims more bytes than the entry holds.
    const bad = Uint8Array.of(0x82, 0x01, 0x04, 0x08, 0x01, 0x12, 0x7f);
    const { tombstone: t, problems } = fromPb(Uint8Array.from([...whole, ...bad]));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^thread at byte ${whole.length} unreadable: `))]);
    expect(t.threads).toHaveLength(2);
  });

  it('gives a clear error record when no field is readable', () => {
    const cut = Uint8Array.of(0x12, 0x50, ...new TextEncoder().encode('A/b:c'));
    expect(decodeProtoTombstone(cut)).toEqual({
      kind: 'decode-error', format: 'tombstone', offset: 0,
      message: 'protobuf tombstone: no readable field (truncated at byte 0 of 7: the rest of the file is lost)',
    });
    // Without a readable fingerprint it is not taken for a .pb at all: the text fallback finds nothing in it.
    expect(decodeTombstone(cut)).toMatchObject({ kind: 'unknown-text', fallback: { frames: [] } });
  });

  it('keeps the header of a file cut right after its fingerprint', () => {
    const fingerprintEnd = 2 + 2 + whole[3]!;
    const { tombstone: t, problems } = fromPb(whole.subarray(0, fingerprintEnd + 2));
    expect(t).toMatchObject({ abi: 'arm64', buildFingerprint: expect.stringMatching(/^Example\/deskphone64/), threads: [] });
    expect(problems).toEqual([`truncated at byte ${fingerprintEnd} of ${fingerprintEnd + 2}: the rest of the file is lost`, 'no thread in the file']);
    // Cut between two fields, a protobuf looks whole: only the missing threads tell.
    expect(fromPb(whole.subarray(0, fingerprintEnd)).problems).toEqual(['no thread in the file']);
  });

  it('never throws on random truncations and corruptions of every fixture', () => {
    let seed = 17;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const { bytes } of protoTombstoneFixtures()) {
      for (let n = 0; n <= bytes.length; n += 1 + Math.floor(random() * 7)) {
        const result = decodeTombstone(bytes.subarray(0, n));
        expect(result.kind === 'decode-error' || result.kind === 'tombstone-proto' || result.kind === 'unknown-text').toBe(true);
      }
      for (let round = 0; round < 200; round++) {
        const copy = bytes.slice(0, 1 + Math.floor(random() * bytes.length));
        for (let i = 0; i < 12; i++) copy[2 + Math.floor(random() * (copy.length - 2))] = Math.floor(random() * 256);
        expect(() => decodeTombstone(copy)).not.toThrow();
        const result = decodeTombstone(copy);
        expect(['decode-error', 'tombstone-proto', 'unknown-text', 'tombstone-text']).toContain(result.kind);
      }
    }
  });
});

// protoc (protobuf-compiler) reads the same bytes with the same schema, independently of protobufjs.
const haveProtoc = spawnSync('protoc', ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveProtoc && process.env['IPP_ALLOW_MISSING_ORACLES'] !== '1') {
  throw new Error('protoc is not installed: apt-get install protobuf-compiler, or set IPP_ALLOW_MISSING_ORACLES=1 to skip its checks');
}
const protoc = (args: readonly string[], input: Uint8Array | string): Buffer =>
  execFileSync('protoc', [`--proto_path=${path.dirname(SCHEMA)}`, ...args, 'tombstone.proto'], { input });

describe.skipIf(!haveProtoc)('protoc as oracle', () => {
  it.each(['tombstone_arm32_android12.pb', 'tombstone_arm64_android13.pb', 'tombstone_x86_64_android12.pb'])('agrees with protoc --decode on %s', (name) => {
    const bytes = fixtureBytes(name);
    const decoded = protoc(['--decode=Tombstone'], bytes).toString('utf8');
    const t = fromPb(bytes).tombstone;
    const all = (field: string): string[] => [...decoded.matchAll(new RegExp(`^\\s*${field}: (.*)$`, 'gm'))].map((m) => m[1]!);
    const frames = t.threads.flatMap((th) => th.frames);
    expect(all('rel_pc').map((v) => `0x${BigInt(v).toString(16)}`)).toEqual(frames.map((f) => f.relPc).filter((pc) => pc !== '0x0'));
    expect(all('function_name').map((v) => JSON.parse(v) as string)).toEqual(frames.flatMap((f) => (f.function ? [f.function] : [])));
    expect(all('begin_address').map((v) => `0x${BigInt(v).toString(16)}`)).toEqual(t.memoryMap.map((m) => m.start).filter((s) => s !== '0x0'));
    expect(all('id').map(Number)).toEqual(t.threads.map((th) => th.tid).sort((a, b) => a - b));
    expect(JSON.parse(all('build_fingerprint')[0]!)).toBe(t.buildFingerprint);
    expect(all('fault_address').map((v) => `0x${BigInt(v).toString(16)}`)).toEqual(t.signal?.faultAddr ? [t.signal.faultAddr] : []);
  });

  it('decodes a tombstone protoc --encode built from text format', () => {
    const textFormat = `
      arch: X86 build_fingerprint: "Example/deskphone_x86/deskphone:13/TQ3A.230901.001/9:user/release-keys" pid: 700 tid: 701 uid: 1000
      command_line: "/system/bin/voip_task" command_line: "--sip"
      signal_info { number: 11 name: "SIGSEGV" code: 1 code_name: "SEGV_MAPERR" has_fault_address: true fault_address: 16 }
      causes { human_readable: "null pointer dereference" }
      threads { key: 701 value { id: 701 name: "SipWorker" registers { name: "eip" u64: 4150067772 } registers { name: "esp" u64: 4294955008 }
        current_backtrace { rel_pc: 40960 pc: 4150067772 file_name: "/system/lib/libsipua.so" function_name: "_ZN3sip6Dialog12remoteTargetEv" function_offset: 12 build_id: "0C4F9D2E" } } }
      memory_mappings { begin_address: 4150026240 end_address: 4150091776 read: true execute: true mapping_name: "/system/lib/libsipua.so" }
      open_fds { fd: 3 path: "/dev/binder" owner: "ParcelFileDescriptor" tag: 255 }
    `;
    const t = fromPb(new Uint8Array(protoc(['--encode=Tombstone'], textFormat))).tombstone;
    expect(t).toMatchObject({
      abi: 'x86', pid: 700, tid: 701, uid: 1000, processName: '/system/bin/voip_task', cmdline: '/system/bin/voip_task --sip',
      signal: { number: 11, name: 'SIGSEGV', code: 1, codeName: 'SEGV_MAPERR', faultAddr: '0x10' }, causes: ['null pointer dereference'],
      openFiles: [{ fd: 3, path: '/dev/binder', owner: 'ParcelFileDescriptor', tag: '0xff' }],
    });
    expect(t.threads[0]).toMatchObject({ tid: 701, name: 'SipWorker', registers: { eip: '0xf75d023c', esp: '0xffffd000' } });
    expect(t.threads[0]!.frames).toEqual([{
      index: 0, relPc: '0xa000', pc: '0xf75d023c', module: '/system/lib/libsipua.so', function: '_ZN3sip6Dialog12remoteTargetEv', functionOffset: 12, buildId: '0c4f9d2e',
    }]);
    expect(t.memoryMap).toEqual([{ start: '0xf75c6000', end: '0xf75d5fff', perms: 'r-x', offset: '0x0', size: '0x10000', name: '/system/lib/libsipua.so', fault: false }]);
  });
});

describe('mangled names', () => {
  it('are the text fixture\'s functions, as c++filt demangles them, and give the signature\'s name', () => {
    const demangled = execFileSync('c++filt', Object.values(ARM64_MANGLED), { encoding: 'utf8' }).trim().split('\n');
    const keys = Object.keys(ARM64_MANGLED);
    expect(demangled.map(functionName)).toEqual(keys.map(functionName));
    expect(Object.values(ARM64_MANGLED).map((m) => itaniumFunctionName(m))).toEqual(keys.map(functionName));
  });

  it('names constructors, destructors, operators, std:: and anonymous namespaces like c++filt', () => {
    const symbols = ['_ZN4voip3FooC2Ei', '_ZN4voip3FooD1Ev', '_ZNK4voip3FooeqERKS0_', '_ZNSt3__16vectorIiNS_9allocatorIiEEE9push_backEOi', '_ZN12_GLOBAL__N_17handlerEv', '_Z17dsp_process_blockPsi', '_ZN4voip3fooIiLi5EEEvT_'];
    const demangled = execFileSync('c++filt', symbols, { encoding: 'utf8' }).trim().split('\n');
    expect(symbols.map((s) => itaniumFunctionName(s))).toEqual(demangled.map(functionName));
  });

  it('leaves what it cannot read to the caller', () => {
    expect(['abort', '_ZZN4voip3fooEvE1x', '_Z', '_ZN4voip', `_ZN${'9'.repeat(5)}x`].map((s) => itaniumFunctionName(s))).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
