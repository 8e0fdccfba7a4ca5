/**
 * Picks the store backend: the embedded SQLite store in the data directory by default, or the
 * ClickHouse fleet store that several collectors share (`--store clickhouse://…`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRow } from './call-rows.js';
import { CALL_ROW_COLUMNS } from './call-rows.js';
import { writeClickHouseCallRows } from './clickhouse/call-rows.js';
import { describe, parseStoreUrl } from './clickhouse/connection.js';
import { ClickHouseStore } from './clickhouse/store.js';
import { writeSqliteCallRows } from './sqlite/call-rows.js';
import { DirectSqliteStore } from './sqlite/direct-store.js';
import { WorkerSqliteStore } from './sqlite/worker-store.js';
import type { Store } from './types.js';

export const DATABASE_FILE = 'ipp-collector.sqlite';
const RECONNECT_EVERY_MS = 2000;

export interface StoreChoice {
  readonly dataDir: string;
  /** '' for the embedded store. */
  readonly store?: string;
  readonly collectorId?: number;
  readonly now?: () => number;
  /** Where the one line about an unreachable fleet store goes. */
  readonly say?: (line: string) => void;
}

/** Throws with a sentence when `url` is not a store URL this collector can use. */
export function checkStoreUrl(url: string): void {
  parseStoreUrl(url);
}

/**
 * The embedded store uses the worker thread when the compiled worker is present (the built
 * collector); code run from TypeScript source (vitest) writes on its own thread instead.
 * A fleet store that cannot be reached is said once, then tried again until it answers: the
 * collector starts listening only with a store to write to.
 */
export async function openStore(choice: StoreChoice): Promise<Store> {
  mkdirSync(choice.dataDir, { recursive: true });
  if (choice.store) {
    const target = parseStoreUrl(choice.store);
    const say = choice.say ?? ((line: string) => process.stderr.write(`${line}\n`));
    let told = false;
    for (;;) {
      try {
        const store = await ClickHouseStore.open(target, { slot: choice.collectorId ?? 0, now: choice.now ?? Date.now });
        if (told) say(`ClickHouse at ${describe(target)} answers now`);
        return store;
      } catch (err) {
        if (!told) say(`ClickHouse at ${describe(target)} cannot be reached (${(err as Error).message.split('\n')[0]}); trying again every ${RECONNECT_EVERY_MS / 1000} s`);
        told = true;
        await new Promise((r) => setTimeout(r, RECONNECT_EVERY_MS));
      }
    }
  }
  const file = path.join(choice.dataDir, DATABASE_FILE);
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

/**
 * Writes call rows as they are into the chosen store's calls table (after `openStore` made its
 * schema): for seeding a fleet's history in benchmarks without the correlator.
 */
export async function writeCallRows(choice: StoreChoice, rows: Iterable<CallRow>): Promise<void> {
  if (choice.store) await writeClickHouseCallRows(choice.store, CALL_ROW_COLUMNS, rows);
  else writeSqliteCallRows(path.join(choice.dataDir, DATABASE_FILE), CALL_ROW_COLUMNS, rows);
}
