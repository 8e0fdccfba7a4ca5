/**
 * The logs' full-text index, kept in parts by id range, each a contentless FTS5 table that is only
 * ever appended to. Retention never deletes from the index: a part goes whole, by DROP TABLE, once
 * every line it covers is gone, and until then its entries for deleted lines find nothing, because
 * every search joins the hits to the lines still stored. One index with row deletes cost far more:
 * FTS5 keeps a tombstone list per segment and rewrote it, and merged segments heavy with
 * tombstones, at every commit of a retention step (measured: commits of a 1,000-line delete took
 * up to 3.3 s at half a million lines, and the hour soak's store worker fell 10 s behind).
 */
import type { Database as Db } from 'better-sqlite3';

/** A part closes once it holds this share of the stored lines: what its deleted lines can cost until it goes. */
const PART_SHARE_OF_LINES = 1 / 8;
const PART_MIN_LINES = 10_000;
const PART_MAX_LINES = 1_000_000;

interface Part { readonly part: number; readonly firstId: number; lines: number }

/** A part's table name: from our own part number, never from input. */
const tableOf = (part: number) => `logs_fts_${part}`;

export class LogSearchIndex {
  /** Oldest first; the last one is the part being filled. */
  private readonly parts: Part[];
  /** Every stored line up to this id is indexed. */
  indexedUpto: number;

  constructor(private readonly db: Db) {
    this.parts = (db.prepare('SELECT part, first_id AS firstId, lines FROM logs_fts_parts ORDER BY part').all() as Part[]);
    this.indexedUpto = (db.prepare("SELECT value FROM meta WHERE key = 'fts_indexed_upto'").get() as { value: number }).value;
  }

  /**
   * Indexes up to `maxRows` stored lines after the indexed ones; returns how many it indexed.
   * `storedLines` sizes the parts: a store of a few thousand lines and one of millions both keep
   * around eight parts, so neither a search nor the deleted lines' entries grow with the store.
   */
  indexPending(maxRows: number, storedLines: number): number {
    const rows = this.db.prepare('SELECT id, body AS message FROM logs WHERE id > ? ORDER BY id LIMIT ?').all(this.indexedUpto, maxRows) as Array<{ id: number; message: string }>;
    if (rows.length === 0) return 0;
    const partLines = Math.min(PART_MAX_LINES, Math.max(PART_MIN_LINES, Math.round(storedLines * PART_SHARE_OF_LINES)));
    const upto = rows[rows.length - 1]!.id;
    this.db.transaction(() => {
      let open = this.parts[this.parts.length - 1]!;
      if (open.lines >= partLines) open = this.openPart(rows[0]!.id);
      const insert = this.db.prepare(`INSERT INTO ${tableOf(open.part)} (rowid, message) VALUES (?, ?)`);
      for (const r of rows) insert.run(r.id, r.message);
      this.db.prepare('UPDATE logs_fts_parts SET lines = lines + ? WHERE part = ?').run(rows.length, open.part);
      this.db.prepare("UPDATE meta SET value = ? WHERE key = 'fts_indexed_upto'").run(upto);
      open.lines += rows.length;
    })();
    this.indexedUpto = upto;
    return rows.length;
  }

  private openPart(firstId: number): Part {
    const part: Part = { part: this.parts[this.parts.length - 1]!.part + 1, firstId, lines: 0 };
    this.db.exec(`CREATE VIRTUAL TABLE ${tableOf(part.part)} USING fts5(message, content='', tokenize='unicode61')`);
    this.db.prepare('INSERT INTO logs_fts_parts (part, first_id, lines) VALUES (?, ?, ?)').run(part.part, part.firstId, 0);
    this.parts.push(part);
    return part;
  }

  /**
   * Hits of one FTS5 query among indexed lines, newest part first for 'DESC' (oldest for 'ASC'),
   * until `limit`. `select(from, match, limit)` runs the caller's query over `from`; the parts'
   * id ranges are disjoint, so the concatenation keeps the order. Throws on a query FTS5 cannot read.
   */
  search<T>(order: 'ASC' | 'DESC', limit: number, select: (from: string, match: string, limit: number) => T[]): T[] {
    const parts = order === 'DESC' ? [...this.parts].reverse() : this.parts;
    const rows: T[] = [];
    for (const p of parts) {
      if (rows.length >= limit) break;
      rows.push(...select(`${tableOf(p.part)} f JOIN logs l ON l.id = f.rowid`, `${tableOf(p.part)} MATCH ?`, limit - rows.length));
    }
    return rows;
  }

  /** Drops the closed parts none of whose lines are stored any more; call inside the deleting transaction. */
  dropEmptiedParts(): void {
    const anyLine = this.db.prepare('SELECT 1 FROM logs WHERE id >= ? AND id < ? LIMIT 1');
    for (let i = this.parts.length - 2; i >= 0; i--) {
      const p = this.parts[i]!;
      if (anyLine.get(p.firstId, this.parts[i + 1]!.firstId) !== undefined) continue;
      this.db.exec(`DROP TABLE ${tableOf(p.part)}`);
      this.db.prepare('DELETE FROM logs_fts_parts WHERE part = ?').run(p.part);
      this.parts.splice(i, 1);
    }
  }
}
