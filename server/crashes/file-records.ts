/**
 * The crash rows of `ipp-collector decode FILE --json`: a tombstone, an ELF core, an unstripped
 * binary or an archive of any of them, unwrapped into a temporary folder with the upload limits,
 * one JSON object per crash found (the report the API stores), plus one per file that held none
 * (`error`) or held symbols. No store: frames keep the names the file itself gives.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SNIFF_BYTES, sniffKind } from '../../parsers/archive-sniff.js';
import { hasUtf16Bom, tombstoneBytesToText } from '../../parsers/tombstone.js';
import { reportSignature } from './report.js';
import { decodeLeaf } from './decode-file.js';
import { DEFAULT_UNWRAP_LIMITS, unwrap } from './unwrap.js';

const CRASH_KINDS = new Set(['gzip', 'bzip2', 'xz', 'zstd', 'lz4', 'tar', 'zip', 'elf-core', 'elf-binary', 'minidump']);
/** Text is claimed only when its head looks like crash output, so other text stays "unknown file type". */
const CRASH_TEXT = /\*\*\* \*\*\* \*\*\*|Fatal signal|signal \d+ \(SIG|\bSIG(?:SEGV|ABRT|BUS|ILL|FPE)\b|[Bb]acktrace|\bDEBUG\b/;

export const CRASH_FILE_DECODER = {
  name: 'crash dump (tombstone, ELF core, archive)',
  /** Needs the first SNIFF_BYTES bytes for tar; a shorter head still recognises every other kind. */
  matches: (head: Uint8Array): boolean => {
    const kind = sniffKind(head.subarray(0, SNIFF_BYTES));
    const text = kind === 'text' || (kind === 'binary' && hasUtf16Bom(head));
    return CRASH_KINDS.has(kind) || (text && CRASH_TEXT.test(tombstoneBytesToText(head)));
  },
  records: crashFileRecords,
};

export async function* crashFileRecords(file: string): AsyncGenerator<unknown> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ipp-decode-'));
  try {
    const size = (await stat(file)).size;
    const unwrapped = await unwrap({ path: file, size, sha256: '', name: path.basename(file) }, workDir, DEFAULT_UNWRAP_LIMITS);
    if (unwrapped.limitHit) yield { member: path.basename(file), error: unwrapped.limitHit };
    for (const problem of unwrapped.problems) yield { member: problem.member, error: problem.reason };
    for (const leaf of unwrapped.files) {
      const result = decodeLeaf(leaf);
      if (result.kind === 'rejected') yield { member: leaf.member, error: result.reason };
      else if (result.kind === 'symbols') yield { member: leaf.member, symbols: { buildId: result.symbols.buildId ?? null, table: result.symbols.table, functions: result.symbols.functions.length } };
      else for (const report of result.reports) yield { ...report, signature: reportSignature(report, undefined) };
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
