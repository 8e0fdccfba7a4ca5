/**
 * Writes call rows as they are into the fleet store's calls table in batches, then merges it to one
 * part per partition, as a long-running table settles to between bursts: FINAL then merges nothing
 * at read. For seeding a store with a fleet's history (bench/).
 */
import type { CallRow, CallRowColumn } from '../call-rows.js';
import { ClickHouseDb, parseStoreUrl } from './connection.js';

const BATCH = 50_000;

export async function writeClickHouseCallRows(url: string, columns: readonly CallRowColumn[], rows: Iterable<CallRow>): Promise<void> {
  const db = await ClickHouseDb.connect(parseStoreUrl(url));
  try {
    let batch: CallRow[] = [];
    for (const row of rows) {
      batch.push(row);
      if (batch.length === BATCH) {
        await db.insertRows('calls', columns, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await db.insertRows('calls', columns, batch);
    await db.run('OPTIMIZE TABLE calls FINAL');
  } finally {
    await db.close();
  }
}
