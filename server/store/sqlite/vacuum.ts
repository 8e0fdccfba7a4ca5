/**
 * Giving freed pages back to the file system. Retention frees pages as it deletes; the file only
 * shrinks when its tail pages are moved into the holes, which costs as much as writing them. So a
 * slack of free pages stays for the next writes to reuse: giving back every page each round moved
 * 32 MB of the file per round, only for the writes to grow the file again (the soak's store worker
 * spent its time there, and ingest queued behind it).
 */
import type { Database as Db } from 'better-sqlite3';

/** Free pages given back per call (32 MB of 4 KiB pages): moving pages holds the write lock. */
const VACUUM_PAGES_PER_CALL = 8192;
/** Free pages kept for the next writes: this share of the budget, at most VACUUM_SLACK_MAX_BYTES. */
const VACUUM_SLACK_OF_BUDGET = 0.05;
const VACUUM_SLACK_MAX_BYTES = 256 * 2 ** 20;

/** One attached file's pages: how many, how many free, and their size. */
export function filePages(db: Db, schema: string): { count: number; free: number; size: number } {
  const pragma = (name: string) => db.pragma(`${schema}.${name}`, { simple: true }) as number;
  return { count: pragma('page_count'), free: pragma('freelist_count'), size: pragma('page_size') };
}

/** Gives one attached file's free pages beyond the slack back, a bounded step per call. */
export function vacuumBeyondSlack(db: Db, schema: string, budgetBytes: number): void {
  const pages = filePages(db, schema);
  const slackBytes = Math.min(budgetBytes * VACUUM_SLACK_OF_BUDGET, VACUUM_SLACK_MAX_BYTES);
  const excess = pages.free - Math.floor(slackBytes / pages.size);
  if (excess > 0) db.pragma(`${schema}.incremental_vacuum(${Math.min(excess, VACUUM_PAGES_PER_CALL)})`);
}
