/**
 * Deletes in ClickHouse are mutations, applied in the background. 18.16 has no mutations_sync, so
 * a delete that must be visible when its promise resolves waits for `system.mutations` to report
 * the table's mutations done.
 */
import type { ClickHouseDb } from './connection.js';
import { list, str } from './sql.js';

const POLL_MS = 50;
/** A mutation still not done after this is reported (18.16 does not say why one fails). */
const MUTATION_TIMEOUT_MS = 120_000;
/** Ids per DELETE statement: keeps each under max_query_size (256 KiB). */
const IDS_PER_MUTATION = 10_000;

/** Deletes the rows of each table whose column (table → column) is one of `ids`, and waits until they are gone. */
export async function deleteByIds(db: ClickHouseDb, columns: Readonly<Record<string, string>>, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  for (const [table, column] of Object.entries(columns)) {
    for (let i = 0; i < ids.length; i += IDS_PER_MUTATION) await db.run(`ALTER TABLE ${table} DELETE WHERE ${column} IN ${list(ids.slice(i, i + IDS_PER_MUTATION))}`);
  }
  await waitForMutations(db, Object.keys(columns));
}

async function waitForMutations(db: ClickHouseDb, tables: readonly string[]): Promise<void> {
  const deadline = Date.now() + MUTATION_TIMEOUT_MS;
  const sql = `SELECT count() AS n FROM system.mutations WHERE database = ${str(db.target.database)} AND table IN (${tables.map(str).join(', ')}) AND is_done = 0`;
  for (;;) {
    const [r] = await db.rows<{ n: number }>(sql);
    if (r!.n === 0) return;
    if (Date.now() > deadline) throw new Error(`deletes in ${tables.join(', ')} not applied after ${MUTATION_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
