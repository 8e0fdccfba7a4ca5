/**
 * What a crash upload is, from its first bytes only (crash-dumps spec §3.12): never from the file
 * name, which a phone, a browser or a person may have changed. Pure: the caller reads the head.
 */

export type SniffedKind =
  | 'empty' | 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'lz4' | 'tar' | 'zip'
  | 'elf-core' | 'elf-binary' | 'elf-other' | 'minidump' | 'text' | 'binary';

/** Enough for every magic including tar's "ustar" at 257 and its 512-byte header checksum. */
export const SNIFF_BYTES = 512;

const ARCHIVE_KINDS: ReadonlySet<SniffedKind> = new Set(['gzip', 'bzip2', 'xz', 'zstd', 'lz4', 'tar', 'zip']);

export function isArchiveKind(kind: SniffedKind): boolean {
  return ARCHIVE_KINDS.has(kind);
}

export function sniffKind(head: Uint8Array): SniffedKind {
  if (head.length === 0) return 'empty';
  const starts = (...magic: number[]) => magic.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x42, 0x5a, 0x68) && head[3] !== undefined && head[3] >= 0x31 && head[3] <= 0x39) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x04, 0x22, 0x4d, 0x18)) return 'lz4';
  // An empty zip is only its end record (PK 05 06): nothing to find inside, but still a zip.
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'zip';
  if (starts(0x7f, 0x45, 0x4c, 0x46)) return elfKind(head);
  if (starts(0x4d, 0x44, 0x4d, 0x50)) return 'minidump';
  if (isTarHeader(head)) return 'tar';
  return looksLikeText(head) ? 'text' : 'binary';
}

function elfKind(head: Uint8Array): SniffedKind {
  if (head.length < 18) return 'elf-other';
  const type = head[5] === 2 ? (head[16]! << 8) | head[17]! : head[16]! | (head[17]! << 8);
  if (type === 4) return 'elf-core';
  if (type === 2 || type === 3) return 'elf-binary';
  return 'elf-other';
}

/** POSIX "ustar" magic, or a pre-POSIX header whose checksum (spaces for the field itself) holds. */
function isTarHeader(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  if (String.fromCharCode(...head.subarray(257, 262)) === 'ustar') return true;
  const stored = Number.parseInt(String.fromCharCode(...head.subarray(148, 156)).replace(/[\0 ]+/g, ' ').trim(), 8);
  if (!Number.isInteger(stored) || head[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : head[i]!;
  return sum === stored;
}

/** Tombstones and crash logs are UTF-8 text: no NUL, few control bytes besides tab/CR/LF/ESC. */
function looksLikeText(head: Uint8Array): boolean {
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1b) control++;
  }
  return control * 10 <= head.length;
}
