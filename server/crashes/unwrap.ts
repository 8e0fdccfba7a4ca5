/**
 * Unwraps a crash upload recursively (gzip, bzip2, xz, zstd, tar, zip; spec §3.12) into plain files
 * in a work directory, streaming: nothing is held in memory whole, so a 200 MB core costs disk, not
 * heap. Kinds come from magic bytes only. Every extracted file is named by a counter, never by a
 * name from the archive, so no entry can write outside the work directory (no zip-slip); entries
 * whose names are absolute, contain `..` or are links are refused anyway, as the spec asks.
 *
 * Limits guard against decompression bombs: total bytes written, entries, nesting depth and
 * per-layer ratio; the first limit hit stops the whole upload with a reason saying which.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import tarStream from 'tar-stream';
import unbzip2 from 'unbzip2-stream';
import xzDecompress from 'xz-decompress';
import yauzl from 'yauzl';
import { isArchiveKind, SNIFF_BYTES, sniffKind, type SniffedKind } from '../../parsers/archive-sniff.js';

export interface UnwrapLimits {
  /** Bytes written by all layers together. */
  readonly maxTotalBytes: number;
  /** Archive entries (tar/zip members) across all layers. */
  readonly maxEntries: number;
  /** Archive layers: a core in a tar in a gzip is depth 2. */
  readonly maxDepth: number;
  /** Output ÷ input of one compressed layer, checked once the output passes RATIO_FLOOR_BYTES. */
  readonly maxRatio: number;
}

export const DEFAULT_UNWRAP_LIMITS: UnwrapLimits = {
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxEntries: 10_000,
  maxDepth: 4,
  maxRatio: 1000,
};

/** Below this a high ratio is harmless (a tiny gzip of a sparse file) and not worth refusing. */
const RATIO_FLOOR_BYTES = 1024 * 1024;

export interface UnwrappedFile {
  /** Where the bytes are now (the upload itself when it was not an archive). */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly kind: SniffedKind;
  /** Display only, never a path on disk: "upload.tar.gz › gunzip › core.1234". */
  readonly member: string;
  /** Modification time recorded in the archive entry, if any. */
  readonly mtimeMs?: number;
}

export interface UnwrapProblem {
  readonly member: string;
  readonly reason: string;
}

export interface UnwrapResult {
  readonly files: UnwrappedFile[];
  readonly problems: UnwrapProblem[];
  /** Set when a limit stopped the whole unwrap: the upload is refused as a whole. */
  readonly limitHit?: string;
}

class LimitError extends Error {}

interface Budget {
  totalBytes: number;
  entries: number;
  nextFile: number;
}

interface Context {
  readonly workDir: string;
  readonly limits: UnwrapLimits;
  readonly budget: Budget;
  readonly files: UnwrappedFile[];
  readonly problems: UnwrapProblem[];
}

export async function unwrap(
  input: { path: string; size: number; sha256: string; name: string },
  workDir: string,
  limits: UnwrapLimits = DEFAULT_UNWRAP_LIMITS,
): Promise<UnwrapResult> {
  const ctx: Context = { workDir, limits, budget: { totalBytes: 0, entries: 0, nextFile: 0 }, files: [], problems: [] };
  try {
    await visitSafely(ctx, { path: input.path, size: input.size, sha256: input.sha256, member: input.name }, 0);
  } catch (err) {
    if (err instanceof LimitError) return { files: [], problems: ctx.problems, limitHit: err.message };
    throw err;
  }
  return { files: ctx.files, problems: ctx.problems };
}

