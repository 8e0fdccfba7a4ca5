/** The imports contract: one row per imported capture (status, progress, summary, damage found). */

export type ImportStatus = 'queued' | 'reading' | 'done' | 'failed';

export interface ImportIssue {
  readonly offset: number | null;
  readonly message: string;
}

export interface ImportRow {
  readonly id: number;
  /** As the user named it: shown, never used as a path. */
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string | null;
  readonly status: ImportStatus;
  readonly progressBytes: number;
  readonly summary: unknown;
  readonly errors: readonly ImportIssue[];
  readonly createdMs: number;
  readonly finishedMs: number | null;
}

export interface ImportUpdate {
  readonly status?: ImportStatus;
  readonly progressBytes?: number;
  readonly sha256?: string;
  readonly summary?: unknown;
  readonly errors?: readonly ImportIssue[];
  readonly finishedMs?: number;
}

export interface ImportStore {
  create(fileName: string, size: number, createdMs: number): Promise<ImportRow>;
  /** Applies the given fields; null when there is no such import. */
  update(id: number, u: ImportUpdate): Promise<ImportRow | null>;
  get(id: number): Promise<ImportRow | null>;
  /** Newest first. */
  list(limit: number): Promise<ImportRow[]>;
  /** Imports a previous run left unfinished (the process stopped) are marked failed; returns how many. */
  failUnfinished(nowMs: number): Promise<number>;
  /** Forgets finished imports older than `maxAgeMs` (their rows only); one still reading is never touched. */
  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ deletedImports: number }>;
  /**
   * Removes the import's calls (with streams, segments, samples) and its row; its logs and
   * recordings go through LogStore.deleteImportedLogs and RecordingStore.deleteImport.
   */
  deleteImport(id: number): Promise<{ deletedCalls: number }>;
}
