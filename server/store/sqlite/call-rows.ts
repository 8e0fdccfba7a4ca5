/**
 * Writes call rows as they are into the embedded store's calls table, in one transaction: for
 * seeding a store with a fleet's history (bench/), where building 10^6 calls through the correlator
 * would measure the correlator instead of the queries.
 */
import Database from 'better-sqlite3';
import type { CallRow, CallRowColumn } from '../call-rows.js';

export function writeSqliteCallRows(file: string, columns: readonly CallRowColumn[], rows: Iterable<CallRow>): void {
  const db = new Database(file);
  try {
    const kept = columns.flatMap((c, i) => (c === 'version' ? [] : [i]));
    const insert = db.prepare(`INSERT INTO calls (${kept.map((i) => columns[i]).join(', ')}) VALUES (${kept.map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (const row of rows) insert.run(...kept.map((i) => row[i] ?? null));
    })();
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
}
