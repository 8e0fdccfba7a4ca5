/**
 * Which file is mapped where (spec §3.7): NT_FILE when the kernel wrote it (≥ 3.7), otherwise the
 * dynamic linker's link_map list found through DT_DEBUG / DT_MIPS_RLD_MAP(_REL) or by scanning for
 * `r_debug`. Plus the GNU build-id read from each module's dumped ELF header page.
 */
import { FieldReader } from './byte-source.js';
import type { CoreMemory } from './memory.js';

export interface Module {
  readonly path: string;
  /** Image base: the address where the file's first byte (ELF header) is mapped. */
  readonly base: bigint;
  /** Exclusive end of the last mapping of this file, when known. */
  readonly end?: bigint;
  /** What addr2line subtracts: base for ET_DYN, 0 for ET_EXEC; undefined when the header is not dumped. */
  readonly loadBias?: bigint;
  readonly buildId?: string;
  readonly elfType?: 'exec' | 'dyn';
  readonly main: boolean;
  readonly source: 'nt-file' | 'link-map';
}

export interface FileMapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly fileOffset: bigint;
  readonly path: string;
}

const NT_GNU_BUILD_ID = 3;
const PT_NOTE = 4;
const PT_LOAD = 1;
const ELF_ET_EXEC = 2;
const ELF_ET_DYN = 3;
const DT_DEBUG = 21n;
const DT_MIPS_RLD_MAP = 0x70000016n;
const DT_MIPS_RLD_MAP_REL = 0x70000035n;
const MAX_LINK_MAP_ENTRIES = 1024;
const MAX_PATH_BYTES = 4096;
/** Bytes of dumped memory we are willing to scan for DT_DEBUG / r_debug when the core has no NT_FILE. */
const MAX_LINK_MAP_SCAN_BYTES = 64 * 1024 * 1024;
const MAX_BUILD_ID_NOTE_BYTES = 4096;
const SCAN_CHUNK_BYTES = 1024 * 1024;

/** NT_FILE desc: count, page_size, count × (start, end, file_ofs in pages), then count paths. */
export function parseNtFile(desc: Uint8Array, littleEndian: boolean, wordSize: 4 | 8): { mappings: FileMapping[]; problem?: string } {
  const r = new FieldReader(desc, littleEndian, wordSize);
  if (!r.has(0, 2 * wordSize)) return { mappings: [], problem: `NT_FILE too short: ${desc.length} bytes` };
  const count = r.word(0);
  const pageSize = r.word(wordSize);
  const tableEnd = BigInt(2 * wordSize) + count * BigInt(3 * wordSize);
  if (tableEnd > BigInt(desc.length)) return { mappings: [], problem: `NT_FILE declares ${count} mappings, more than its ${desc.length} bytes hold` };
  const mappings: FileMapping[] = [];
  let nameAt = Number(tableEnd);
  for (let i = 0; i < Number(count); i++) {
    const at = 2 * wordSize + i * 3 * wordSize;
    const nul = desc.indexOf(0, nameAt);
    const stop = nul < 0 ? desc.length : nul;
    const path = new TextDecoder('utf-8', { fatal: false }).decode(desc.subarray(nameAt, stop));
    mappings.push({ start: r.word(at), end: r.word(at + wordSize), fileOffset: r.word(at + 2 * wordSize) * pageSize, path });
    if (nul < 0) return { mappings, problem: `NT_FILE path table ends after ${i + 1} of ${count} names` };
    nameAt = nul + 1;
  }
  return { mappings };
}

export function modulesFromFileMappings(mappings: readonly FileMapping[], mainAddress: bigint | undefined): Module[] {
  const byPath = new Map<string, FileMapping[]>();
  for (const mapping of mappings) byPath.set(mapping.path, [...(byPath.get(mapping.path) ?? []), mapping]);
  const modules: Module[] = [];
  for (const [path, list] of byPath) {
    const headerMapping = list.filter((m) => m.fileOffset === 0n).sort((a, b) => (a.start < b.start ? -1 : 1))[0] ?? list[0]!;
    const end = list.reduce((max, m) => (m.end > max ? m.end : max), 0n);
    const main = mainAddress !== undefined && list.some((m) => m.start <= mainAddress && mainAddress < m.end);
    modules.push({ path, base: headerMapping.start, end, main, source: 'nt-file' });
  }
  return modules.sort((a, b) => (a.base < b.base ? -1 : 1));
}

interface LinkMapEntry {
  readonly bias: bigint;
  readonly name: string | undefined;
  readonly nameAddress: bigint;
}

/**
 * Without NT_FILE: find `r_debug` and walk `r_map`. The executable's entry has an empty name and
 * bias 0 when it is not PIE, so its image base comes from AT_PHDR instead.
 */
