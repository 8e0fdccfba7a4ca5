/**
 * A folder people copy crash dumps into in bulk (setting `dumpDropDir`). Polled rather than
 * fs.watch'ed: watch events are unreliable on network shares and say nothing about a copy still
 * in progress. A file is taken once its size and mtime held still over two polls; it is copied
 * into the spool (hashed on the way) and ingested, then moved to `processed/`, or to `failed/`
 * next to a `<name>.reason.txt` saying why. Subfolders are not entered.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CrashService } from '../crashes/service.js';
import { spoolStream } from '../crashes/intake.js';

export const DROP_POLL_INTERVAL_MS = 2000;
const PROCESSED_DIR = 'processed';
const FAILED_DIR = 'failed';

export interface DropFolder {
  /** Resolves once the current poll (if any) has finished; nothing is taken after. */
  close(): Promise<void>;
  /** One poll now (tests; the timer keeps polling on its own). */
  poll(): Promise<void>;
}

export async function startDumpDropFolder(o: {
  dir: string;
  crashes: CrashService;
  maxBytes: number;
  intervalMs?: number;
  onError?: (message: string) => void;
}): Promise<DropFolder> {
  await mkdir(path.join(o.dir, PROCESSED_DIR), { recursive: true });
  await mkdir(path.join(o.dir, FAILED_DIR), { recursive: true });
  const seen = new Map<string, string>();
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const take = async (name: string): Promise<void> => {
    const from = path.join(o.dir, name);
    let reason: string | null = null;
    try {
      const spooled = await spoolStream(createReadStream(from), o.crashes.spoolDir, o.maxBytes, name);
      const result = await o.crashes.ingest(spooled, { name }, 'drop-folder');
      if (result.status === 'rejected') reason = result.problems.map((p) => `${p.member}: ${p.reason}`).join('\n') || 'no crash found';
    } catch (err) {
      reason = (err as Error).message;
    }
    const targetDir = path.join(o.dir, reason === null ? PROCESSED_DIR : FAILED_DIR);
    const target = await freeName(targetDir, name);
    await rename(from, target);
    if (reason !== null) await writeFile(`${target}.reason.txt`, `${reason}\n`);
  };

  const pollOnce = async (): Promise<void> => {
    const entries = await readdir(o.dir, { withFileTypes: true });
    const present = new Set<string>();
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      present.add(entry.name);
      const info = await stat(path.join(o.dir, entry.name)).catch(() => null);
      if (!info) continue;
      const fingerprint = `${info.size}:${info.mtimeMs}`;
      if (seen.get(entry.name) !== fingerprint) {
        seen.set(entry.name, fingerprint);
        continue;
      }
      seen.delete(entry.name);
      if (closed) return;
      await take(entry.name);
    }
    for (const name of seen.keys()) if (!present.has(name)) seen.delete(name);
  };

  const poll = (): Promise<void> => {
    running = running.then(pollOnce).catch((err: Error) => o.onError?.(`drop folder ${o.dir}: ${err.message}`));
    return running;
  };
  const timer = setInterval(() => void poll(), o.intervalMs ?? DROP_POLL_INTERVAL_MS);
  timer.unref();
  return {
    poll,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** `name`, or `name.1`, `name.2`, … when a file of that name was processed before. */
async function freeName(dir: string, name: string): Promise<string> {
  for (let i = 0; ; i++) {
    const candidate = path.join(dir, i === 0 ? name : `${name}.${i}`);
    if (!(await stat(candidate).catch(() => null))) return candidate;
  }
}
