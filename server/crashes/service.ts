/**
 * The crash intake pipeline behind HTTP uploads and the drop folder: keep the original by content
 * hash, unwrap it, decode every file inside, name frames from uploaded symbols, group by the v1
 * signature, store, and tell the live hub. Uploads are handled one at a time, so two copies of the
 * same file arriving together still become one dump.
 */
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { moduleBasename } from '../../parsers/crash-signature.js';
import type { ElfSymbols } from '../../parsers/elf-symbols.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import type { CrashStore, SymbolStore, DumpRecord, GroupInfo, SymbolFileRecord } from '../store/crash-store.js';
import type { DeviceRecord, Store } from '../store/types.js';
import type { Counters } from '../counters.js';
import { decodeLeaf } from './decode-file.js';
import { groupTitle, reportSignature, type CrashFrame, type CrashReport } from './report.js';
import { sniffFile, unwrap, type UnwrapLimits, type UnwrapProblem } from './unwrap.js';

export const CRASH_COUNTER_SOURCE = 'crash-dumps';

export interface UploadMeta {
  /** File name as uploaded: display only, never a path. */
  readonly name: string;
  readonly device?: string;
  readonly firmware?: string;
  readonly ticket?: string;
  readonly note?: string;
}

/** A file already written to the data directory's temp folder, with its hash computed on the way. */
export interface SpooledFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface IngestResult {
  readonly dumpId: number;
  readonly sha256: string;
  /** True when this exact file was uploaded before: nothing new was stored. */
  readonly duplicate: boolean;
  readonly status: DumpRecord['status'];
  readonly crashIds: readonly number[];
  readonly newCrashIds: readonly number[];
  readonly groups: readonly string[];
  readonly symbolFiles: readonly number[];
  readonly problems: readonly UnwrapProblem[];
}

export interface CrashServiceOptions {
  readonly dataDir: string;
  readonly store: Store;
  readonly devices: DeviceRegistry;
  readonly counters: Counters;
  readonly limits: UnwrapLimits;
  readonly now: () => number;
  /** Called after every change, for the live hub's `crashes:update`. */
  readonly onUpdate?: (update: { dumpId?: number; crashIds: readonly number[]; groups: readonly string[] }) => void;
}

