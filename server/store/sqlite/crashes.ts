/**
 * Crash dumps in SQLite: uploads (the original file lives on disk by content hash), the crashes
 * decoded from them, their groups (one per v1 signature), and symbols from uploaded binaries.
 * Group counts are aggregates over `crashes`, never stored counters, so moving a crash to another
 * group when symbols arrive keeps every count right without bookkeeping.
 */
import type { Database as Db } from 'better-sqlite3';
import type {
  CrashFilter, CrashRecord, DumpRecord, GroupInfo, GroupSummary, NewCrash, NewDump, SymbolFileRecord,
} from '../crash-store.js';
import type { Schema } from './migrations.js';

const UNKNOWN = '(unknown)';

export const CRASHES_SCHEMA: Schema = {
  name: 'crashes',
  migrations: [
    `
    CREATE TABLE crash_dumps (
      id INTEGER PRIMARY KEY,
      sha256 TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      size INTEGER NOT NULL,
      kind TEXT NOT NULL,
      device_id INTEGER, device_ref TEXT, model TEXT, firmware TEXT, ticket TEXT, note TEXT,
      received_at INTEGER NOT NULL,
      source TEXT NOT NULL,
      status TEXT NOT NULL,
      problems TEXT NOT NULL,
      crash_ids TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE crash_groups (
      hash TEXT PRIMARY KEY,
      signature TEXT NOT NULL,
      title TEXT NOT NULL,
      confidence TEXT NOT NULL
    );
    CREATE TABLE crashes (
      id INTEGER PRIMARY KEY,
      dump_id INTEGER NOT NULL,
      content_sha256 TEXT NOT NULL,
      content_index INTEGER NOT NULL,
      member TEXT NOT NULL,
      group_hash TEXT NOT NULL,
      process TEXT, signal TEXT,
      at INTEGER NOT NULL,
      crashed_at INTEGER,
      received_at INTEGER NOT NULL,
      device_id INTEGER, device_ref TEXT, model TEXT, firmware TEXT,
      partial INTEGER NOT NULL,
      report TEXT NOT NULL,
      UNIQUE (content_sha256, content_index)
    );
    CREATE INDEX crashes_group ON crashes(group_hash, at);
    CREATE INDEX crashes_at ON crashes(at);
    CREATE INDEX crashes_dump ON crashes(dump_id);
    CREATE TABLE crash_modules (
      module TEXT NOT NULL,
      crash_id INTEGER NOT NULL,
      PRIMARY KEY (module, crash_id)
    ) WITHOUT ROWID;
    CREATE TABLE crash_symbol_files (
      id INTEGER PRIMARY KEY,
      sha256 TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      module TEXT NOT NULL,
      build_id TEXT,
      firmware TEXT,
      image_base INTEGER NOT NULL,
      symbol_table TEXT NOT NULL,
      functions INTEGER NOT NULL,
      size INTEGER NOT NULL,
      received_at INTEGER NOT NULL
    );
    CREATE INDEX crash_symbol_files_build_id ON crash_symbol_files(build_id);
    CREATE INDEX crash_symbol_files_module ON crash_symbol_files(module);
    CREATE TABLE crash_symbols (
      file_id INTEGER NOT NULL,
      address INTEGER NOT NULL,
      size INTEGER NOT NULL,
      name TEXT NOT NULL
    );
    CREATE INDEX crash_symbols_lookup ON crash_symbols(file_id, address);
    `,
  ],
};



export class CrashesTables {
  constructor(private readonly db: Db) {}

  findDump(sha256: string): DumpRecord | null {
    const row = this.db.prepare('SELECT * FROM crash_dumps WHERE sha256 = ?').get(sha256) as DumpRow | undefined;
    return row ? toDump(row) : null;
  }

  getDump(id: number): DumpRecord | null {
    const row = this.db.prepare('SELECT * FROM crash_dumps WHERE id = ?').get(id) as DumpRow | undefined;
    return row ? toDump(row) : null;
  }

