/** Picks the store backend; the default embedded store is SQLite in the data directory. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectSqliteStore } from './sqlite/direct-store.js';
import { WorkerSqliteStore } from './sqlite/worker-store.js';
import type { Store } from './types.js';

export const DATABASE_FILE = 'ipp-collector.sqlite';

/**
 * Uses the worker thread when the compiled worker is present (the built collector); code run from
 * TypeScript source (vitest) has no compiled worker, and writes on its own thread instead.
 */
export async function openStore(dataDir: string): Promise<Store> {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATABASE_FILE);
  const workerUrl = new URL('./sqlite/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(workerUrl))) return WorkerSqliteStore.open(file, workerUrl);
  return new DirectSqliteStore(file);
}

/**
 * The embedded store on the calling thread, whatever is compiled: for measurements of decode and
 * write without the worker hop (bench/). Its writes run before `write` first yields.
 */
export function openStoreOnThisThread(file: string): Store {
  return new DirectSqliteStore(file);
}
