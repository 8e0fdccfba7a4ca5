/**
 * Function symbols of an unstripped ELF executable or shared library (.symtab, else .dynsym), its
 * GNU build id and its image base, so a crash frame's `module + offset` can be named.
 *
 * Field names follow `readelf -s` / `readelf -n` (no tshark dissector exists for ELF):
 *   functions[].value = st_value ("Value"), .size = st_size ("Size"), .name = "Name" without
 *   the `@VERSION` readelf appends to .dynsym names; only STT_FUNC/STT_GNU_IFUNC with a section.
 *   buildId = NT_GNU_BUILD_ID "Build ID"; imageBase = lowest PT_LOAD p_vaddr, page-aligned down.
 *
 * Input is bytes or a ByteSource: a library with debug info can be hundreds of MB, of which only
 * the section headers, the symbol table and its string table are read.
 */
import { byteSourceFromBytes, FieldReader, guardedSource, type ByteSource } from './elf-core/byte-source.js';
import { decodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'elf-symbols';
const ET_EXEC = 2;
const ET_DYN = 3;
const EM_ARM = 40;
const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const NT_GNU_BUILD_ID = 3;
const PAGE_BYTES = 0x1000n;
const MAX_SECTIONS = 65_535;
/** A symbol table larger than this is a lie about sh_size (libxul has ~1.5 M symbols, 36 MB). */
const MAX_SYMBOL_TABLE_BYTES = 256 * 1024 * 1024;
const MAX_STRING_TABLE_BYTES = 256 * 1024 * 1024;
const MAX_NAME_BYTES = 4096;
const MAX_NOTE_SECTION_BYTES = 64 * 1024;

export interface ElfFunctionSymbol {
  readonly name: string;
  /** st_value as stored (on ARM the Thumb bit 0 may be set); hex. */
  readonly value: string;
  /** Start address for lookups: st_value without the ARM Thumb bit. */
  readonly address: number;
  readonly size: number;
}

export interface ElfSymbols {
  readonly format: 'elf-symbols';
  readonly type: 'exec' | 'dyn';
  readonly machine: number;
  readonly wordSize: 4 | 8;
  readonly buildId?: string;
  /** Lowest PT_LOAD p_vaddr rounded down to a page: module offset + imageBase = ELF address. */
  readonly imageBase: number;
  /** Which table the functions came from; `dynsym` only means a stripped file (exported names only). */
  readonly table: 'symtab' | 'dynsym' | 'none';
  /** Sorted by address, duplicates (same address and name) removed. */
  readonly functions: readonly ElfFunctionSymbol[];
}

interface Section {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

export function decodeElfSymbols(input: Uint8Array | ByteSource): ElfSymbols | DecodeError {
  try {
    return decode(guardedSource(input instanceof Uint8Array ? byteSourceFromBytes(input) : input));
  } catch (error) {
    return decodeError(FORMAT, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decode(source: ByteSource): ElfSymbols | DecodeError {
  const ident = source.read(0, 16);
  if (ident.length < 16 || ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
    return decodeError(FORMAT, 'not an ELF file: magic is not 7f 45 4c 46', 0);
  }
  if ((ident[4] !== 1 && ident[4] !== 2) || (ident[5] !== 1 && ident[5] !== 2)) return decodeError(FORMAT, `unknown EI_CLASS ${ident[4]} or EI_DATA ${ident[5]}`, 4);
  const wordSize = ident[4] === 1 ? 4 : 8;
  const littleEndian = ident[5] === 1;
  const headerBytes = wordSize === 4 ? 52 : 64;
  const h = new FieldReader(source.read(0, headerBytes), littleEndian, wordSize);
  if (!h.has(0, headerBytes)) return decodeError(FORMAT, `ELF header too short: ${h.bytes.length} of ${headerBytes} bytes`, 0);
  const type = h.u16(16);
  if (type !== ET_EXEC && type !== ET_DYN) return decodeError(FORMAT, `not an executable or shared library: e_type is ${type}`, 16);
  const machine = h.u16(18);
  const phoff = wordSize === 4 ? h.u32(28) : safeNumber(h.u64(32));
  const shoff = wordSize === 4 ? h.u32(32) : safeNumber(h.u64(40));
  const phentsize = h.u16(wordSize === 4 ? 42 : 54);
  const phnum = h.u16(wordSize === 4 ? 44 : 56);
  const shentsize = h.u16(wordSize === 4 ? 46 : 58);
  const shnum = h.u16(wordSize === 4 ? 48 : 60);

  const imageBase = readImageBase(source, littleEndian, wordSize, phoff, phentsize, phnum);
  const sections = readSections(source, littleEndian, wordSize, shoff, shentsize, shnum);
  if (typeof sections === 'string') return decodeError(FORMAT, sections, shoff);
  const buildId = readBuildId(source, littleEndian, sections);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const chosen = symtab ?? dynsym;
  const functions = chosen ? readFunctions(source, littleEndian, wordSize, machine, chosen, sections[chosen.link]) : [];
  if (typeof functions === 'string') return decodeError(FORMAT, functions, chosen?.offset);
  return {
    format: FORMAT,
    type: type === ET_EXEC ? 'exec' : 'dyn',
    machine,
    wordSize,
    ...(buildId !== undefined ? { buildId } : {}),
    imageBase,
    table: symtab ? 'symtab' : dynsym ? 'dynsym' : 'none',
    functions,
  };
}

function readImageBase(source: ByteSource, littleEndian: boolean, wordSize: 4 | 8, phoff: number, phentsize: number, phnum: number): number {
  const minEntry = wordSize === 4 ? 32 : 56;
  if (phnum === 0 || phentsize < minEntry) return 0;
  const r = new FieldReader(source.read(phoff, phnum * phentsize), littleEndian, wordSize);
  let lowest: bigint | undefined;
  for (let i = 0; i < phnum && r.has(i * phentsize, minEntry); i++) {
    const at = i * phentsize;
    if (r.u32(at) !== PT_LOAD) continue;
    const vaddr = wordSize === 4 ? BigInt(r.u32(at + 8)) : r.u64(at + 16);
    if (lowest === undefined || vaddr < lowest) lowest = vaddr;
  }
  return lowest === undefined ? 0 : safeNumber(lowest & ~(PAGE_BYTES - 1n));
}

function readSections(source: ByteSource, littleEndian: boolean, wordSize: 4 | 8, shoff: number, shentsize: number, shnum: number): Section[] | string {
  const minEntry = wordSize === 4 ? 40 : 64;
  if (shnum === 0 || shoff === 0) return [];
  if (shentsize < minEntry || shnum > MAX_SECTIONS) return `section header table unusable: ${shnum} entries of ${shentsize} bytes`;
  if (shoff + shnum * shentsize > source.size) return `section header table (${shnum} × ${shentsize} bytes at ${shoff}) exceeds the ${source.size}-byte file (truncated?)`;
  const r = new FieldReader(source.read(shoff, shnum * shentsize), littleEndian, wordSize);
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = i * shentsize;
    sections.push(wordSize === 4
      ? { type: r.u32(at + 4), offset: r.u32(at + 16), size: r.u32(at + 20), link: r.u32(at + 24), entsize: r.u32(at + 36) }
      : { type: r.u32(at + 4), offset: safeNumber(r.u64(at + 24)), size: safeNumber(r.u64(at + 32)), link: r.u32(at + 40), entsize: safeNumber(r.u64(at + 56)) });
  }
  return sections;
}

function readBuildId(source: ByteSource, littleEndian: boolean, sections: readonly Section[]): string | undefined {
  for (const section of sections) {
    if (section.type !== SHT_NOTE || section.size > MAX_NOTE_SECTION_BYTES) continue;
    const r = new FieldReader(source.read(section.offset, section.size), littleEndian, 4);
    for (let at = 0; at + 12 <= r.bytes.length;) {
      const namesz = r.u32(at);
      const descsz = r.u32(at + 4);
      const descAt = at + 12 + align4(namesz);
      if (r.u32(at + 8) === NT_GNU_BUILD_ID && r.cString(at + 12, namesz) === 'GNU' && r.has(descAt, descsz)) {
        return Buffer.from(r.bytes.subarray(descAt, descAt + descsz)).toString('hex');
      }
      at = descAt + align4(descsz);
    }
  }
  return undefined;
}

function readFunctions(source: ByteSource, littleEndian: boolean, wordSize: 4 | 8, machine: number, table: Section, strings: Section | undefined): ElfFunctionSymbol[] | string {
  const entry = wordSize === 4 ? 16 : 24;
  if (table.entsize !== 0 && table.entsize < entry) return `symbol table entry size ${table.entsize} smaller than ${entry}`;
  if (table.size > MAX_SYMBOL_TABLE_BYTES || table.offset + table.size > source.size) return `symbol table (${table.size} bytes at ${table.offset}) exceeds the file or the limit (truncated?)`;
  if (!strings || strings.size > MAX_STRING_TABLE_BYTES || strings.offset + strings.size > source.size) return 'string table of the symbol table is missing or exceeds the file';
  const stride = table.entsize || entry;
  const r = new FieldReader(source.read(table.offset, table.size), littleEndian, wordSize);
  const names = new FieldReader(source.read(strings.offset, strings.size), littleEndian, wordSize);
  const seen = new Set<string>();
  const functions: ElfFunctionSymbol[] = [];
  for (let at = 0; at + entry <= r.bytes.length; at += stride) {
    const nameAt = r.u32(at);
    const info = wordSize === 4 ? r.u8(at + 12) : r.u8(at + 4);
    const shndx = wordSize === 4 ? r.u16(at + 14) : r.u16(at + 6);
    const value = wordSize === 4 ? BigInt(r.u32(at + 4)) : r.u64(at + 8);
    const size = wordSize === 4 ? r.u32(at + 8) : safeNumber(r.u64(at + 16));
    const symbolType = info & 0xf;
    if ((symbolType !== STT_FUNC && symbolType !== STT_GNU_IFUNC) || shndx === 0) continue;
    const name = names.cString(nameAt, MAX_NAME_BYTES);
    if (name === '') continue;
    // Thumb functions carry bit 0 in st_value; the instructions start one byte lower.
    const address = safeNumber(machine === EM_ARM ? value & ~1n : value);
    const key = `${address}:${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    functions.push({ name, value: `0x${value.toString(16)}`, address, size });
  }
  functions.sort((a, b) => a.address - b.address || a.name.localeCompare(b.name));
  return functions;
}

/** The function holding `address` (an ELF virtual address), by start and size; size 0 reaches to the next symbol. */
export function functionAt(functions: readonly ElfFunctionSymbol[], address: number): { name: string; offset: number } | undefined {
  let lo = 0;
  let hi = functions.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (functions[mid]!.address <= address) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return undefined;
  // Aliases share a start; prefer one whose size covers the address.
  let best = functions[found]!;
  for (let i = found; i >= 0 && functions[i]!.address === best.address; i--) if (functions[i]!.size > best.size) best = functions[i]!;
  const offset = address - best.address;
  if (best.size > 0 ? offset < best.size : found + 1 >= functions.length || functions[found + 1]!.address > address) return { name: best.name, offset };
  return undefined;
}

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
