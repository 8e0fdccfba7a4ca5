/**
 * Crash dumps on the fleet store (the CrashStore and SymbolStore contracts, ../crash-store.ts):
 * uploads, the crashes decoded from them, their groups, and symbols from uploaded binaries. The
 * files themselves stay on the disk of the collector that received them (its --data-dir).
 *
 * Uploads, crashes and groups are rows replaced by newer versions (ReplacingMergeTree, read with
 * FINAL). A crash's id is known before anything is written, so an upload's rows go in the order
 * that leaves nothing half-visible: groups, crashes and their modules first, the upload row (which
 * lists its crashes) last. A failure in between leaves crashes that a repeated upload finds by
 * content and reuses. Group counts are aggregates over `crashes`, as in the embedded store; a
 * group no crash is in any more is not listed and `getGroup` does not return it.
 *
 * Symbol files and their functions are written once and never change: plain MergeTree, the
 * functions first, the file row that makes them findable last.
 */
import type {
  CrashFilter, CrashRecord, CrashStore, DumpRecord, GroupInfo, GroupSummary, NewCrash, NewDump, SymbolFileRecord, SymbolStore,
} from '../crash-store.js';
import type { IdSource } from '../ids.js';
import type { FleetContext } from './context.js';
import { deleteByIds } from './mutations.js';
import { Serial } from './serial.js';
import { int, list, str } from './sql.js';

const UNKNOWN = '(unknown)';
const DAY_MS = 86_400_000;
/** Keys per breakdown of a group, as in the embedded store. */
const BREAKDOWN_LIMIT = 50;
/** Addresses per symbol lookup query: each is a subquery, and the query must stay under max_query_size. */
const ADDRESSES_PER_QUERY = 100;

const DUMP_COLUMNS = ['id', 'version', 'sha256', 'name', 'size', 'kind', 'device_id', 'device_ref', 'model', 'firmware', 'ticket', 'note',
  'received_at', 'source', 'status', 'problems', 'crash_ids'] as const;
const CRASH_COLUMNS = ['id', 'version', 'dump_id', 'content_sha256', 'content_index', 'member', 'group_hash', 'process', 'signal', 'at', 'crashed_at',
  'received_at', 'device_id', 'device_ref', 'model', 'firmware', 'partial', 'report'] as const;
const GROUP_COLUMNS = ['hash', 'version', 'signature', 'title', 'confidence'] as const;
const SYMBOL_FILE_COLUMNS = ['id', 'sha256', 'name', 'module', 'build_id', 'firmware', 'image_base', 'symbol_table', 'functions', 'size', 'received_at'] as const;

interface DumpRow {
  id: number; version: number; sha256: string; name: string; size: number; kind: string; device_id: number | null; device_ref: string | null;
  model: string | null; firmware: string | null; ticket: string | null; note: string | null; received_at: number; source: string;
  status: string; problems: string; crash_ids: number[];
}

interface CrashRow {
  id: number; version: number; dump_id: number; content_sha256: string; content_index: number; member: string; group_hash: string;
  process: string | null; signal: string | null; at: number; crashed_at: number | null; received_at: number;
  device_id: number | null; device_ref: string | null; model: string | null; firmware: string | null; partial: number; report: string;
}

interface SymbolFileRow {
  id: number; sha256: string; name: string; module: string; build_id: string | null; firmware: string | null; image_base: number;
  symbol_table: string; functions: number; size: number; received_at: number;
}

type StoredCrash = CrashRecord & { readonly version: number };
type GroupAggregate = Pick<GroupSummary, 'hash' | 'count' | 'devices' | 'firstSeen' | 'lastSeen' | 'lastCrashId'>;

/** What each breakdown of a group counts by (SQL over `crashes`), null keys shown as UNKNOWN. */
const BREAKDOWNS = {
  byFirmware: 'firmware',
  byModel: 'model',
  byDevice: 'coalesce(device_ref, toString(device_id))',
  perDay: `toString(intDiv(at, ${DAY_MS}))`,
} as const;

export class ClickHouseCrashes implements CrashStore, SymbolStore {
  private readonly ids: IdSource;
  private readonly serial = new Serial();

  constructor(readonly ctx: FleetContext) {
    this.ids = ctx.ids();
  }

