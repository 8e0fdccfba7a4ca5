import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeElfSymbols, functionAt, type ElfSymbols } from '../../parsers/elf-symbols.js';
import { isDecodeError } from '../../parsers/decode-error.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/crash/', import.meta.url));
const armhf = new Uint8Array(readFileSync(FIXTURES + 'crashme_armhf'));

function symbols(bytes: Uint8Array): ElfSymbols {
  const result = decodeElfSymbols(bytes);
  if (isDecodeError(result)) throw new Error(result.message);
  return result;
}

describe('ELF symbols', () => {
  it('names the spec example addresses of the non-PIE ARM binary (image base 0x10000)', () => {
    const s = symbols(armhf);
    expect(s.imageBase).toBe(0x10000);
    expect(functionAt(s.functions, s.imageBase + 0x54c)?.name).toBe('write_config_value');
    // Caller frames hold return addresses: 0x105bc is past a noreturn call, the first byte of the next function.
    expect(functionAt(s.functions, s.imageBase + 0x5bc)?.name).toBe('dispatch_event');
    expect(functionAt(s.functions, s.imageBase + 0x5bc - 1)?.name).toBe('handle_incoming_call');
    expect(functionAt(s.functions, s.imageBase + 0x5f0 - 1)?.name).toBe('dispatch_event');
  });

  it('finds nothing below the first function or past a sized last function', () => {
    const fns = [{ name: 'a', value: '0x100', address: 0x100, size: 0x10 }, { name: 'b', value: '0x200', address: 0x200, size: 0x8 }];
    expect(functionAt(fns, 0xff)).toBeUndefined();
    expect(functionAt(fns, 0x180)).toBeUndefined();
    expect(functionAt(fns, 0x204)).toEqual({ name: 'b', offset: 4 });
    expect(functionAt(fns, 0x208)).toBeUndefined();
  });

  it('refuses a core file, text and an empty input with a reason', () => {
    const core = decodeElfSymbols(new Uint8Array(gunzipSync(readFileSync(FIXTURES + 'core.armhf.gz'))));
    expect(isDecodeError(core) && core.message).toMatch(/e_type is 4/);
    expect(isDecodeError(decodeElfSymbols(new TextEncoder().encode('hello'))) ).toBe(true);
    expect(isDecodeError(decodeElfSymbols(new Uint8Array(0)))).toBe(true);
  });

  it('reports a truncated binary whose section headers are cut off', () => {
    const result = decodeElfSymbols(armhf.subarray(0, 4096));
    expect(isDecodeError(result) && result.message).toMatch(/exceeds the 4096-byte file/);
  });

  it('survives a lying symbol table size without allocating it', () => {
    const bytes = new Uint8Array(armhf);
    const view = new DataView(bytes.buffer);
    const shoff = view.getUint32(32, true);
    const shnum = view.getUint16(48, true);
    for (let i = 0; i < shnum; i++) if (view.getUint32(shoff + i * 40 + 4, true) === 2) view.setUint32(shoff + i * 40 + 20, 0xfffffff0, true);
    const result = decodeElfSymbols(bytes);
    expect(isDecodeError(result) && result.message).toMatch(/symbol table/);
  });
});