export function modulesFromLinkMap(memory: CoreMemory, executable: { path: string | undefined; phdr: bigint | undefined; pageSize: bigint }): { modules: Module[]; problem?: string } {
  const rDebug = findRDebug(memory);
  if (rDebug === undefined) return { modules: [], problem: 'no NT_FILE and no r_debug found: modules unknown' };
  const entries = walkLinkMap(memory, rDebug);
  const modules: Module[] = [];
  entries.forEach((entry, index) => {
    const isMain = index === 0 && (entry.name === undefined || entry.name === '');
    if (isMain) {
      if (executable.phdr === undefined) return;
      const base = executable.phdr - (executable.phdr % executable.pageSize);
      modules.push({ path: executable.path ?? '<main program>', base, loadBias: entry.bias, main: true, source: 'link-map' });
      return;
    }
    const path = entry.name || `<unnamed object @${`0x${entry.bias.toString(16)}`}>`;
    if (entry.name === undefined && entry.bias === 0n) return;
    modules.push({ path, base: entry.bias, loadBias: entry.bias, main: false, source: 'link-map' });
  });
  const sorted = modules.sort((a, b) => (a.base < b.base ? -1 : 1));
  return { modules: sorted.map((module, i) => ({ ...module, end: contiguousEnd(memory, module.base, sorted[i + 1]?.base) })) };
}

/** End of the run of back-to-back PT_LOADs starting at `base`, stopping before the next module. */
function contiguousEnd(memory: CoreMemory, base: bigint, nextBase: bigint | undefined): bigint | undefined {
  let segment = memory.segmentAt(base);
  if (segment === undefined) return undefined;
  let end = segment.end;
  for (;;) {
    const next = memory.segmentAt(end);
    if (next === undefined || next === segment || (nextBase !== undefined && next.start >= nextBase)) return end;
    segment = next;
    end = next.end;
  }
}

function findRDebug(memory: CoreMemory): bigint | undefined {
  let budget = MAX_LINK_MAP_SCAN_BYTES;
  // Pass 1: an Elf_Dyn entry (tag, value) that leads to a valid r_debug. Pass 2: r_debug itself.
  for (const pass of ['dynamic', 'r_debug'] as const) {
    for (const segment of memory.segments) {
      for (let chunkAt = 0; chunkAt < segment.presentBytes && budget > 0; chunkAt += SCAN_CHUNK_BYTES) {
        const length = Math.min(SCAN_CHUNK_BYTES + 2 * memory.wordSize, segment.presentBytes - chunkAt);
        budget -= length;
        const chunkStart = segment.start + BigInt(chunkAt);
        const bytes = memory.read(chunkStart, length);
        if (bytes === undefined) continue;
        const found = scanChunk(memory, bytes, chunkStart, pass);
        if (found !== undefined) return found;
      }
    }
    budget = MAX_LINK_MAP_SCAN_BYTES;
  }
  return undefined;
}

function scanChunk(memory: CoreMemory, bytes: Uint8Array, chunkStart: bigint, pass: 'dynamic' | 'r_debug'): bigint | undefined {
  const r = new FieldReader(bytes, memory.littleEndian, memory.wordSize);
  const lowHalf = memory.littleEndian ? 0 : memory.wordSize - 4;
  for (let at = 0; at + 2 * memory.wordSize <= bytes.length; at += memory.wordSize) {
    // Cheap number test first: this loop runs over megabytes of stack and heap.
    const low = r.u32(at + lowHalf);
    if (low !== 1 && low !== 21 && low !== 0x70000016 && low !== 0x70000035) continue;
    const tag = r.word(at);
    const value = r.word(at + memory.wordSize);
    const here = chunkStart + BigInt(at);
    let candidate: bigint | undefined;
    if (pass === 'r_debug') candidate = tag === 1n ? here : undefined;
    else if (tag === DT_DEBUG) candidate = value;
    else if (tag === DT_MIPS_RLD_MAP) candidate = memory.word(value);
    else if (tag === DT_MIPS_RLD_MAP_REL) candidate = memory.word(here + value);
    if (candidate !== undefined && candidate !== 0n && isRDebug(memory, candidate)) return candidate;
  }
  return undefined;
}

/** r_debug = { int r_version = 1; link_map *r_map; … } with r_map pointing at a list head. */
function isRDebug(memory: CoreMemory, address: bigint): boolean {
  return memory.word(address) === 1n && looksLikeLinkMapHead(memory, memory.word(address + BigInt(memory.wordSize)) ?? 0n);
}

/** link_map = { l_addr, l_name, l_ld, l_next, l_prev }; the head has l_prev == NULL and a readable l_ld. */
function looksLikeLinkMapHead(memory: CoreMemory, address: bigint): boolean {
  if (address === 0n) return false;
  const w = BigInt(memory.wordSize);
  const prev = memory.word(address + 4n * w);
  const next = memory.word(address + 3n * w);
  if (prev !== 0n || next === undefined) return false;
  return next === 0n || memory.word(next + 4n * w) === address;
}

