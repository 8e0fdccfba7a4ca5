/**
 * The bundle's files, written one by one into a work folder before packing: each is hashed and
 * measured as it is written, so the manifest and the size limit know every file exactly, and the
 * archive is then streamed from disk (bounded memory however big the logs are).
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestFile } from './types.js';

export interface StagedFile extends ManifestFile {
  /** Where it is in the work folder. */
  readonly diskPath: string;
}

/** A file being written piece by piece, with back-pressure. */
export interface StagedWriter {
  write(chunk: string | Uint8Array): Promise<void>;
  close(): Promise<StagedFile>;
}

export class Stage {
  readonly files: StagedFile[] = [];

  constructor(readonly dir: string) {}

  /**
   * `name` is a bundle path we build ourselves (`calls/call-12/samples.csv`); it is checked anyway,
   * so nothing from the network can place a file outside the work folder.
   */
  async open(name: string, kind: string, description: string): Promise<StagedWriter> {
    if (!/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(name) || name.split('/').some((p) => p === '..' || p === '.')) {
      throw new Error(`not a bundle file name: ${name}`);
    }
    const diskPath = path.join(this.dir, ...name.split('/'));
    await mkdir(path.dirname(diskPath), { recursive: true });
    const out = createWriteStream(diskPath);
    const hash = createHash('sha256');
    let bytes = 0;
    return {
      write: (chunk) => {
        const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        hash.update(data);
        bytes += data.length;
        return writeWithBackpressure(out, data);
      },
      close: async () => {
        await new Promise<void>((resolve, reject) => {
          out.once('error', reject);
          out.end(() => resolve());
        });
        const file: StagedFile = { path: name, bytes, sha256: digest(hash), kind, description, diskPath };
        this.files.push(file);
        return file;
      },
    };
  }

  async put(name: string, kind: string, description: string, data: string | Uint8Array): Promise<StagedFile> {
    const w = await this.open(name, kind, description);
    await w.write(data);
    return w.close();
  }

  /** Forgets a file (it is rewritten, e.g. the report after the size limit dropped parts). */
  remove(name: string): void {
    const i = this.files.findIndex((f) => f.path === name);
    if (i >= 0) this.files.splice(i, 1);
  }
}

function writeWithBackpressure(out: WriteStream, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    out.once('error', onError);
    if (out.write(data)) {
      out.off('error', onError);
      resolve();
    } else {
      out.once('drain', () => {
        out.off('error', onError);
        resolve();
      });
    }
  });
}

function digest(hash: Hash): string {
  return hash.digest('hex');
}
