/**
 * The storage interface. Sources and routes speak only this (logs here, the other domains in
 * their own *-store.ts); SQL stays in the backend folder, so a second backend for large fleets
 * can slot in behind the same promises.
 */
import type { PhoneModule } from '../../parsers/phone-module.js';
import type { SdElement, SyslogFormat } from '../../parsers/syslog.js';
import type { AlertStore } from './alert-store.js';
import type { AuthStore } from './auth-store.js';
import type { IdSource } from './ids.js';
import type { CallStore } from './call-store.js';
import type { CrashStore, SymbolStore } from './crash-store.js';
import type { ImportStore } from './import-store.js';
import type { LogColumns } from './log-columns.js';
import type { RecordingStore } from './recording-store.js';

export type LogSource = 'syslog-udp' | 'syslog-tcp' | 'syslog-tls';

/** One syslog message as the pipeline hands it to the store. Times are ms since the epoch. */
export interface LogRecord {
  readonly id: number;
  readonly receivedAt: number;
  readonly deviceId: number;
  readonly source: LogSource;
  readonly format: SyslogFormat;
  readonly facility: number | null;
  readonly severity: number | null;
  readonly deviceTime: string | null;
  readonly deviceTs: number | null;
  readonly hostname: string | null;
  readonly app: string | null;
  readonly pid: string | null;
  readonly msgid: string | null;
  readonly module: PhoneModule;
  readonly seq: number | null;
  readonly sid: string | null;
  readonly message: string;
  readonly raw: Uint8Array;
  /** Where `message` begins in `raw` when it is exactly raw's ASCII bytes from there on (see SyslogMessage). */
  readonly messageAt?: number | null;
  readonly structuredData: readonly SdElement[] | null;
  readonly warnings: readonly string[];
  /** The imported capture the line came from; null for live traffic. */
  readonly importId: number | null;
}

export interface DeviceRecord {
  readonly id: number;
  readonly address: string;
  readonly mac: string | null;
  readonly model: string | null;
  readonly firmware: string | null;
  readonly hostname: string | null;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly logs: number;
  readonly seqGaps: number;
  readonly seqOutOfOrder: number;
  readonly modules: Readonly<Record<string, number>>;
}

export interface LogQuery {
  readonly deviceId?: number;
  readonly modules?: readonly string[];
  /** Lines with severity ≤ this (0 emerg … 7 debug); lines without severity always pass. */
  readonly maxSeverity?: number;
  readonly fromMs?: number;
  readonly toMs?: number;
  /** FTS5 query over the message text. */
  readonly text?: string;
  /** Only lines older than this id (the cursor of the previous page). */
  readonly beforeId?: number;
  /** Only lines newer than this id, oldest first (for catching up). */
  readonly afterId?: number;
  /** Only lines of this imported capture. */
  readonly importId?: number;
  readonly limit: number;
}

/** A stored line as read back: the record without its raw bytes decoded. */
export type StoredLog = Omit<LogRecord, 'raw'> & { readonly raw: Uint8Array };

export interface StoreStats {
  readonly backend: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly logs: number;
  /** Stored lines the search index has not reached yet (searches still find them). */
  readonly searchIndexLag: number;
}

export interface RetentionPolicy {
  readonly maxAgeMs: number;
  readonly maxSizeBytes: number;
}

export interface RetentionResult {
  readonly deletedLogs: number;
  readonly sizeBytes: number;
  /** True when this call stopped at its time slice with lines still to delete: call again soon. */
  readonly more: boolean;
}

/** The logs contract: syslog lines and the devices that sent them. */
/** One write of lines (as columns, see log-columns.ts) and the devices they changed. */
export interface LogWrite {
  readonly logs: LogColumns;
  readonly devices: readonly DeviceRecord[];
  /**
   * Lines queued behind this batch in full batches: the store is behind the traffic, and may put
   * its own background work (search indexing) off while any are.
   */
  readonly backlog?: number;
}

export interface LogStore {
  /**
   * The devices as this collector counts them, to go on counting after a restart (the embedded
   * store: every device; a fleet store: this collector's own counts).
   */
  loadDevices(): Promise<DeviceRecord[]>;
  /** Every collector's devices with their counts summed: what the fleet knows. */
  fleetDevices(): Promise<DeviceRecord[]>;
  /** Writes one batch (lines as columns, see log-columns.ts) in one transaction; resolves once it is durable (committed to the WAL). */
  write(batch: LogWrite): Promise<void>;
  queryLogs(query: LogQuery): Promise<StoredLog[]>;
  getLog(id: number): Promise<StoredLog | null>;
  /** Removes every line of one imported capture; returns how many went. */
  deleteImportedLogs(importId: number): Promise<number>;
  enforceRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult>;
  stats(): Promise<StoreStats>;
}

/** How the pipeline numbers new rows before they are written (see ids.ts). */
export interface RowIds {
  readonly log: IdSource;
  /** Recorded calls and their streams from live traffic. */
  readonly recordedCall: IdSource;
  readonly recordedStream: IdSource;
  /** Recorded calls and streams of one imported capture. */
  forImport(importId: number): { readonly call: IdSource; readonly stream: IdSource };
  /** The id a device first seen at this address gets. */
  newDeviceId(address: string): number;
}

/** One backend: the logs contract itself, each other domain's contract as a member. */
export interface Store extends LogStore {
  /** True when other collectors may write to the same store (their devices, calls and logs appear too). */
  readonly shared: boolean;
  /** Resolves once; the numbering continues after what is stored. */
  rowIds(): Promise<RowIds>;
  readonly calls: CallStore;
  readonly recordings: RecordingStore;
  readonly crashes: CrashStore;
  readonly symbols: SymbolStore;
  readonly imports: ImportStore;
  readonly auth: AuthStore;
  readonly alerts: AlertStore;
  close(): Promise<void>;
}

/** Thrown for a bad query (e.g. FTS syntax): the API turns it into a 400, not a 500. */
export class QueryError extends Error {}
