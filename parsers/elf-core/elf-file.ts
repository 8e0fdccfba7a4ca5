/**
 * ELF header, program headers and the note walk of a core (crash-dumps spec §3.1–§3.2).
 * Names follow readelf's (`e_machine`, `p_type`, note owner/type), which the oracle test reads.
 */
import { FieldReader, type ByteSource } from './byte-source.js';

export const ET_CORE = 4;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
const PN_XNUM = 0xffff;
const ELF32_HEADER_BYTES = 52;
const ELF64_HEADER_BYTES = 64;
/** No real core has more VMAs than this (the kernel's default vm.max_map_count is 65530). */
const MAX_PROGRAM_HEADERS = 1 << 20;
/** Notes are kilobytes per thread; anything beyond this is a lie about p_filesz. */
export const MAX_NOTES_BYTES = 64 * 1024 * 1024;

export interface ElfHeader {
  readonly wordSize: 4 | 8;
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
  readonly flags: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
}

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: bigint;
  readonly filesz: number;
  readonly memsz: bigint;
}

export interface RawNote {
  readonly owner: string;
  readonly type: number;
  /** descsz as declared; `desc` may be shorter when the file is truncated. */
  readonly size: number;
  /** File offset of the note header. */
  readonly offset: number;
  readonly desc: Uint8Array;
}

export type Result<T> = { ok: true; value: T } | { ok: false; message: string; offset: number };

export function readElfHeader(source: ByteSource): Result<ElfHeader> {
  const ident = source.read(0, 16);
  if (ident.length < 16) return { ok: false, message: `ELF identification too short: ${ident.length} of 16 bytes`, offset: 0 };
  if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
    return { ok: false, message: 'not an ELF file: magic is not 7f 45 4c 46', offset: 0 };
  }
  const elfClass = ident[4];
  const data = ident[5];
  if (elfClass !== 1 && elfClass !== 2) return { ok: false, message: `unknown EI_CLASS ${elfClass}`, offset: 4 };
  if (data !== 1 && data !== 2) return { ok: false, message: `unknown EI_DATA ${data}`, offset: 5 };
  const wordSize = elfClass === 1 ? 4 : 8;
  const headerBytes = wordSize === 4 ? ELF32_HEADER_BYTES : ELF64_HEADER_BYTES;
  const bytes = source.read(0, headerBytes);
  if (bytes.length < headerBytes) return { ok: false, message: `ELF header too short: ${bytes.length} of ${headerBytes} bytes`, offset: 0 };
  const r = new FieldReader(bytes, data === 1, wordSize);
  const header: ElfHeader = wordSize === 4
    ? { wordSize, littleEndian: data === 1, type: r.u16(16), machine: r.u16(18), flags: r.u32(36), phoff: r.u32(28), phentsize: r.u16(42), phnum: r.u16(44) }
    : { wordSize, littleEndian: data === 1, type: r.u16(16), machine: r.u16(18), flags: r.u32(48), phoff: Number(r.u64(32)), phentsize: r.u16(54), phnum: r.u16(56) };
  if (header.type !== ET_CORE) return { ok: false, message: `not a core file: e_type is ${header.type}, expected ${ET_CORE} (ET_CORE)`, offset: 16 };
  if (header.phnum !== PN_XNUM) return { ok: true, value: header };
  // PN_XNUM: the real count lives in sh_info of section header 0 (cores with > 65534 mappings).
  const shoff = wordSize === 4 ? r.u32(32) : Number(r.u64(40));
  const section0 = source.read(shoff, wordSize === 4 ? 40 : 64);
  const s = new FieldReader(section0, header.littleEndian, wordSize);
  const realCount = s.u32(wordSize === 4 ? 28 : 44);
  if (section0.length < (wordSize === 4 ? 40 : 64)) return { ok: false, message: `e_phnum is PN_XNUM but section header 0 is missing at offset ${shoff}`, offset: shoff };
  return { ok: true, value: { ...header, phnum: realCount } };
}

export function readProgramHeaders(source: ByteSource, header: ElfHeader): Result<ProgramHeader[]> {
  const minEntry = header.wordSize === 4 ? 32 : 56;
  if (header.phnum === 0) return { ok: true, value: [] };
  if (header.phentsize < minEntry) return { ok: false, message: `e_phentsize ${header.phentsize} smaller than ${minEntry}`, offset: header.wordSize === 4 ? 42 : 54 };
  const tableBytes = header.phnum * header.phentsize;
  if (header.phnum > MAX_PROGRAM_HEADERS || header.phoff + tableBytes > source.size) {
    return { ok: false, message: `program header table (${header.phnum} × ${header.phentsize} bytes at ${header.phoff}) exceeds the ${source.size}-byte file`, offset: header.phoff };
  }
  const table = source.read(header.phoff, tableBytes);
  const r = new FieldReader(table, header.littleEndian, header.wordSize);
  const headers: ProgramHeader[] = [];
  for (let i = 0; i < header.phnum; i++) {
    const at = i * header.phentsize;
    headers.push(header.wordSize === 4
      ? { type: r.u32(at), offset: r.u32(at + 4), vaddr: BigInt(r.u32(at + 8)), filesz: r.u32(at + 16), memsz: BigInt(r.u32(at + 20)), flags: r.u32(at + 24) }
      : { type: r.u32(at), flags: r.u32(at + 4), offset: safeNumber(r.u64(at + 8)), vaddr: r.u64(at + 16), filesz: safeNumber(r.u64(at + 32)), memsz: r.u64(at + 40) });
  }
  return { ok: true, value: headers };
}

/** File offsets and sizes beyond 2^53 are lies; map them to a value every bounds check rejects. */
function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

export interface NoteWalk {
  readonly notes: RawNote[];
  /** Why the walk stopped early, if it did. */
  readonly problem?: string;
}

/**
 * Walks one PT_NOTE segment. Alignment is 4 bytes in ELF64 cores too (kernel and QEMU); a note
 * whose sizes run past the segment ends the walk with a problem instead of a guess.
 */
export function readNotes(source: ByteSource, segment: ProgramHeader, littleEndian: boolean): NoteWalk {
  const declared = segment.filesz;
  if (declared > MAX_NOTES_BYTES) return { notes: [], problem: `PT_NOTE p_filesz ${declared} exceeds the ${MAX_NOTES_BYTES}-byte limit` };
  const bytes = source.read(segment.offset, declared);
  const notes: RawNote[] = [];
  const r = new FieldReader(bytes, littleEndian, 4);
  const truncated = bytes.length < declared ? `PT_NOTE at offset ${segment.offset} truncated: ${bytes.length} of ${declared} bytes present` : undefined;
  let at = 0;
  while (at + 12 <= bytes.length) {
    const namesz = r.u32(at);
    const descsz = r.u32(at + 4);
    const type = r.u32(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (descAt > declared || next > declared + 3) {
      return { notes, problem: `note at offset ${segment.offset + at} declares namesz ${namesz}, descsz ${descsz}: beyond the ${declared}-byte PT_NOTE` };
    }
    if (next > bytes.length + 3) {
      notes.push({ owner: r.cString(nameAt, namesz), type, size: descsz, offset: segment.offset + at, desc: bytes.subarray(Math.min(descAt, bytes.length)) });
      break;
    }
    notes.push({ owner: r.cString(nameAt, namesz), type, size: descsz, offset: segment.offset + at, desc: bytes.subarray(descAt, descAt + descsz) });
    at = next;
  }
  return truncated ? { notes, problem: truncated } : { notes };
}

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}