function walkLinkMap(memory: CoreMemory, rDebug: bigint): LinkMapEntry[] {
  const w = BigInt(memory.wordSize);
  const entries: LinkMapEntry[] = [];
  const seen = new Set<bigint>();
  let node = memory.word(rDebug + w);
  while (node !== undefined && node !== 0n && !seen.has(node) && entries.length < MAX_LINK_MAP_ENTRIES) {
    seen.add(node);
    const bias = memory.word(node);
    const nameAddress = memory.word(node + w);
    if (bias === undefined || nameAddress === undefined) break;
    entries.push({ bias, nameAddress, name: nameAddress === 0n ? '' : memory.cString(nameAddress, MAX_PATH_BYTES) });
    node = memory.word(node + 3n * w);
  }
  return entries;
}

/**
 * The build-id and ELF type from the module's first page, which kernel cores dump for every file
 * mapping (coredump_filter bit 4). QEMU cores do not, so this yields nothing there.
 */
export function readModuleIdentity(memory: CoreMemory, base: bigint): { buildId?: string; elfType?: 'exec' | 'dyn'; loadBias?: bigint } {
  const ident = memory.read(base, 16);
  if (ident === undefined || ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) return {};
  const wordSize = ident[4] === 2 ? 8 : 4;
  const littleEndian = ident[5] !== 2;
  const header = memory.read(base, wordSize === 8 ? 64 : 52);
  if (header === undefined) return {};
  const h = new FieldReader(header, littleEndian, wordSize);
  const type = h.u16(16);
  const elfType = type === ELF_ET_EXEC ? 'exec' : type === ELF_ET_DYN ? 'dyn' : undefined;
  const phoff = wordSize === 8 ? h.u64(32) : BigInt(h.u32(28));
  const phentsize = h.u16(wordSize === 8 ? 54 : 42);
  const phnum = h.u16(wordSize === 8 ? 56 : 44);
  const table = phentsize >= (wordSize === 8 ? 56 : 32) ? memory.read(base + phoff, phnum * phentsize) : undefined;
  if (table === undefined || elfType === undefined) return elfType === undefined ? {} : { elfType };
  const p = new FieldReader(table, littleEndian, wordSize);
  const field = (i: number, off32: number, off64: number): bigint => (wordSize === 8 ? p.u64(i * phentsize + off64) : BigInt(p.u32(i * phentsize + off32)));
  let firstLoadVaddr: bigint | undefined;
  const notes: Array<{ vaddr: bigint; size: bigint }> = [];
  for (let i = 0; i < phnum; i++) {
    const ptype = p.u32(i * phentsize);
    if (ptype === PT_LOAD && firstLoadVaddr === undefined) firstLoadVaddr = field(i, 8, 16);
    if (ptype === PT_NOTE) notes.push({ vaddr: field(i, 8, 16), size: field(i, 16, 32) });
  }
  const loadBias = elfType === 'exec' ? 0n : base - (firstLoadVaddr ?? 0n);
  for (const note of notes) {
    if (note.size > BigInt(MAX_BUILD_ID_NOTE_BYTES)) continue;
    const bytes = memory.read(loadBias + note.vaddr, Number(note.size));
    const buildId = bytes === undefined ? undefined : gnuBuildId(bytes, littleEndian);
    if (buildId !== undefined) return { buildId, elfType, loadBias };
  }
  return { elfType, loadBias };
}

function gnuBuildId(notes: Uint8Array, littleEndian: boolean): string | undefined {
  const r = new FieldReader(notes, littleEndian, 4);
  for (let at = 0; at + 12 <= notes.length; ) {
    const namesz = r.u32(at);
    const descsz = r.u32(at + 4);
    const descAt = at + 12 + Math.ceil(namesz / 4) * 4;
    if (descAt + descsz > notes.length) return undefined;
    if (r.u32(at + 8) === NT_GNU_BUILD_ID && r.cString(at + 12, namesz) === 'GNU') {
      return Array.from(notes.subarray(descAt, descAt + descsz), (b) => b.toString(16).padStart(2, '0')).join('');
    }
    at = descAt + Math.ceil(descsz / 4) * 4;
  }
  return undefined;
}

/** The module holding `address`: exact when ends are known, else the greatest base below it. */
export function moduleAt(modules: readonly Module[], address: bigint): Module | undefined {
  let best: Module | undefined;
  for (const module of modules) {
    if (module.base > address) continue;
    if (module.end !== undefined && address >= module.end) continue;
    if (best === undefined || module.base > best.base) best = module;
  }
  return best;
}
