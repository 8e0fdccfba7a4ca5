/** What every ClickHouse domain is built with. */
import { TimeOrderedIds, type IdSource } from '../ids.js';
import type { ClickHouseDb } from './connection.js';

export interface FleetContext {
  readonly db: ClickHouseDb;
  /** This collector's slot (`--collector-id`): the low bits of every id it hands out, and its name in per-collector rows. */
  readonly slot: number;
  readonly now: () => number;
  /** A time-ordered id source in this collector's slot (see ids.ts). */
  ids(): IdSource;
}

export function fleetContext(db: ClickHouseDb, slot: number, now: () => number): FleetContext {
  return { db, slot, now, ids: () => new TimeOrderedIds(slot, now) };
}
