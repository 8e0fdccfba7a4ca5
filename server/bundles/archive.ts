/**
 * Packs staged files into the bundle, streamed from disk to disk: zip with yazl (one entry open at
 * a time, data descriptors, ZIP64 when needed), tar.gz with tar-stream (already used for crash
 * archives) through zlib. Memory stays at a few stream buffers whatever the bundle holds.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import type { StagedFile } from './stage.js';
import type { BundleFormat } from './types.js';

/** Every entry's time: the bundle's own creation, so the archive does not depend on the work folder. */
export async function writeArchive(format: BundleFormat, files: readonly StagedFile[], outPath: string, mtime: Date): Promise<void> {
  if (format === 'zip') {
    const zip = new yazl.ZipFile();
    for (const f of files) zip.addFile(f.diskPath, f.path, { mtime, compress: true });
    zip.end();
    await pipeline(zip.outputStream, createWriteStream(outPath));
    return;
  }
  const pack = tar.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(outPath));
  for (const f of files) {
    const entry = pack.entry({ name: f.path, size: f.bytes, mtime, mode: 0o644 });
    await pipeline(createReadStream(f.diskPath), entry);
  }
  pack.finalize();
  await done;
}
