/**
 * The `imports` store domain: one row per imported capture (file name for display only, size,
 * SHA-256, status, progress, summary, the damage found with its offsets), and removal of all an
 * import brought: its calls here (their tables share this connection); logs and recordings are
 * removed through their own domains.
 */
import type { Database as Db } from 'better-sqlite3';
import type { ImportIssue, ImportRow, ImportStatus, ImportUpdate } from '../import-store.js';
import type { Schema } from './migrations.js';

export const IMPORTS_SCHEMA: Schema = {
  name: 'imports',
  migrations: [
    `
    CREATE TABLE imports (
      id INTEGER PRIMARY KEY,
      file_name TEXT NOT NULL,
      size INTEGER NOT NULL,
      sha256 TEXT,
      status TEXT NOT NULL,
      progress_bytes INTEGER NOT NULL DEFAULT 0,
      summary TEXT,
      errors TEXT NOT NULL DEFAULT '[]',
      created_ms INTEGER NOT NULL,
      finished_ms INTEGER
    );
    `,
  ],
};


interface Row {
  id: number; file_name: string; size: number; sha256: string | null; status: string; progress_bytes: number;
  summary: string | null; errors: string; created_ms: number; finished_ms: number | null;
}


export class ImportsTables {
  constructor(private readonly db: Db) {}

  create(fileName: string, size: number, createdMs: number): ImportRow {
    const id = Number(this.db.prepare(`INSERT INTO imports (file_name, size, status, created_ms) VALUES (?, ?, 'queued', ?)`).run(fileName, size, createdMs).lastInsertRowid);
    return this.get(id)!;
  }

  update(id: number, u: ImportUpdate): ImportRow | null {
    const sets: string[] = [];
    const params: unknown[] = [];
    const put = (column: string, value: unknown) => { sets.push(`${column} = ?`); params.push(value); };
    if (u.status !== undefined) put('status', u.status);
    if (u.progressBytes !== undefined) put('progress_bytes', u.progressBytes);
    if (u.sha256 !== undefined) put('sha256', u.sha256);
    if (u.summary !== undefined) put('summary', JSON.stringify(u.summary));
    if (u.errors !== undefined) put('errors', JSON.stringify(u.errors));
    if (u.finishedMs !== undefined) put('finished_ms', u.finishedMs);
    if (sets.length > 0) this.db.prepare(`UPDATE imports SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
    return this.get(id);
  }

  get(id: number): ImportRow | null {
    const r = this.db.prepare('SELECT * FROM imports WHERE id = ?').get(id) as Row | undefined;
    return r ? rowJson(r) : null;
  }

  list(limit: number): ImportRow[] {
    return (this.db.prepare('SELECT * FROM imports ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(rowJson);
  }

  /** Imports a previous run left unfinished (the process stopped): marked failed. */
  failUnfinished(nowMs: number): number {
    return this.db.prepare(`UPDATE imports SET status = 'failed', finished_ms = ?, errors = json_insert(errors, '$[#]', json_object('offset', NULL, 'message', 'the collector stopped before the import finished'))
      WHERE status IN ('queued', 'reading')`).run(nowMs).changes;
  }

  /**
   * Forgets finished imports older than `maxAgeMs` (their rows only: the lines and calls they
   * brought age out with the logs and calls retention). One still reading is never touched.
   */
  enforceRetention(maxAgeMs: number, nowMs: number): { deletedImports: number } {
    return { deletedImports: this.db.prepare(`DELETE FROM imports WHERE status IN ('done', 'failed') AND COALESCE(finished_ms, created_ms) < ?`).run(nowMs - maxAgeMs).changes };
  }

  /** Removes the import's calls (with streams, segments, samples) and its row. */
  deleteImport(id: number): { deletedCalls: number } {
    return this.db.transaction(() => {
      const calls = 'SELECT id FROM calls WHERE import_id = ?';
      this.db.prepare(`DELETE FROM call_samples WHERE call_id IN (${calls})`).run(id);
      this.db.prepare(`DELETE FROM call_segments WHERE call_id IN (${calls})`).run(id);
      this.db.prepare(`DELETE FROM call_streams WHERE call_id IN (${calls})`).run(id);
      const deletedCalls = this.db.prepare('DELETE FROM calls WHERE import_id = ?').run(id).changes;
      this.db.prepare('DELETE FROM imports WHERE id = ?').run(id);
      return { deletedCalls };
    })();
  }
}

function rowJson(r: Row): ImportRow {
  return {
    id: r.id, fileName: r.file_name, size: r.size, sha256: r.sha256, status: r.status as ImportStatus, progressBytes: r.progress_bytes,
    summary: r.summary === null ? null : JSON.parse(r.summary), errors: JSON.parse(r.errors) as ImportIssue[], createdMs: r.created_ms, finishedMs: r.finished_ms,
  };
}
