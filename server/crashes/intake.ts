/**
 * Streams an upload to the spool folder while hashing it: a raw body (`curl --data-binary @core`)
 * or a multipart form (the dashboard's drag and drop; busboy). Nothing is buffered whole, sizes
 * are capped as the bytes arrive, and spooled files are named by a random id, never by the name
 * the client sent.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { SpooledFile } from './service.js';

/** Form fields the upload form may carry; anything else is ignored. */
const MAX_FIELD_BYTES = 4096;
const MAX_FILES_PER_FORM = 50;
const MAX_FIELDS_PER_FORM = 20;

export class UploadError extends Error {
  constructor(readonly status: 400 | 413, message: string) {
    super(message);
  }
}

export interface SpooledUpload {
  readonly files: Array<SpooledFile & { readonly name: string }>;
  readonly fields: Readonly<Record<string, string>>;
}

export async function spoolUpload(req: IncomingMessage, spoolDir: string, maxBytes: number, rawName: string): Promise<SpooledUpload> {
  const type = req.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(type)) return spoolMultipart(req, spoolDir, maxBytes);
  const file = await spoolStream(req, spoolDir, maxBytes, rawName);
  return { files: [file], fields: {} };
}

export async function spoolStream(source: Readable, spoolDir: string, maxBytes: number, name: string): Promise<SpooledFile & { name: string }> {
  await mkdir(spoolDir, { recursive: true });
  const target = path.join(spoolDir, `upload-${randomUUID()}`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      size += chunk.length;
      if (size > maxBytes) return done(new UploadError(413, `upload larger than the ${maxBytes}-byte limit (setting dumpMaxUploadMb)`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(target));
  } catch (err) {
    await rm(target, { force: true });
    throw err instanceof UploadError ? err : new UploadError(400, `upload interrupted: ${(err as Error).message}`);
  }
  return { path: target, size, sha256: hash.digest('hex'), name };
}

function spoolMultipart(req: IncomingMessage, spoolDir: string, maxBytes: number): Promise<SpooledUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: MAX_FILES_PER_FORM, fields: MAX_FIELDS_PER_FORM, fieldSize: MAX_FIELD_BYTES } });
    } catch (err) {
      reject(new UploadError(400, `bad multipart form: ${(err as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    const pending: Array<Promise<SpooledFile & { name: string }>> = [];
    let failure: UploadError | null = null;
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_field, stream, info) => {
      const limited = new Transform({
        transform(chunk: Buffer, _enc, done: TransformCallback) { done(null, chunk); },
      });
      stream.on('limit', () => {
        failure = new UploadError(413, `file "${info.filename}" larger than the ${maxBytes}-byte limit (setting dumpMaxUploadMb)`);
        limited.destroy(failure);
      });
      stream.pipe(limited);
      const spooled = spoolStream(limited, spoolDir, maxBytes, info.filename || 'upload');
      spooled.catch(() => undefined);
      pending.push(spooled);
    });
    parser.on('filesLimit', () => { failure = new UploadError(413, `more than ${MAX_FILES_PER_FORM} files in one form`); });
    parser.on('error', (err: Error) => finish(new UploadError(400, `bad multipart form: ${err.message}`)));
    parser.on('close', () => finish(null));
    req.on('error', (err) => finish(new UploadError(400, `upload interrupted: ${err.message}`)));
    req.pipe(parser);

    let finished = false;
    async function finish(error: UploadError | null): Promise<void> {
      if (finished) return;
      finished = true;
      const results = await Promise.allSettled(pending);
      const files = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const problem = error ?? failure ?? results.map((r) => (r.status === 'rejected' ? r.reason as Error : null)).find((e) => e) ?? null;
      if (problem) {
        await Promise.all(files.map((f) => rm(f.path, { force: true })));
        reject(problem instanceof UploadError ? problem : new UploadError(400, problem.message));
        return;
      }
      resolve({ files, fields });
    }
  });
}
