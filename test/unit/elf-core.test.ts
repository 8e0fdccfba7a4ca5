import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeElfCore, type ByteSource, type ElfCore } from '../../parsers/elf-core.js';
import { isDecodeError } from '../../parsers/decode-error.js';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`../fixtures/crash/${name}`, import.meta.url));
const core = (arch: string): Uint8Array => gunzipSync(fixture(`core.${arch}.gz`));

function decoded(bytes: Uint8Array | ByteSource): ElfCore {
  const result = decodeElfCore(bytes);
  if (isDecodeError(result)) throw new Error(`unexpected decode error: ${result.message}`);
  return result;
}

const basename = (path: string | undefined): string | undefined => path?.slice(path.lastIndexOf('/') + 1);

describe('ELF core from the Linux kernel (x86-64, NT_FILE and NT_SIGINFO present)', () => {
  const result = decoded(core('x86_64'));

  it('lists every note with readelf owner, type and size', () => {
    expect(result.notes.map((n) => `${n.owner}/${n.typeName ?? n.type}/${n.size}`)).toEqual([
      'CORE/NT_PRSTATUS/336', 'CORE/NT_PRPSINFO/136', 'CORE/NT_SIGINFO/128', 'CORE/NT_AUXV/368',
      expect.stringMatching(/^CORE\/NT_FILE\/\d+$/), 'CORE/NT_FPREGSET/512', expect.stringMatching(/^LINUX\/NT_X86_XSTATE\/\d+$/),
      'CORE/NT_PRSTATUS/336', 'CORE/NT_FPREGSET/512', expect.stringMatching(/^LINUX\/NT_X86_XSTATE\/\d+$/), 'LINUX/517/64',
    ]);
    expect(result.dialect).toBe('kernel-core');
    expect(result.partial).toBe(false);
  });

  it('reads the process, the signal with code and fault address, and both threads', () => {
    expect(result.process.name).toBe('crashme_x86_64');
    expect(basename(result.process.executable)).toBe('crashme_x86_64');
    expect(result.signal).toEqual({ number: 11, name: 'SIGSEGV', code: 1, codeName: 'SEGV_MAPERR', faultAddr: '0x0', source: 'siginfo' });
    expect(result.threads).toHaveLength(2);
    // The kernel writes the dumping thread first, and it is the main thread (tid == pid) here.
    expect(result.crashingThread?.tid).toBe(result.process.pid);
    expect(Object.keys(result.crashingThread?.registers ?? {})).toContain('rip');
  });

  it('maps the crash chain into the executable with its build-id, innermost first', () => {
    const frames = result.crashingThread!.frames.slice(0, 4);
    expect(frames.map((f) => [basename(f.module), f.trust])).toEqual([
      ['crashme_x86_64', 'context'], ['crashme_x86_64', 'fp'], ['crashme_x86_64', 'fp'], ['crashme_x86_64', 'fp'],
    ]);
    const main = result.modules.find((m) => m.main)!;
    expect(main.buildId).toMatch(/^[0-9a-f]{40}$/);
    expect(frames[0]!.buildId).toBe(main.buildId);
    expect(main.elfType).toBe('dyn');
    // PIE: the addr2line address is the offset from the image base.
    expect(frames[0]!.elfAddress).toBe(frames[0]!.offset);
    expect(result.modules.map((m) => basename(m.path))).toEqual(expect.arrayContaining(['libc.so.6']));
  });
});

describe.each([
  ['armhf', 'arm', 'lr'],
  ['aarch64', 'arm64', 'x30'],
  ['mipsel', 'mips', 'ra'],
] as const)('ELF core from qemu-user (%s: no NT_FILE, no NT_SIGINFO)', (name, arch, returnRegister) => {
  const result = decoded(core(name));

  it('recognises the architecture and the producer', () => {
    expect(result.arch).toBe(arch);
    expect(result.dialect).toBe('qemu-core');
    expect(result.elf.wordSize).toBe(arch === 'arm64' ? 8 : 4);
    expect(result.notes.map((n) => n.typeName)).toEqual(['NT_PRSTATUS', 'NT_PRPSINFO', 'NT_AUXV', 'NT_PRSTATUS']);
  });

  it('takes the signal from the crashing thread because there is no siginfo', () => {
    expect(result.signal).toEqual({ number: 11, name: 'SIGSEGV', source: 'prstatus' });
    expect(result.threads.map((t) => t.currentSignal)).toEqual([11, 0]);
    expect(result.process.name).toBe(`crashme_${name}`);
  });

  it('finds the modules through the link_map and maps pc and the return register into the executable', () => {
    expect(result.warnings.join()).toMatch(/no NT_FILE/);
    const main = result.modules.find((m) => m.main)!;
    expect(basename(main.path)).toBe(`crashme_${name}`);
    expect(main.source).toBe('link-map');
    expect(result.modules.some((m) => basename(m.path) === 'libc.so.6')).toBe(true);
    const [pc, caller] = result.crashingThread!.frames;
    expect(pc).toMatchObject({ trust: 'context', pc: result.crashingThread!.registers['pc'] });
    expect(caller).toMatchObject({ trust: 'context', pc: result.crashingThread!.registers[returnRegister] });
    expect(basename(pc!.module)).toBe(`crashme_${name}`);
    // Non-PIE executable: the addr2line address is the absolute pc.
    expect(pc!.elfAddress).toBe(pc!.pc);
  });
});