async function visit(ctx: Context, file: Omit<UnwrappedFile, 'kind'>, depth: number): Promise<void> {
  const kind = sniffKind(await readHead(file.path));
  if (!isArchiveKind(kind)) {
    ctx.files.push({ ...file, kind });
    return;
  }
  if (depth >= ctx.limits.maxDepth) throw new LimitError(`${file.member}: archives nested deeper than ${ctx.limits.maxDepth} levels`);
  switch (kind) {
    case 'tar': return extractTar(ctx, file, depth);
    case 'zip': return extractZip(ctx, file, depth);
    case 'lz4':
      ctx.problems.push({ member: file.member, reason: 'lz4 compression is not supported; unpack it and upload the contents' });
      return;
    default: {
      const inner = await writeMetered(ctx, openDecompressed(kind, file.path), `${file.member} › ${kind}`, file.size);
      await visit(ctx, { ...inner, ...(file.mtimeMs !== undefined ? { mtimeMs: file.mtimeMs } : {}) }, depth + 1);
    }
  }
}

function openDecompressed(kind: SniffedKind, file: string): Readable {
  const source = createReadStream(file);
  switch (kind) {
    case 'gzip': return source.pipe(createGunzip());
    case 'bzip2': return source.pipe(unbzip2() as unknown as Transform);
    case 'zstd': return source.pipe(zstdTransform());
    case 'xz': return Readable.fromWeb(new xzDecompress.XzReadableStream(Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>) as unknown as WebReadableStream<Uint8Array>);
    default: throw new Error(`no decompressor for ${kind}`);
  }
}

function zstdTransform(): Transform {
  let push: ((chunk: Uint8Array) => void) | null = null;
  const decoder = new ZstdDecompress((chunk) => push?.(chunk));
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      push = (c) => this.push(Buffer.from(c));
      try {
        decoder.push(new Uint8Array(chunk));
        done();
      } catch (err) {
        done(new Error(`zstd: ${(err as Error).message}`));
      }
    },
    flush(done: TransformCallback) {
      push = (c) => this.push(Buffer.from(c));
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(new Error(`zstd: ${(err as Error).message}`));
      }
    },
  });
}

/**
 * Streams `source` into a new numbered file, hashing and counting on the way; throws LimitError
 * when the total or the ratio against `inputBytes` goes over. Decoder errors (corrupt data) are
 * returned to the caller as ordinary errors.
 */
async function writeMetered(ctx: Context, source: Readable, member: string, inputBytes: number): Promise<Omit<UnwrappedFile, 'kind'>> {
  const target = path.join(ctx.workDir, `part-${ctx.budget.nextFile++}`);
  const hash = createHash('sha256');
  let written = 0;
  const meter = new Transform({
    transform: (chunk: Buffer, _enc, done: TransformCallback) => {
      written += chunk.length;
      ctx.budget.totalBytes += chunk.length;
      if (ctx.budget.totalBytes > ctx.limits.maxTotalBytes) {
        return done(new LimitError(`${member}: unpacked data exceeds the ${ctx.limits.maxTotalBytes}-byte limit (decompression bomb?)`));
      }
      if (inputBytes >= 0 && written > RATIO_FLOOR_BYTES && written > Math.max(inputBytes, 1) * ctx.limits.maxRatio) {
        return done(new LimitError(`${member}: expands more than ${ctx.limits.maxRatio}:1 (decompression bomb?)`));
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(target));
  } catch (err) {
    if (err instanceof LimitError) throw err;
    throw new CorruptError(`${member}: ${(err as Error).message}`);
  }
  return { path: target, size: written, sha256: hash.digest('hex'), member };
}

class CorruptError extends Error {}

function unsafeEntryName(name: string): string | undefined {
  if (name.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(name)) return 'absolute path';
  if (name.split(/[\\/]/).includes('..')) return 'path with ".."';
  return undefined;
}

function countEntry(ctx: Context, member: string): void {
  if (++ctx.budget.entries > ctx.limits.maxEntries) throw new LimitError(`${member}: more than ${ctx.limits.maxEntries} archive entries`);
}

async function extractTar(ctx: Context, file: Omit<UnwrappedFile, 'kind'>, depth: number): Promise<void> {
  const extracted: Array<Omit<UnwrappedFile, 'kind'>> = [];
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const member = `${file.member} › ${header.name}`;
    const skip = (reason?: string) => {
      if (reason) ctx.problems.push({ member, reason });
      stream.on('end', () => next());
      stream.resume();
    };
    try {
      countEntry(ctx, member);
    } catch (err) {
      // The entry stream is torn down with the extractor; its error is the extractor's, reported once.
      stream.on('error', () => undefined);
      next(err as Error);
      return;
    }
    if (header.type === 'directory') return skip();
    if (header.type !== 'file' && header.type !== 'contiguous-file') return skip(`tar entry of type ${header.type ?? 'unknown'} skipped (only regular files are read)`);
    const unsafe = unsafeEntryName(header.name);
    if (unsafe) return skip(`tar entry refused: ${unsafe}`);
    writeMetered(ctx, stream as unknown as Readable, member, -1).then(
      (part) => {
        extracted.push({ ...part, ...(header.mtime ? { mtimeMs: header.mtime.getTime() } : {}) });
        next();
      },
      (err: Error) => next(err),
    );
  });
  try {
    await pipeline(createReadStream(file.path), extract);
  } catch (err) {
    if (err instanceof LimitError) throw err;
    ctx.problems.push({ member: file.member, reason: `tar: ${(err as Error).message}` });
  }
  for (const part of extracted) await visitSafely(ctx, part, depth + 1);
}

