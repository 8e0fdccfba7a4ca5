/**
 * The crashes contract: uploads (the file itself lives on disk by content hash), the crashes
 * decoded from them and their groups (SymbolStore: symbols from uploaded binaries).
 */

export interface DumpRecord {
  readonly id: number;
  readonly sha256: string;
  readonly name: string;
  readonly size: number;
  readonly kind: string;
  readonly deviceId: number | null;
  readonly deviceRef: string | null;
  readonly model: string | null;
  readonly firmware: string | null;
  readonly ticket: string | null;
  readonly note: string | null;
  readonly receivedAt: number;
  readonly source: string;
  /** `decoded`: every crash read fully; `partial`: something cut short or refused; `rejected`: no crash found. */
  readonly status: 'decoded' | 'partial' | 'rejected';
  readonly problems: ReadonlyArray<{ member: string; reason: string }>;
  readonly crashIds: readonly number[];
}

export interface CrashRecord {
  readonly id: number;
  readonly dumpId: number;
  readonly contentSha256: string;
  readonly contentIndex: number;
  readonly member: string;
  readonly groupHash: string;
  readonly process: string | null;
  readonly signal: string | null;
  /** Crash time when the report says, else the receive time (ms since the epoch). */
  readonly at: number;
  readonly crashedAt: number | null;
  readonly receivedAt: number;
  readonly deviceId: number | null;
  readonly deviceRef: string | null;
  readonly model: string | null;
  readonly firmware: string | null;
  readonly partial: boolean;
  /** The decoded report as JSON text (see server/crashes/report.ts). */
  readonly report: string;
}

export interface GroupInfo {
  readonly hash: string;
  readonly signature: string;
  readonly title: string;
  readonly confidence: string;
}

export interface CrashFilter {
  readonly deviceId?: number;
  readonly deviceRef?: string;
  readonly firmware?: string;
  readonly process?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly groupHash?: string;
}

export interface GroupSummary extends GroupInfo {
  readonly count: number;
  readonly devices: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly lastCrashId: number;
  readonly process: string | null;
  readonly signal: string | null;
  readonly byFirmware: Record<string, number>;
  readonly byModel: Record<string, number>;
  readonly byDevice: Record<string, number>;
  /** Crashes per UTC day (`YYYY-MM-DD`). */
  readonly perDay: Record<string, number>;
}

export interface SymbolFileRecord {
  readonly id: number;
  readonly sha256: string;
  readonly name: string;
  readonly module: string;
  readonly buildId: string | null;
  readonly firmware: string | null;
  readonly imageBase: number;
  readonly symbolTable: string;
  readonly functions: number;
  readonly size: number;
  readonly receivedAt: number;
}

export type NewDump = Omit<DumpRecord, 'id' | 'crashIds'>;
export type NewCrash = Omit<CrashRecord, 'id'>;

export interface CrashStore {
  findDump(sha256: string): Promise<DumpRecord | null>;
  getDump(id: number): Promise<DumpRecord | null>;
  /**
   * Stores one upload and its crashes atomically. A crash already stored (same content SHA-256
   * and index) is not stored again: its existing id is returned and `created` says which are new.
   */
  addDump(dump: NewDump, crashes: ReadonlyArray<{ crash: Omit<NewCrash, 'dumpId'>; group: GroupInfo; modules: readonly string[] }>): Promise<{ dumpId: number; crashIds: number[]; created: number[] }>;
  /**
   * Forgets uploads received before `nowMs - maxAgeMs` and the crashes no remaining upload lists
   * (a crash a newer upload holds moves to it). Returns the SHA-256 of every stored file nothing
   * refers to any more (dumps or symbol files): the caller deletes those files.
   */
  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ deletedDumps: number; deletedCrashes: number; unreferencedFiles: string[] }>;
  getCrash(id: number): Promise<CrashRecord | null>;
  crashIdsWithModule(module: string): Promise<number[]>;
  /** After symbols arrived: the crash's new report and group; groups left empty are dropped. */
  regroupCrash(id: number, group: GroupInfo, report: string): Promise<void>;
  getGroup(hash: string): Promise<GroupInfo | null>;
  /** Groups with counts over the filtered crashes, most recently seen first. */
  listGroups(filter: CrashFilter, limit: number): Promise<GroupSummary[]>;
  /** Newest first. */
  listCrashes(filter: CrashFilter, limit: number): Promise<CrashRecord[]>;
}

export interface SymbolStore {
  findSymbolFile(sha256: string): Promise<SymbolFileRecord | null>;
  /** Newest first, at most 1000. */
  listSymbolFiles(): Promise<SymbolFileRecord[]>;
  addSymbolFile(file: Omit<SymbolFileRecord, 'id'>, functions: ReadonlyArray<{ address: number; size: number; name: string }>): Promise<number>;
  /**
   * The symbol file for a module: by build id when the crash knows one (an exact match, or
   * nothing), else by module name with the same firmware (or one uploaded without a firmware).
   */
  findSymbolsFor(module: string, buildId: string | null, firmware: string | null): Promise<SymbolFileRecord | null>;
  /** For each ELF address, the function that covers it, or null. */
  functionsAt(fileId: number, addresses: readonly number[]): Promise<Array<{ address: number; size: number; name: string } | null>>;
}