export class CrashService {
  readonly tables: CrashStore;
  readonly symbols: SymbolStore;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: CrashServiceOptions) {
    this.tables = o.store.crashes;
    this.symbols = o.store.symbols;
  }

  /** Where uploads are spooled; inside the data directory so the final rename never crosses devices. */
  get spoolDir(): string {
    return path.join(this.o.dataDir, 'dumps', 'tmp');
  }

  /** `<dataDir>/dumps/<first 2 hex>/<sha256>`: built from the hash only, never from a name. */
  filePath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(this.o.dataDir, 'dumps', sha256.slice(0, 2), sha256);
  }

  /**
   * Deletes uploads older than `maxAgeMs`, the crashes only they held, and the files nothing refers
   * to any more. Queued behind ingests, so an upload being stored never loses its file midway.
   */
  enforceRetention(maxAgeMs: number): Promise<{ deletedDumps: number; deletedCrashes: number; deletedFiles: number }> {
    const run = this.queue.then(async () => {
      const r = await this.tables.enforceRetention(maxAgeMs, this.o.now());
      for (const sha of r.unreferencedFiles) await rm(this.filePath(sha), { force: true });
      return { deletedDumps: r.deletedDumps, deletedCrashes: r.deletedCrashes, deletedFiles: r.unreferencedFiles.length };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  ingest(file: SpooledFile, meta: UploadMeta, source: 'http' | 'drop-folder'): Promise<IngestResult> {
    const run = this.queue.then(() => this.ingestNow(file, meta, source));
    this.queue = run.catch(() => undefined);
    return run;
  }

  addSymbols(file: SpooledFile, meta: UploadMeta): Promise<{ symbolFile: SymbolFileRecord; resymbolized: number[] } | { error: string }> {
    const run = this.queue.then(async () => {
      const existing = await this.symbols.findSymbolFile(file.sha256);
      if (existing) {
        await rm(file.path, { force: true });
        return { symbolFile: existing, resymbolized: [] };
      }
      const result = decodeLeaf({ path: file.path, size: file.size, kind: await sniffFile(file.path), member: meta.name });
      if (result.kind !== 'symbols') {
        await rm(file.path, { force: true });
        return { error: `not an unstripped ELF executable or shared library${result.kind === 'rejected' ? `: ${result.reason}` : ''}` };
      }
      return this.storeSymbols(file, meta, result.symbols);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ingestNow(file: SpooledFile, meta: UploadMeta, source: 'http' | 'drop-folder'): Promise<IngestResult> {
    const counters = this.o.counters.source(CRASH_COUNTER_SOURCE);
    counters.received++;
    counters.bytes += file.size;
    const previous = await this.tables.findDump(file.sha256);
    if (previous) {
      await rm(file.path, { force: true });
      const crashes = await Promise.all(previous.crashIds.map((id) => this.tables.getCrash(id)));
      return {
        dumpId: previous.id, sha256: previous.sha256, duplicate: true, status: previous.status, crashIds: previous.crashIds, newCrashIds: [],
        groups: [...new Set(crashes.map((c) => c?.groupHash).filter((g): g is string => !!g))], symbolFiles: [], problems: previous.problems,
      };
    }
    const stored = this.filePath(file.sha256);
    await mkdir(path.dirname(stored), { recursive: true });
    await rename(file.path, stored);

    const device = meta.device ? findDevice(this.o.devices, meta.device) : undefined;
    const firmware = meta.firmware || device?.firmware || null;
    const model = device?.model ?? null;
    const receivedAt = this.o.now();
    await mkdir(this.spoolDir, { recursive: true });
    const workDir = await mkdtemp(path.join(this.spoolDir, 'unwrap-'));
    const problems: UnwrapProblem[] = [];
    const crashes: Parameters<CrashStore['addDump']>[1][number][] = [];
    const symbolFiles: number[] = [];
    let kind = 'unknown';
    try {
      const unwrapped = await unwrap({ path: stored, size: file.size, sha256: file.sha256, name: meta.name }, workDir, this.o.limits);
      problems.push(...unwrapped.problems);
      if (unwrapped.limitHit) problems.push({ member: meta.name, reason: unwrapped.limitHit });
      kind = unwrapped.files.length === 1 && unwrapped.files[0]!.path === stored ? unwrapped.files[0]!.kind : 'archive';
      for (const leaf of unwrapped.files) {
        const result = decodeLeaf(leaf);
        if (result.kind === 'rejected') {
          problems.push({ member: leaf.member, reason: result.reason });
        } else if (result.kind === 'symbols') {
          const copy = leaf.path === stored ? null : leaf;
          if (copy) {
            const added = await this.storeSymbols({ path: copy.path, size: copy.size, sha256: copy.sha256 }, { name: moduleBasename(leaf.member.split(' › ').pop() ?? leaf.member), ...(firmware ? { firmware } : {}) }, result.symbols);
            symbolFiles.push(added.symbolFile.id);
          } else {
            problems.push({ member: leaf.member, reason: 'an executable or library, not a crash: upload it to /api/symbols to name frames' });
          }
        } else {
          for (const [index, raw] of result.reports.entries()) {
            const report = await this.symbolize(raw, firmware);
            const signature = reportSignature(report, firmware ?? undefined);
            const crashedAt = report.crashedAt !== undefined ? Date.parse(report.crashedAt) : null;
            crashes.push({
              crash: {
                contentSha256: leaf.sha256, contentIndex: index, member: leaf.member, groupHash: signature.hash,
                process: report.process.name ? moduleBasename(report.process.name.split(' ')[0]!) : null,
                signal: report.signal ? (report.signal.codeName ? `${report.signal.name}/${report.signal.codeName}` : report.signal.name) : null,
                at: crashedAt ?? receivedAt, crashedAt, receivedAt, deviceId: device?.id ?? null, deviceRef: device?.address ?? meta.device ?? null,
                model, firmware, partial: report.partial, report: JSON.stringify(report),
              },
              group: { hash: signature.hash, signature: signature.text, title: groupTitle(signature.text), confidence: signature.confidence },
              modules: modulesOf(report),
            });
          }
        }
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    const status: DumpRecord['status'] = crashes.length === 0 ? 'rejected'
      : problems.length > 0 || crashes.some((c) => c.crash.partial) ? 'partial' : 'decoded';
    const added = await this.tables.addDump({
      sha256: file.sha256, name: meta.name.slice(0, 255), size: file.size, kind, deviceId: device?.id ?? null, deviceRef: device?.address ?? meta.device ?? null,
      model, firmware, ticket: meta.ticket ?? null, note: meta.note ?? null, receivedAt, source, status, problems,
    }, crashes);
    if (crashes.length === 0) counters.malformed++;
    else counters.parsed += crashes.length;
    counters.stored += added.created.length;
    const groups = [...new Set(crashes.map((c) => c.group.hash))];
    this.o.onUpdate?.({ dumpId: added.dumpId, crashIds: added.crashIds, groups });
    return { dumpId: added.dumpId, sha256: file.sha256, duplicate: false, status, crashIds: added.crashIds, newCrashIds: added.created, groups, symbolFiles, problems };
  }

  private async storeSymbols(file: SpooledFile, meta: UploadMeta, symbols: ElfSymbols): Promise<{ symbolFile: SymbolFileRecord; resymbolized: number[] }> {
    const existing = await this.symbols.findSymbolFile(file.sha256);
    if (existing) return { symbolFile: existing, resymbolized: [] };
    const stored = this.filePath(file.sha256);
    await mkdir(path.dirname(stored), { recursive: true });
    await rename(file.path, stored);
    const module = moduleBasename(meta.name);
    const record = {
      sha256: file.sha256, name: meta.name.slice(0, 255), module, buildId: symbols.buildId?.toLowerCase() ?? null, firmware: meta.firmware || null,
      imageBase: symbols.imageBase, symbolTable: symbols.table, functions: symbols.functions.length, size: (await stat(stored)).size, receivedAt: this.o.now(),
    };
    const id = await this.symbols.addSymbolFile(record, symbols.functions.map((f) => ({ address: f.address, size: f.size, name: f.name })));
    const resymbolized = await this.resymbolize(module);
    return { symbolFile: { id, ...record }, resymbolized };
  }

  /** Names the frames of past crashes of `module` with the symbols just uploaded; regroups them when the signature changes. */
  private async resymbolize(module: string): Promise<number[]> {
    const changed: number[] = [];
    const groups = new Set<string>();
    for (const id of await this.tables.crashIdsWithModule(module)) {
      const crash = await this.tables.getCrash(id);
      if (!crash) continue;
      const before = JSON.parse(crash.report) as CrashReport;
      const after = await this.symbolize(before, crash.firmware);
      const afterJson = JSON.stringify(after);
      if (afterJson === crash.report) continue;
      const signature = reportSignature(after, crash.firmware ?? undefined);
      const group: GroupInfo = { hash: signature.hash, signature: signature.text, title: groupTitle(signature.text), confidence: signature.confidence };
      await this.tables.regroupCrash(id, group, afterJson);
      changed.push(id);
      groups.add(crash.groupHash).add(group.hash);
    }
    if (changed.length > 0) this.o.onUpdate?.({ crashIds: changed, groups: [...groups] });
    return changed;
  }

  /** Frames without a name from the file get one from an uploaded symbol file of their module. */
  private async symbolize(report: CrashReport, firmware: string | null): Promise<CrashReport> {
    const files = new Map<string, SymbolFileRecord | null>();
    const threads = [];
    for (const thread of report.threads) {
      const frames: CrashFrame[] = [];
      for (const frame of thread.frames) {
        if (frame.module === undefined || frame.functionSource === 'report') {
          frames.push(frame);
          continue;
        }
        const module = moduleBasename(frame.module);
        const key = `${module}\0${frame.buildId ?? ''}`;
        if (!files.has(key)) files.set(key, await this.symbols.findSymbolsFor(module, frame.buildId ?? null, firmware));
        const symbols = files.get(key);
        const address = symbols ? elfAddress(frame, symbols.imageBase) : undefined;
        const found = symbols && address !== undefined ? (await this.symbols.functionsAt(symbols.id, [address]))[0] : null;
        frames.push(found
          ? { ...frame, function: found.name, functionOffset: address! - found.address + (callerFrame(frame) ? 1 : 0), functionSource: 'symbols' }
          : withoutSymbolName(frame));
      }
      threads.push({ ...thread, frames });
    }
    return { ...report, threads };
  }
}

function withoutSymbolName(frame: CrashFrame): CrashFrame {
  if (frame.functionSource !== 'symbols') return frame;
  const { function: _f, functionOffset: _o, functionSource: _s, ...rest } = frame;
  return rest;
}

/** Caller frames hold return addresses, which can be the first byte of the next function: look up one byte earlier. */
function callerFrame(frame: CrashFrame): boolean {
  return frame.index > 0 && frame.trust !== 'context';
}

function elfAddress(frame: CrashFrame, imageBase: number): number | undefined {
  const raw = frame.elfAddress !== undefined ? Number(BigInt(frame.elfAddress))
    : frame.offset !== undefined ? Number(BigInt(frame.offset)) + imageBase : undefined;
  if (raw === undefined || !Number.isSafeInteger(raw)) return undefined;
  return callerFrame(frame) ? raw - 1 : raw;
}

function modulesOf(report: CrashReport): string[] {
  const names = new Set<string>();
  for (const t of report.threads) for (const f of t.frames) if (f.module) names.add(moduleBasename(f.module));
  return [...names];
}

/** A device by id, address or MAC (any spelling), as people paste them. */
export function findDevice(devices: DeviceRegistry, ref: string): DeviceRecord | undefined {
  if (/^\d+$/.test(ref)) return devices.byId(Number(ref));
  const byAddress = devices.get(ref);
  if (byAddress) return byAddress;
  const mac = ref.toLowerCase().replace(/[^0-9a-f]/g, '');
  return mac.length === 12 ? devices.all().find((dev) => dev.mac?.replace(/:/g, '') === mac) : undefined;
}