async function extractZip(ctx: Context, file: Omit<UnwrappedFile, 'kind'>, depth: number): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      // strictFileNames off: we refuse unsafe names ourselves with a reason, instead of failing the whole zip.
      yauzl.open(file.path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true }, (err, z) => (err ? reject(err) : resolve(z))));
  } catch (err) {
    ctx.problems.push({ member: file.member, reason: `zip: ${(err as Error).message}` });
    return;
  }
  const extracted: Array<Omit<UnwrappedFile, 'kind'>> = [];
  const failure = await new Promise<Error | null>((resolve) => {
    zip.on('error', (err: Error) => resolve(err));
    zip.on('end', () => resolve(null));
    zip.on('entry', (entry: yauzl.Entry) => {
      const member = `${file.member} › ${entry.fileName}`;
      try {
        countEntry(ctx, member);
      } catch (err) {
        zip.close();
        resolve(err as Error);
        return;
      }
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      const unsafe = unsafeEntryName(entry.fileName);
      // Unix mode in the high 16 bits of the external attributes; 0o120000 is a symbolic link.
      const isLink = ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
      if (unsafe || isLink) {
        ctx.problems.push({ member, reason: `zip entry refused: ${unsafe ?? 'symbolic link'}` });
        return zip.readEntry();
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) {
          ctx.problems.push({ member, reason: `zip: ${err.message}` });
          return zip.readEntry();
        }
        writeMetered(ctx, stream, member, entry.compressedSize).then(
          (part) => {
            extracted.push({ ...part, mtimeMs: entry.getLastModDate().getTime() });
            zip.readEntry();
          },
          (e: Error) => {
            if (e instanceof LimitError) {
              zip.close();
              resolve(e);
            } else {
              ctx.problems.push({ member, reason: e.message });
              zip.readEntry();
            }
          },
        );
      });
    });
    zip.readEntry();
  });
  if (failure instanceof LimitError) throw failure;
  if (failure) ctx.problems.push({ member: file.member, reason: `zip: ${failure.message}` });
  for (const part of extracted) await visitSafely(ctx, part, depth + 1);
}

/** A corrupt inner layer is one problem for that member; the rest of the upload is still read. */
async function visitSafely(ctx: Context, file: Omit<UnwrappedFile, 'kind'>, depth: number): Promise<void> {
  try {
    await visit(ctx, file, depth);
  } catch (err) {
    if (err instanceof CorruptError) ctx.problems.push({ member: file.member, reason: err.message });
    else throw err;
  }
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** For callers that only want to know whether the unwrap can be skipped. */
export async function sniffFile(file: string): Promise<SniffedKind> {
  return sniffKind(await readHead(file));
}
