/**
 * Decodes one plain file found in a crash upload: an ELF core (read in ranges through a file
 * ByteSource, never loaded whole), tombstone text in any dialect, an Android protobuf tombstone,
 * or an unstripped binary (symbols). Anything else gets a reason a person can act on.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { SniffedKind } from '../../parsers/archive-sniff.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeElfCore, type ByteSource } from '../../parsers/elf-core.js';
import { decodeElfSymbols, type ElfSymbols } from '../../parsers/elf-symbols.js';
import { decodeTombstone } from '../../parsers/tombstone.js';
import { reportFromCore, reportFromFallback, reportFromTombstone, type CrashReport } from './report.js';

/** Tombstones are kilobytes; a text file far past this is a log, not a crash report. */
export const MAX_TEXT_BYTES = 32 * 1024 * 1024;

export type LeafResult =
  | { readonly kind: 'crashes'; readonly reports: CrashReport[] }
  | { readonly kind: 'symbols'; readonly symbols: ElfSymbols }
  | { readonly kind: 'rejected'; readonly reason: string };

export interface Leaf {
  readonly path: string;
  readonly size: number;
  readonly kind: SniffedKind;
  readonly member: string;
  readonly mtimeMs?: number;
}

export function decodeLeaf(leaf: Leaf): LeafResult {
  switch (leaf.kind) {
    case 'empty': return { kind: 'rejected', reason: 'empty file (0 bytes)' };
    case 'elf-core': return withFile(leaf.path, (source) => {
      const core = decodeElfCore(source);
      if (isDecodeError(core)) return { kind: 'rejected', reason: `ELF core: ${core.message}` };
      return { kind: 'crashes', reports: [withArchiveTime(reportFromCore(core, leaf.member), leaf.mtimeMs)] };
    });
    case 'elf-binary': return withFile(leaf.path, (source) => {
      const symbols = decodeElfSymbols(source);
      if (isDecodeError(symbols)) return { kind: 'rejected', reason: `ELF binary: ${symbols.message}` };
      return { kind: 'symbols', symbols };
    });
    case 'text':
    case 'binary': return decodeText(leaf);
    case 'minidump': return { kind: 'rejected', reason: 'Breakpad minidump: not supported yet (convert with minidump-2-core and upload the core)' };
    case 'elf-other': return { kind: 'rejected', reason: 'ELF file that is neither a core nor an executable or library' };
    default: return { kind: 'rejected', reason: `${leaf.kind} archive left after unpacking` };
  }
}

function decodeText(leaf: Leaf): LeafResult {
  if (leaf.size > MAX_TEXT_BYTES) return { kind: 'rejected', reason: `not a crash report: ${leaf.kind} file of ${leaf.size} bytes, over the ${MAX_TEXT_BYTES}-byte limit for tombstone text` };
  const bytes = withFile(leaf.path, (source) => source.read(0, source.size));
  const decoded = decodeTombstone(bytes);
  if (isDecodeError(decoded)) return { kind: 'rejected', reason: `tombstone: ${decoded.message}` };
  switch (decoded.kind) {
    case 'tombstone-text': return { kind: 'crashes', reports: decoded.tombstones.map((t) => withArchiveTime(reportFromTombstone(t, leaf.member), leaf.mtimeMs)) };
    case 'tombstone-proto': return { kind: 'crashes', reports: [withArchiveTime(reportFromTombstone(decoded.tombstone, leaf.member, decoded.problems), leaf.mtimeMs)] };
    case 'unknown-text': {
      const f = decoded.fallback;
      if (f.signal === undefined && f.frames.length === 0) {
        return { kind: 'rejected', reason: leaf.kind === 'text'
          ? 'not a crash report: text without debuggerd markers, a signal or a backtrace'
          : 'not a crash report: unrecognised binary data (no archive, ELF or tombstone signature)' };
      }
      return { kind: 'crashes', reports: [withArchiveTime(reportFromFallback(f, leaf.member), leaf.mtimeMs)] };
    }
  }
}

function withArchiveTime(report: CrashReport, mtimeMs: number | undefined): CrashReport {
  if (report.crashedAt !== undefined || mtimeMs === undefined || mtimeMs <= 0) return report;
  return { ...report, crashedAt: new Date(mtimeMs).toISOString(), crashedAtSource: 'archive' };
}

/** Positioned reads on an open file: a 200 MB core costs its headers, notes and a few stack words. */
function withFile<T>(file: string, use: (source: ByteSource) => T): T {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    return use({
      size,
      read(offset, length) {
        const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        const n = buffer.length === 0 ? 0 : readSync(fd, buffer, 0, buffer.length, offset);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, n);
      },
    });
  } finally {
    closeSync(fd);
  }
}
