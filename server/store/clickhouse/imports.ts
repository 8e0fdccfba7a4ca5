/**
 * The `imports` domain on the fleet store (the ImportStore contract, ../import-store.ts): one row
 * per imported capture, replaced by a newer version on every change (ReplacingMergeTree, read
 * with FINAL). An import is read by the collector that received the upload, so each row names
 * that collector's slot, and a collector starting up fails only the unfinished imports that were
 * its own: another collector's import still reading is not touched.
 */
import type { ImportIssue, ImportRow, ImportStatus, ImportStore, ImportUpdate } from '../import-store.js';
import type { IdSource } from '../ids.js';
import type { ClickHouseCalls } from './calls.js';
import type { FleetContext } from './context.js';
import { deleteByIds } from './mutations.js';
import { Serial } from './serial.js';
import { int } from './sql.js';

const COLUMNS = ['id', 'version', 'collector', 'file_name', 'size', 'sha256', 'status', 'progress_bytes', 'summary', 'errors', 'created_ms', 'finished_ms'] as const;
const STOPPED = 'the collector stopped before the import finished';

interface Row {
  id: number; version: number; collector: number; file_name: string; size: number; sha256: string | null; status: string; progress_bytes: number;
  summary: string | null; errors: string; created_ms: number; finished_ms: number | null;
}

type StoredImport = ImportRow & { readonly version: number; readonly collector: number };

export class ClickHouseImports implements ImportStore {
  private readonly ids: IdSource;
  private readonly serial = new Serial();

  constructor(readonly ctx: FleetContext, private readonly calls: ClickHouseCalls) {
    this.ids = ctx.ids();
  }

  static tables(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS imports (
        id Int64, version UInt64, collector UInt8, file_name String, size Int64, sha256 Nullable(String), status String, progress_bytes Int64,
        summary Nullable(String), errors String, created_ms Int64, finished_ms Nullable(Int64)
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
    ];
  }

  create(fileName: string, size: number, createdMs: number): Promise<ImportRow> {
    return this.serial.run(async () => {
      const row: StoredImport = {
        id: this.ids.next(), version: this.ids.next(), collector: this.ctx.slot, fileName, size, sha256: null, status: 'queued', progressBytes: 0,
        summary: null, errors: [], createdMs, finishedMs: null,
      };
      await this.write([row]);
      return publicImport(row);
    });
  }

  update(id: number, u: ImportUpdate): Promise<ImportRow | null> {
    return this.serial.run(async () => {
      const [old] = await this.read(`id = ${int(id)}`);
      if (!old) return null;
      const next: StoredImport = {
        ...old,
        status: u.status ?? old.status,
        progressBytes: u.progressBytes ?? old.progressBytes,
        sha256: u.sha256 ?? old.sha256,
        summary: u.summary !== undefined ? u.summary : old.summary,
        errors: u.errors ?? old.errors,
        finishedMs: u.finishedMs ?? old.finishedMs,
        version: Math.max(this.ids.next(), old.version + 1),
      };
      await this.write([next]);
      return publicImport(next);
    });
  }

  async get(id: number): Promise<ImportRow | null> {
    const [row] = await this.read(`id = ${int(id)}`);
    return row ? publicImport(row) : null;
  }

  async list(limit: number): Promise<ImportRow[]> {
    return (await this.read('1', `ORDER BY id DESC LIMIT ${int(limit)}`)).map(publicImport);
  }

  failUnfinished(nowMs: number): Promise<number> {
    return this.serial.run(async () => {
      const open = await this.read(`collector = ${int(this.ctx.slot)} AND status IN ('queued', 'reading')`);
      await this.write(open.map((r) => ({
        ...r, status: 'failed', finishedMs: nowMs, errors: [...r.errors, { offset: null, message: STOPPED }], version: Math.max(this.ids.next(), r.version + 1),
      })));
      return open.length;
    });
  }

  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ deletedImports: number }> {
    return this.serial.run(async () => {
      const old = await this.read(`status IN ('done', 'failed') AND ifNull(finished_ms, created_ms) < ${int(nowMs - maxAgeMs)}`);
      await deleteByIds(this.ctx.db, { imports: 'id' }, old.map((r) => r.id));
      return { deletedImports: old.length };
    });
  }

  deleteImport(id: number): Promise<{ deletedCalls: number }> {
    return this.serial.run(async () => {
      const removed = await this.calls.deleteImport(id);
      await deleteByIds(this.ctx.db, { imports: 'id' }, [id]);
      return removed;
    });
  }

  private async read(where: string, tail = ''): Promise<StoredImport[]> {
    const rows = await this.ctx.db.rows<Row>(`SELECT ${COLUMNS.join(', ')} FROM imports FINAL WHERE ${where} ${tail}`);
    return rows.map((r) => ({
      id: r.id, version: r.version, collector: r.collector, fileName: r.file_name, size: r.size, sha256: r.sha256, status: r.status as ImportStatus,
      progressBytes: r.progress_bytes, summary: r.summary === null ? null : JSON.parse(r.summary), errors: JSON.parse(r.errors) as ImportIssue[],
      createdMs: r.created_ms, finishedMs: r.finished_ms,
    }));
  }

  private write(rows: readonly StoredImport[]): Promise<void> {
    return this.ctx.db.insertRows('imports', COLUMNS, rows.map((r) => [
      r.id, r.version, r.collector, r.fileName, r.size, r.sha256, r.status, r.progressBytes,
      r.summary === null || r.summary === undefined ? null : JSON.stringify(r.summary), JSON.stringify(r.errors), r.createdMs, r.finishedMs,
    ]));
  }
}

function publicImport(r: StoredImport): ImportRow {
  const { version: _version, collector: _collector, ...row } = r;
  return row;
}