  static tables(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS crash_dumps (
        id Int64, version UInt64, sha256 String, name String, size Int64, kind String,
        device_id Nullable(Int64), device_ref Nullable(String), model Nullable(String), firmware Nullable(String), ticket Nullable(String), note Nullable(String),
        received_at Int64, source String, status String, problems String, crash_ids Array(Int64)
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS crashes (
        id Int64, version UInt64, dump_id Int64, content_sha256 String, content_index Int32, member String, group_hash String,
        process Nullable(String), signal Nullable(String), at Int64, crashed_at Nullable(Int64), received_at Int64,
        device_id Nullable(Int64), device_ref Nullable(String), model Nullable(String), firmware Nullable(String), partial UInt8, report String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS crash_groups (
        hash String, version UInt64, signature String, title String, confidence String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY hash`,
      `CREATE TABLE IF NOT EXISTS crash_modules (module String, crash_id Int64) ENGINE = ReplacingMergeTree ORDER BY (module, crash_id)`,
      `CREATE TABLE IF NOT EXISTS crash_symbol_files (
        id Int64, sha256 String, name String, module String, build_id Nullable(String), firmware Nullable(String), image_base Int64,
        symbol_table String, functions Int64, size Int64, received_at Int64
      ) ENGINE = MergeTree ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS crash_symbols (file_id Int64, address Int64, size Int64, name String) ENGINE = MergeTree ORDER BY (file_id, address)`,
    ];
  }

  async findDump(sha256: string): Promise<DumpRecord | null> {
    const [d] = await this.dumps(`sha256 = ${str(sha256)}`);
    return d ?? null;
  }

  async getDump(id: number): Promise<DumpRecord | null> {
    const [d] = await this.dumps(`id = ${int(id)}`);
    return d ?? null;
  }

  addDump(dump: NewDump, crashes: ReadonlyArray<{ crash: Omit<NewCrash, 'dumpId'>; group: GroupInfo; modules: readonly string[] }>): Promise<{ dumpId: number; crashIds: number[]; created: number[] }> {
    return this.serial.run(async () => {
      const dumpId = this.ids.next();
      const existing = await this.existingCrashes(crashes.map((c) => c.crash));
      const crashIds: number[] = [];
      const created: StoredCrash[] = [];
      const groups = new Map<string, GroupInfo>();
      const modules: Array<[string, number]> = [];
      for (const { crash, group, modules: names } of crashes) {
        const key = contentKey(crash);
        const found = existing.get(key);
        if (found !== undefined) {
          crashIds.push(found);
          continue;
        }
        const id = this.ids.next();
        existing.set(key, id);
        groups.set(group.hash, group);
        created.push({ ...crash, id, dumpId, version: this.ids.next() });
        for (const m of new Set(names)) modules.push([m, id]);
        crashIds.push(id);
      }
      await this.writeGroups([...groups.values()]);
      await Promise.all([this.writeCrashes(created), this.ctx.db.insertRows('crash_modules', ['module', 'crash_id'], modules)]);
      await this.writeDumps([{ ...dump, id: dumpId, crashIds, version: this.ids.next() }]);
      return { dumpId, crashIds, created: created.map((c) => c.id) };
    });
  }

  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ deletedDumps: number; deletedCrashes: number; unreferencedFiles: string[] }> {
    return this.serial.run(async () => {
      const cutoff = nowMs - maxAgeMs;
      const old = await this.dumps(`received_at < ${int(cutoff)}`);
      if (old.length === 0) return { deletedDumps: 0, deletedCrashes: 0, unreferencedFiles: [] };
      const oldIds = old.map((d) => d.id);
      const held = await this.crashes(`dump_id IN ${list(oldIds)}`);
      const candidates = new Set([...old.flatMap((d) => d.crashIds), ...held.map((c) => c.id)]);
      // A crash a newer upload also lists stays, and points at the newest such upload from now on.
      const keeperOf = new Map<number, number>();
      for (const d of await this.dumps(`received_at >= ${int(cutoff)} AND notEmpty(crash_ids)`)) {
        for (const id of d.crashIds) if (candidates.has(id) && d.id > (keeperOf.get(id) ?? -1)) keeperOf.set(id, d.id);
      }
      const oldSet = new Set(oldIds);
      const moved = held.filter((c) => keeperOf.has(c.id) && oldSet.has(c.dumpId))
        .map((c) => ({ ...c, dumpId: keeperOf.get(c.id)!, version: Math.max(this.ids.next(), c.version + 1) }));
      await this.writeCrashes(moved);
      const doomed = [...candidates].filter((id) => !keeperOf.has(id));
      const [counted] = await this.ctx.db.rows<{ n: number }>(`SELECT count() AS n FROM crashes FINAL WHERE id IN ${list(doomed)}`);
      const deletedCrashes = counted!.n;
      await deleteByIds(this.ctx.db, { crash_modules: 'crash_id', crashes: 'id' }, doomed);
      await deleteByIds(this.ctx.db, { crash_dumps: 'id' }, oldIds);
      const shas = [...new Set(old.map((d) => d.sha256))];
      const used = new Set((await this.ctx.db.rows<{ sha256: string }>(`SELECT sha256 FROM crash_dumps FINAL WHERE sha256 IN ${list(shas)}
        UNION ALL SELECT sha256 FROM crash_symbol_files WHERE sha256 IN ${list(shas)}`)).map((r) => r.sha256));
      return { deletedDumps: old.length, deletedCrashes, unreferencedFiles: shas.filter((s) => !used.has(s)) };
    });
  }

  async getCrash(id: number): Promise<CrashRecord | null> {
    const [c] = await this.crashes(`id = ${int(id)}`);
    return c ? publicCrash(c) : null;
  }

  async crashIdsWithModule(module: string): Promise<number[]> {
    const rows = await this.ctx.db.rows<{ crash_id: number }>(`SELECT crash_id FROM crash_modules FINAL WHERE module = ${str(module)} ORDER BY crash_id`);
    return rows.map((r) => r.crash_id);
  }

  regroupCrash(id: number, group: GroupInfo, report: string): Promise<void> {
    return this.serial.run(async () => {
      const [c] = await this.crashes(`id = ${int(id)}`);
      if (!c) return;
      await this.writeGroups([group]);
      await this.writeCrashes([{ ...c, groupHash: group.hash, report, version: Math.max(this.ids.next(), c.version + 1) }]);
    });
  }

  async getGroup(hash: string): Promise<GroupInfo | null> {
    const [g] = await this.ctx.db.rows<GroupInfo>(`SELECT hash, signature, title, confidence FROM crash_groups FINAL
      WHERE hash = ${str(hash)} AND hash IN (SELECT group_hash FROM crashes FINAL WHERE group_hash = ${str(hash)})`);
    return g ?? null;
  }

  async listGroups(filter: CrashFilter, limit: number): Promise<GroupSummary[]> {
    const where = filterCondition(filter);
    const groups = await this.ctx.db.rows<GroupAggregate>(`SELECT group_hash AS hash, count() AS count,
        ifNull(uniqExact(coalesce(toString(device_id), device_ref)), 0) AS devices, min(at) AS firstSeen, max(at) AS lastSeen, max(id) AS lastCrashId
      FROM crashes FINAL WHERE ${where} GROUP BY group_hash ORDER BY lastSeen DESC, hash LIMIT ${int(limit)}`);
    if (groups.length === 0) return [];
    const hashes = groups.map((g) => g.hash);
    const [infos, lasts, breakdowns] = await Promise.all([
      this.ctx.db.rows<GroupInfo>(`SELECT hash, signature, title, confidence FROM crash_groups FINAL WHERE hash IN ${list(hashes)}`),
      this.crashes(`id IN ${list(groups.map((g) => g.lastCrashId))}`),
      this.breakdowns(where, hashes),
    ]);
    const info = new Map(infos.map((g) => [g.hash, g]));
    const last = new Map(lasts.map((c) => [c.id, c]));
    return groups.flatMap((g) => {
      const i = info.get(g.hash);
      if (!i) return [];
      const c = last.get(g.lastCrashId);
      const b = breakdowns.get(g.hash)!;
      return [{ ...i, ...g, process: c?.process ?? null, signal: c?.signal ?? null, ...b }];
    });
  }

  async listCrashes(filter: CrashFilter, limit: number): Promise<CrashRecord[]> {
    return (await this.crashes(filterCondition(filter), `ORDER BY at DESC, id DESC LIMIT ${int(limit)}`)).map(publicCrash);
  }

  // Symbols ---------------------------------------------------------------------------------------

  async findSymbolFile(sha256: string): Promise<SymbolFileRecord | null> {
    const [f] = await this.symbolFiles(`sha256 = ${str(sha256)}`, 1);
    return f ?? null;
  }

  listSymbolFiles(): Promise<SymbolFileRecord[]> {
    return this.symbolFiles('1', 1000);
  }

  async addSymbolFile(file: Omit<SymbolFileRecord, 'id'>, functions: ReadonlyArray<{ address: number; size: number; name: string }>): Promise<number> {
    const id = this.ids.next();
    await this.ctx.db.insertRows('crash_symbols', ['file_id', 'address', 'size', 'name'], functions.map((f) => [id, f.address, f.size, f.name]));
    await this.ctx.db.insertRows('crash_symbol_files', SYMBOL_FILE_COLUMNS, [[
      id, file.sha256, file.name, file.module, file.buildId, file.firmware, file.imageBase, file.symbolTable, file.functions, file.size, file.receivedAt,
    ]]);
    return id;
  }

  async findSymbolsFor(module: string, buildId: string | null, firmware: string | null): Promise<SymbolFileRecord | null> {
    const [f] = buildId
      ? await this.symbolFiles(`build_id = ${str(buildId.toLowerCase())}`, 1)
      : await this.symbolFiles(`module = ${str(module)} AND (firmware IS NULL${firmware === null ? '' : ` OR firmware = ${str(firmware)}`})`, 1, 'isNull(firmware), ');
    return f ?? null;
  }

  /** For each ELF address, the function that starts at or below it and covers it (size 0: up to the next symbol). */
  async functionsAt(fileId: number, addresses: readonly number[]): Promise<Array<{ address: number; size: number; name: string } | null>> {
    const below = new Map<number, { address: number; size: number; name: string }>();
    const next = new Map<number, number>();
    const unique = [...new Set(addresses)];
    for (let i = 0; i < unique.length; i += ADDRESSES_PER_QUERY) {
      const part = unique.slice(i, i + ADDRESSES_PER_QUERY);
      const lookup = (a: number, pick: string) => `SELECT toInt64(${int(a)}) AS q, address, size, name FROM crash_symbols WHERE file_id = ${int(fileId)} AND ${pick}`;
      const [belowRows, nextRows] = await Promise.all([
        this.ctx.db.rows<{ q: number; address: number; size: number; name: string }>(part.map((a) => `SELECT * FROM (${lookup(a, `address <= ${int(a)} ORDER BY address DESC, size DESC LIMIT 1`)})`).join(' UNION ALL ')),
        this.ctx.db.rows<{ q: number; address: number }>(part.map((a) => `SELECT * FROM (${lookup(a, `address > ${int(a)} ORDER BY address LIMIT 1`)})`).join(' UNION ALL ')),
      ]);
      for (const r of belowRows) below.set(r.q, { address: r.address, size: r.size, name: r.name });
      for (const r of nextRows) next.set(r.q, r.address);
    }
    return addresses.map((a) => {
      const row = below.get(a);
      if (!row) return null;
      if (row.size > 0) return a < row.address + row.size ? row : null;
      const after = next.get(a);
      return after === undefined || a < after ? row : null;
    });
  }

  // Rows ------------------------------------------------------------------------------------------

  private async existingCrashes(crashes: ReadonlyArray<Pick<NewCrash, 'contentSha256' | 'contentIndex'>>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const shas = [...new Set(crashes.map((c) => c.contentSha256))];
    if (shas.length === 0) return out;
    const rows = await this.ctx.db.rows<{ id: number; content_sha256: string; content_index: number }>(`SELECT id, content_sha256, content_index
      FROM crashes FINAL WHERE content_sha256 IN ${list(shas)} ORDER BY id`);
    for (const r of rows) {
      const key = contentKey({ contentSha256: r.content_sha256, contentIndex: r.content_index });
      if (!out.has(key)) out.set(key, r.id);
    }
    return out;
  }

  /** Each breakdown of each listed group, over the filtered crashes. */
  private async breakdowns(where: string, hashes: readonly string[]): Promise<Map<string, Pick<GroupSummary, keyof typeof BREAKDOWNS>>> {
    const scoped = `WHERE ${where} AND group_hash IN ${list(hashes)}`;
    const out = new Map(hashes.map((h) => [h, { byFirmware: {}, byModel: {}, byDevice: {}, perDay: {} } as Record<keyof typeof BREAKDOWNS, Record<string, number>>]));
    await Promise.all(Object.entries(BREAKDOWNS).map(async ([name, expression]) => {
      const rows = await this.ctx.db.rows<{ hash: string; k: string | null; n: number }>(`SELECT group_hash AS hash, ${expression} AS k, count() AS n
        FROM crashes FINAL ${scoped} GROUP BY hash, k ORDER BY hash, n DESC, k LIMIT ${BREAKDOWN_LIMIT} BY hash`);
      for (const r of rows) {
        const key = r.k === null ? UNKNOWN : name === 'perDay' ? new Date(Number(r.k) * DAY_MS).toISOString().slice(0, 10) : r.k;
        out.get(r.hash)![name as keyof typeof BREAKDOWNS][key] = r.n;
      }
    }));
    return out;
  }

  private async dumps(where: string): Promise<Array<DumpRecord & { version: number }>> {
    const rows = await this.ctx.db.rows<DumpRow>(`SELECT ${DUMP_COLUMNS.join(', ')} FROM crash_dumps FINAL WHERE ${where} ORDER BY id`);
    return rows.map((r) => ({
      id: r.id, version: r.version, sha256: r.sha256, name: r.name, size: r.size, kind: r.kind, deviceId: r.device_id, deviceRef: r.device_ref,
      model: r.model, firmware: r.firmware, ticket: r.ticket, note: r.note, receivedAt: r.received_at, source: r.source,
      status: r.status as DumpRecord['status'], problems: JSON.parse(r.problems) as DumpRecord['problems'], crashIds: r.crash_ids,
    }));
  }

  private async crashes(where: string, tail = 'ORDER BY id'): Promise<StoredCrash[]> {
    const rows = await this.ctx.db.rows<CrashRow>(`SELECT ${CRASH_COLUMNS.join(', ')} FROM crashes FINAL WHERE ${where} ${tail}`);
    return rows.map((r) => ({
      id: r.id, version: r.version, dumpId: r.dump_id, contentSha256: r.content_sha256, contentIndex: r.content_index, member: r.member,
      groupHash: r.group_hash, process: r.process, signal: r.signal, at: r.at, crashedAt: r.crashed_at, receivedAt: r.received_at,
      deviceId: r.device_id, deviceRef: r.device_ref, model: r.model, firmware: r.firmware, partial: r.partial === 1, report: r.report,
    }));
  }

  private async symbolFiles(where: string, limit: number, orderFirst = ''): Promise<SymbolFileRecord[]> {
    const rows = await this.ctx.db.rows<SymbolFileRow>(`SELECT ${SYMBOL_FILE_COLUMNS.join(', ')} FROM crash_symbol_files WHERE ${where}
      ORDER BY ${orderFirst}id DESC LIMIT ${int(limit)}`);
    return rows.map((r) => ({
      id: r.id, sha256: r.sha256, name: r.name, module: r.module, buildId: r.build_id, firmware: r.firmware, imageBase: r.image_base,
      symbolTable: r.symbol_table, functions: r.functions, size: r.size, receivedAt: r.received_at,
    }));
  }

  private writeDumps(dumps: ReadonlyArray<DumpRecord & { version: number }>): Promise<void> {
    return this.ctx.db.insertRows('crash_dumps', DUMP_COLUMNS, dumps.map((d) => [
      d.id, d.version, d.sha256, d.name, d.size, d.kind, d.deviceId, d.deviceRef, d.model, d.firmware, d.ticket, d.note, d.receivedAt, d.source,
      d.status, JSON.stringify(d.problems), d.crashIds,
    ]));
  }

  private writeCrashes(crashes: readonly StoredCrash[]): Promise<void> {
    return this.ctx.db.insertRows('crashes', CRASH_COLUMNS, crashes.map((c) => [
      c.id, c.version, c.dumpId, c.contentSha256, c.contentIndex, c.member, c.groupHash, c.process, c.signal, c.at, c.crashedAt, c.receivedAt,
      c.deviceId, c.deviceRef, c.model, c.firmware, c.partial, c.report,
    ]));
  }

  private writeGroups(groups: readonly GroupInfo[]): Promise<void> {
    return this.ctx.db.insertRows('crash_groups', GROUP_COLUMNS, groups.map((g) => [g.hash, this.ids.next(), g.signature, g.title, g.confidence]));
  }
}

function contentKey(c: Pick<NewCrash, 'contentSha256' | 'contentIndex'>): string {
  return `${c.contentSha256}/${c.contentIndex}`;
}

function publicCrash(c: StoredCrash): CrashRecord {
  const { version: _version, ...crash } = c;
  return crash;
}

/** The filter as one SQL condition (`1` when it filters nothing). */
function filterCondition(f: CrashFilter): string {
  const parts: string[] = [];
  if (f.deviceId !== undefined) parts.push(`device_id = ${int(f.deviceId)}`);
  if (f.deviceRef !== undefined) parts.push(`device_ref = ${str(f.deviceRef)}`);
  if (f.firmware !== undefined) parts.push(`firmware = ${str(f.firmware)}`);
  if (f.process !== undefined) parts.push(`process = ${str(f.process)}`);
  if (f.fromMs !== undefined) parts.push(`at >= ${int(f.fromMs)}`);
  if (f.toMs !== undefined) parts.push(`at <= ${int(f.toMs)}`);
  if (f.groupHash !== undefined) parts.push(`group_hash = ${str(f.groupHash)}`);
  return parts.length ? parts.join(' AND ') : '1';
}