  /**
   * Stores one upload and its crashes in one transaction. A crash already stored (same file
   * content and position, e.g. the same core inside another archive) is not stored again: its
   * existing id is returned and `created` says which ids are new.
   */
  addDump(dump: NewDump, crashes: ReadonlyArray<{ crash: Omit<NewCrash, 'dumpId'>; group: GroupInfo; modules: readonly string[] }>): { dumpId: number; crashIds: number[]; created: number[] } {
    return this.db.transaction(() => {
      const dumpId = Number(this.db.prepare(`INSERT INTO crash_dumps (sha256, name, size, kind, device_id, device_ref, model, firmware,
        ticket, note, received_at, source, status, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        dump.sha256, dump.name, dump.size, dump.kind, dump.deviceId, dump.deviceRef, dump.model, dump.firmware, dump.ticket,
        dump.note, dump.receivedAt, dump.source, dump.status, JSON.stringify(dump.problems)).lastInsertRowid);
      const crashIds: number[] = [];
      const created: number[] = [];
      const existing = this.db.prepare('SELECT id FROM crashes WHERE content_sha256 = ? AND content_index = ?');
      for (const { crash, group, modules } of crashes) {
        const found = existing.get(crash.contentSha256, crash.contentIndex) as { id: number } | undefined;
        if (found) {
          crashIds.push(found.id);
          continue;
        }
        this.upsertGroup(group);
        const id = Number(this.db.prepare(`INSERT INTO crashes (dump_id, content_sha256, content_index, member, group_hash, process, signal,
          at, crashed_at, received_at, device_id, device_ref, model, firmware, partial, report)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          dumpId, crash.contentSha256, crash.contentIndex, crash.member, crash.groupHash, crash.process, crash.signal, crash.at,
          crash.crashedAt, crash.receivedAt, crash.deviceId, crash.deviceRef, crash.model, crash.firmware, crash.partial ? 1 : 0,
          crash.report).lastInsertRowid);
        const addModule = this.db.prepare('INSERT OR IGNORE INTO crash_modules (module, crash_id) VALUES (?, ?)');
        for (const m of modules) addModule.run(m, id);
        crashIds.push(id);
        created.push(id);
      }
      this.db.prepare('UPDATE crash_dumps SET crash_ids = ? WHERE id = ?').run(JSON.stringify(crashIds), dumpId);
      return { dumpId, crashIds, created };
    })();
  }

  /**
   * Forgets uploads received before `nowMs - maxAgeMs` and the crashes no remaining upload lists.
   * A crash a newer upload also holds (the same core inside another archive) stays and points at
   * that upload from now on. Returns the SHA-256 of every stored file no row refers to any more:
   * the caller deletes those files; one that is also a symbol file is still referenced and not listed.
   */
  enforceRetention(maxAgeMs: number, nowMs: number): { deletedDumps: number; deletedCrashes: number; unreferencedFiles: string[] } {
    const cutoff = nowMs - maxAgeMs;
    return this.db.transaction(() => {
      const old = this.db.prepare('SELECT id, sha256, crash_ids FROM crash_dumps WHERE received_at < ?').all(cutoff) as Array<{ id: number; sha256: string; crash_ids: string }>;
      if (old.length === 0) return { deletedDumps: 0, deletedCrashes: 0, unreferencedFiles: [] };
      const oldIds = new Set(old.map((d) => d.id));
      const candidates = new Set(old.flatMap((d) => JSON.parse(d.crash_ids) as number[]));
      for (const d of old) {
        for (const r of this.db.prepare('SELECT id FROM crashes WHERE dump_id = ?').all(d.id) as Array<{ id: number }>) candidates.add(r.id);
      }
      const keeper = this.db.prepare(`SELECT id FROM crash_dumps WHERE received_at >= ?
        AND EXISTS (SELECT 1 FROM json_each(crash_dumps.crash_ids) WHERE value = ?) ORDER BY id DESC LIMIT 1`);
      let deletedCrashes = 0;
      for (const crashId of candidates) {
        const newer = keeper.get(cutoff, crashId) as { id: number } | undefined;
        if (newer) {
          const row = this.db.prepare('SELECT dump_id FROM crashes WHERE id = ?').get(crashId) as { dump_id: number } | undefined;
          if (row && oldIds.has(row.dump_id)) this.db.prepare('UPDATE crashes SET dump_id = ? WHERE id = ?').run(newer.id, crashId);
          continue;
        }
        this.db.prepare('DELETE FROM crash_modules WHERE crash_id = ?').run(crashId);
        deletedCrashes += this.db.prepare('DELETE FROM crashes WHERE id = ?').run(crashId).changes;
      }
      const dropDump = this.db.prepare('DELETE FROM crash_dumps WHERE id = ?');
      for (const d of old) dropDump.run(d.id);
      this.db.prepare('DELETE FROM crash_groups WHERE hash NOT IN (SELECT DISTINCT group_hash FROM crashes)').run();
      const stillUsed = this.db.prepare('SELECT (SELECT COUNT(*) FROM crash_dumps WHERE sha256 = ?) + (SELECT COUNT(*) FROM crash_symbol_files WHERE sha256 = ?) AS n');
      const unreferencedFiles = old.map((d) => d.sha256).filter((sha) => (stillUsed.get(sha, sha) as { n: number }).n === 0);
      return { deletedDumps: old.length, deletedCrashes, unreferencedFiles };
    })();
  }

  getCrash(id: number): CrashRecord | null {
    const row = this.db.prepare('SELECT * FROM crashes WHERE id = ?').get(id) as CrashRow | undefined;
    return row ? toCrash(row) : null;
  }

  crashIdsWithModule(module: string): number[] {
    return (this.db.prepare('SELECT crash_id FROM crash_modules WHERE module = ? ORDER BY crash_id').all(module) as Array<{ crash_id: number }>).map((r) => r.crash_id);
  }

  /** After symbols arrived: the crash's new report and, when its signature changed, its new group. */
  regroupCrash(id: number, group: GroupInfo, report: string): void {
    this.db.transaction(() => {
      this.upsertGroup(group);
      this.db.prepare('UPDATE crashes SET group_hash = ?, report = ? WHERE id = ?').run(group.hash, report, id);
      this.db.prepare('DELETE FROM crash_groups WHERE hash NOT IN (SELECT DISTINCT group_hash FROM crashes)').run();
    })();
  }

  getGroup(hash: string): GroupInfo | null {
    return (this.db.prepare('SELECT hash, signature, title, confidence FROM crash_groups WHERE hash = ?').get(hash) as GroupInfo | undefined) ?? null;
  }

  listGroups(filter: CrashFilter, limit: number): GroupSummary[] {
    const { where, args } = filterSql(filter);
    const rows = this.db.prepare(`SELECT g.hash, g.signature, g.title, g.confidence, COUNT(*) AS count,
        COUNT(DISTINCT COALESCE(CAST(c.device_id AS TEXT), c.device_ref)) AS devices,
        MIN(c.at) AS firstSeen, MAX(c.at) AS lastSeen, MAX(c.id) AS lastCrashId
      FROM crashes c JOIN crash_groups g ON g.hash = c.group_hash ${where}
      GROUP BY g.hash ORDER BY lastSeen DESC, g.hash LIMIT ?`).all(...args, limit) as Array<Omit<GroupSummary, 'byFirmware' | 'byModel' | 'byDevice' | 'perDay' | 'process' | 'signal'>>;
    return rows.map((row) => {
      const scoped = { ...filter, groupHash: row.hash };
      const last = this.getCrash(row.lastCrashId);
      return {
        ...row,
        process: last?.process ?? null,
        signal: last?.signal ?? null,
        byFirmware: this.countBy(scoped, 'c.firmware'),
        byModel: this.countBy(scoped, 'c.model'),
        byDevice: this.countBy(scoped, 'COALESCE(c.device_ref, CAST(c.device_id AS TEXT))'),
        perDay: this.countBy(scoped, "strftime('%Y-%m-%d', c.at / 1000, 'unixepoch')"),
      };
    });
  }

  listCrashes(filter: CrashFilter, limit: number): CrashRecord[] {
    const { where, args } = filterSql(filter);
    return (this.db.prepare(`SELECT c.* FROM crashes c ${where} ORDER BY c.at DESC, c.id DESC LIMIT ?`).all(...args, limit) as CrashRow[]).map(toCrash);
  }

  private countBy(filter: CrashFilter, expression: string): Record<string, number> {
    const { where, args } = filterSql(filter);
    const rows = this.db.prepare(`SELECT ${expression} AS k, COUNT(*) AS n FROM crashes c ${where} GROUP BY k ORDER BY n DESC LIMIT 50`).all(...args) as Array<{ k: string | null; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.k ?? UNKNOWN, r.n]));
  }

  private upsertGroup(group: GroupInfo): void {
    this.db.prepare(`INSERT INTO crash_groups (hash, signature, title, confidence) VALUES (?, ?, ?, ?)
      ON CONFLICT(hash) DO UPDATE SET title = excluded.title, confidence = excluded.confidence`).run(group.hash, group.signature, group.title, group.confidence);
  }

  // Symbols ---------------------------------------------------------------------------------------

  findSymbolFile(sha256: string): SymbolFileRecord | null {
    const row = this.db.prepare('SELECT * FROM crash_symbol_files WHERE sha256 = ?').get(sha256) as SymbolFileRow | undefined;
    return row ? toSymbolFile(row) : null;
  }

  listSymbolFiles(): SymbolFileRecord[] {
    return (this.db.prepare('SELECT * FROM crash_symbol_files ORDER BY id DESC LIMIT 1000').all() as SymbolFileRow[]).map(toSymbolFile);
  }

  addSymbolFile(file: Omit<SymbolFileRecord, 'id'>, functions: ReadonlyArray<{ address: number; size: number; name: string }>): number {
    return this.db.transaction(() => {
      const id = Number(this.db.prepare(`INSERT INTO crash_symbol_files (sha256, name, module, build_id, firmware, image_base, symbol_table,
        functions, size, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(file.sha256, file.name, file.module, file.buildId,
        file.firmware, file.imageBase, file.symbolTable, file.functions, file.size, file.receivedAt).lastInsertRowid);
      const insert = this.db.prepare('INSERT INTO crash_symbols (file_id, address, size, name) VALUES (?, ?, ?, ?)');
      for (const f of functions) insert.run(id, f.address, f.size, f.name);
      return id;
    })();
  }

  /**
   * The symbol file for a module: by build id when the crash knows one (an exact match, or
   * nothing), else by file name with the same firmware (or one uploaded without a firmware).
   */
  findSymbolsFor(module: string, buildId: string | null, firmware: string | null): SymbolFileRecord | null {
    const row = buildId
      ? this.db.prepare('SELECT * FROM crash_symbol_files WHERE build_id = ? ORDER BY id DESC LIMIT 1').get(buildId.toLowerCase())
      : this.db.prepare(`SELECT * FROM crash_symbol_files WHERE module = ? AND (firmware IS NULL OR firmware = ?)
          ORDER BY (firmware IS NULL), id DESC LIMIT 1`).get(module, firmware);
    return row ? toSymbolFile(row as SymbolFileRow) : null;
  }

  /** For each ELF address, the function that starts at or below it (the caller checks the size). */
  functionsAt(fileId: number, addresses: readonly number[]): Array<{ address: number; size: number; name: string } | null> {
    const below = this.db.prepare('SELECT address, size, name FROM crash_symbols WHERE file_id = ? AND address <= ? ORDER BY address DESC, size DESC LIMIT 1');
    const next = this.db.prepare('SELECT address FROM crash_symbols WHERE file_id = ? AND address > ? ORDER BY address LIMIT 1');
    return addresses.map((a) => {
      const row = below.get(fileId, a) as { address: number; size: number; name: string } | undefined;
      if (!row) return null;
      if (row.size > 0) return a < row.address + row.size ? row : null;
      // Size 0 (hand-written assembly): it reaches to the next symbol.
      const after = next.get(fileId, row.address) as { address: number } | undefined;
      return !after || a < after.address ? row : null;
    });
  }
}

function filterSql(f: CrashFilter): { where: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (f.deviceId !== undefined) { parts.push('c.device_id = ?'); args.push(f.deviceId); }
  if (f.deviceRef !== undefined) { parts.push('c.device_ref = ?'); args.push(f.deviceRef); }
  if (f.firmware !== undefined) { parts.push('c.firmware = ?'); args.push(f.firmware); }
  if (f.process !== undefined) { parts.push('c.process = ?'); args.push(f.process); }
  if (f.fromMs !== undefined) { parts.push('c.at >= ?'); args.push(f.fromMs); }
  if (f.toMs !== undefined) { parts.push('c.at <= ?'); args.push(f.toMs); }
  if (f.groupHash !== undefined) { parts.push('c.group_hash = ?'); args.push(f.groupHash); }
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

interface DumpRow {
  id: number; sha256: string; name: string; size: number; kind: string; device_id: number | null; device_ref: string | null;
  model: string | null; firmware: string | null; ticket: string | null; note: string | null; received_at: number; source: string;
  status: string; problems: string; crash_ids: string;
}

interface CrashRow {
  id: number; dump_id: number; content_sha256: string; content_index: number; member: string; group_hash: string;
  process: string | null; signal: string | null; at: number; crashed_at: number | null; received_at: number;
  device_id: number | null; device_ref: string | null; model: string | null; firmware: string | null; partial: number; report: string;
}

interface SymbolFileRow {
  id: number; sha256: string; name: string; module: string; build_id: string | null; firmware: string | null; image_base: number;
  symbol_table: string; functions: number; size: number; received_at: number;
}

function toCrash(r: CrashRow): CrashRecord {
  return {
    id: r.id, dumpId: r.dump_id, contentSha256: r.content_sha256, contentIndex: r.content_index, member: r.member, groupHash: r.group_hash,
    process: r.process, signal: r.signal, at: r.at, crashedAt: r.crashed_at, receivedAt: r.received_at, deviceId: r.device_id,
    deviceRef: r.device_ref, model: r.model, firmware: r.firmware, partial: r.partial === 1, report: r.report,
  };
}

function toSymbolFile(r: SymbolFileRow): SymbolFileRecord {
  return {
    id: r.id, sha256: r.sha256, name: r.name, module: r.module, buildId: r.build_id, firmware: r.firmware, imageBase: r.image_base,
    symbolTable: r.symbol_table, functions: r.functions, size: r.size, receivedAt: r.received_at,
  };
}

function toDump(row: DumpRow): DumpRecord {
  const crashIds = JSON.parse(row.crash_ids) as number[];
  return {
    id: row.id, sha256: row.sha256, name: row.name, size: row.size, kind: row.kind, deviceId: row.device_id, deviceRef: row.device_ref,
    model: row.model, firmware: row.firmware, ticket: row.ticket, note: row.note, receivedAt: row.received_at, source: row.source,
    status: row.status as DumpRecord['status'], problems: JSON.parse(row.problems) as DumpRecord['problems'], crashIds,
  };
}
