/**
 * The store contract suite runs every test against each backend: the embedded SQLite store and
 * the ClickHouse fleet store on a real server started for the file (a fresh database per store
 * opened). `eachBackend` is the only place that knows which backends exist.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { parseStoreUrl } from '../../server/store/clickhouse/connection.js';
import { ClickHouseStore } from '../../server/store/clickhouse/store.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/types.js';
import { startClickHouse, type RunningClickHouse } from '../../bench/clickhouse-server.js';
import { hasClickHouse } from '../support/fleet-servers.js';

export interface StoreOpenOptions {
  readonly now?: () => number;
  /** The collector slot (ClickHouse); two stores with different slots on one database are two collectors. */
  readonly slot?: number;
  /** Open another store on the same data as this one (a second collector, or a restart). */
  readonly sameAs?: Store;
}

export interface StoreBackend {
  readonly name: 'sqlite' | 'clickhouse';
  open(o?: StoreOpenOptions): Promise<Store>;
}

function sqliteBackend(): StoreBackend & { closeAll(): Promise<void> } {
  const opened: Array<{ store: Store; file: string }> = [];
  return {
    name: 'sqlite',
    async open(o = {}) {
      const file = o.sameAs ? opened.find((x) => x.store === o.sameAs)!.file : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-contract-')), 'db.sqlite');
      const store = openStoreOnThisThread(file);
      opened.push({ store, file });
      return store;
    },
    async closeAll() {
      for (const { store } of opened.splice(0)) await store.close().catch(() => undefined);
    },
  };
}

function clickHouseBackend(server: () => RunningClickHouse): StoreBackend & { closeAll(): Promise<void> } {
  const opened: Array<{ store: Store; url: string }> = [];
  let databases = 0;
  return {
    name: 'clickhouse',
    async open(o = {}) {
      const url = o.sameAs ? opened.find((x) => x.store === o.sameAs)!.url : server().url.replace(/\/[^/]*$/, `/contract_${++databases}`);
      const store = await ClickHouseStore.open(parseStoreUrl(url), { slot: o.slot ?? 0, now: o.now ?? Date.now });
      opened.push({ store, url });
      return store;
    },
    async closeAll() {
      for (const { store } of opened.splice(0)) await store.close().catch(() => undefined);
    },
  };
}

/** Declares `body` once per backend, as `<title> [sqlite]` and `<title> [clickhouse]`. */
export function eachBackend(title: string, body: (backend: StoreBackend) => void): void {
  const sqlite = sqliteBackend();
  describe(`${title} [sqlite]`, () => {
    afterAll(() => sqlite.closeAll());
    body(sqlite);
  });
  const run = hasClickHouse() ? describe : describe.skip;
  let server: RunningClickHouse | null = null;
  const clickhouse = clickHouseBackend(() => server!);
  run(`${title} [clickhouse]`, () => {
    beforeAll(async () => { server = await startClickHouse(); }, 90_000);
    afterAll(async () => {
      await clickhouse.closeAll();
      await server?.stop();
    });
    body(clickhouse);
  });
}