describe('reading through a ByteSource', () => {
  it('touches only headers, notes and a few stack words of a core with NT_FILE', () => {
    const bytes = core('x86_64');
    let bytesRead = 0;
    const source: ByteSource = {
      size: bytes.length,
      read(offset, length) {
        bytesRead += length;
        return bytes.subarray(offset, offset + length);
      },
    };
    const viaSource = decoded(source);
    expect(viaSource.crashingThread?.frames).toEqual(decoded(bytes).crashingThread?.frames);
    expect(bytesRead).toBeLessThan(bytes.length / 50);
  });

  it('survives a source whose read throws', () => {
    const result = decodeElfCore({ size: 4096, read: () => { throw new Error('disk gone'); } });
    expect(isDecodeError(result)).toBe(true);
  });
});

describe('hostile input', () => {
  it('rejects 0 bytes, random bytes and an ELF that is not a core, saying why', () => {
    expect(decodeElfCore(new Uint8Array(0))).toMatchObject({ kind: 'decode-error', message: 'empty input: 0 bytes' });
    expect(decodeElfCore(new Uint8Array(64).fill(0x41))).toMatchObject({ kind: 'decode-error', message: expect.stringMatching(/not an ELF file/) });
    expect(decodeElfCore(fixture('crashme_armhf'))).toMatchObject({ kind: 'decode-error', message: expect.stringMatching(/e_type is 2/) });
  });

  it('reports a core cut inside its notes as partial, keeping the threads it could read', () => {
    const bytes = core('x86_64').subarray(0, 0x628 + 400);
    const result = decoded(bytes);
    expect(result.partial).toBe(true);
    expect(result.partialReasons.join()).toMatch(/truncated/);
    expect(result.threads).toHaveLength(1);
  });

  it('stops at a note whose size lies, without allocating it', () => {
    const bytes = core('armhf').slice(0, 4096);
    const view = new DataView(bytes.buffer);
    const firstNote = findNoteSegmentOffset(bytes);
    view.setUint32(firstNote + 4, 0xfffffff0, true);
    const result = decoded(bytes);
    expect(result.partial).toBe(true);
    expect(result.partialReasons.join()).toMatch(/descsz 4294967280/);
  });

  it('rejects a program header count larger than the file', () => {
    const bytes = core('armhf').slice(0, 4096);
    new DataView(bytes.buffer).setUint16(44, 0xfffe, true);
    expect(decodeElfCore(bytes)).toMatchObject({ kind: 'decode-error', message: expect.stringMatching(/exceeds the 4096-byte file/) });
  });

  it('never throws on any prefix or on random corruption of a real core', () => {
    const bytes = core('mipsel').slice(0, 8192);
    for (let cut = 0; cut < 1200; cut += 7) expect(() => decodeElfCore(bytes.subarray(0, cut))).not.toThrow();
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const copy = bytes.slice();
      for (let i = 0; i < 8; i++) copy[Math.floor(random() * 1200)] = Math.floor(random() * 256);
      const result = decodeElfCore(copy);
      expect(isDecodeError(result) ? result.message.startsWith('internal error') : false).toBe(false);
    }
  });
});

function findNoteSegmentOffset(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const phoff = view.getUint32(28, true);
  for (let i = 0; i < view.getUint16(44, true); i++) {
    const at = phoff + i * 32;
    if (view.getUint32(at, true) === 4) return view.getUint32(at + 4, true);
  }
  throw new Error('no PT_NOTE');
}
