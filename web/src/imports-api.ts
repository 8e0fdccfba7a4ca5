// Capture imports over HTTP: upload, list, delete; answers checked at the boundary.
export class ImportApiError extends Error {}

export interface ImportSummary {
  frames: number;
  protocols: Record<string, number>;
  /** Frames not decoded, per kind (absent in summaries stored before it existed). */
  undecoded?: Record<string, number>;
  devices: string[];
  calls: number;
  callIds: number[];
  recordedCalls: number;
  reports: number;
  logs: number;
  rtpStreams: number;
  malformed: number;
  firstMs: number | null;
  lastMs: number | null;
}

export interface ImportInfo {
  id: number;
  fileName: string;
  size: number;
  status: 'queued' | 'reading' | 'done' | 'failed';
  progressBytes: number;
  summary: ImportSummary | null;
  errors: Array<{ offset: number | null; message: string }>;
  createdMs: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function isImportInfo(v: unknown): v is ImportInfo {
  return isObject(v) && typeof v.id === 'number' && typeof v.fileName === 'string' && typeof v.size === 'number'
    && typeof v.status === 'string' && typeof v.progressBytes === 'number' && Array.isArray(v.errors)
    && (v.summary === null || (isObject(v.summary) && Array.isArray(v.summary.devices) && Array.isArray(v.summary.callIds)));
}

/** `imports:update` carries an import, or `{ id, deleted: true }` once one is removed. */
export function isImportDeleted(v: unknown): v is { id: number; deleted: true } {
  return isObject(v) && typeof v.id === 'number' && v.deleted === true;
}

async function answer(res: Response, what: string): Promise<unknown> {
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new ImportApiError(`${what} refused (${res.status})${isObject(body) && 'error' in body ? `: ${String(body.error)}` : ''}`);
  return body;
}

export async function fetchImports(): Promise<ImportInfo[]> {
  const body = await answer(await fetch('/api/imports', { headers: { accept: 'application/json' } }), 'listing imports');
  if (!isObject(body) || !Array.isArray(body.imports)) throw new ImportApiError('/api/imports answered with an unexpected shape');
  return body.imports.filter(isImportInfo);
}

/** Uploads the captures as one multipart form; the server answers once they are on disk. */
export async function uploadCaptures(files: readonly File[]): Promise<ImportInfo[]> {
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  const body = await answer(await fetch('/api/imports', { method: 'POST', body: form }), 'upload');
  if (!isObject(body) || !Array.isArray(body.imports)) throw new ImportApiError('/api/imports answered with an unexpected shape');
  return body.imports.filter(isImportInfo);
}

export async function deleteImport(id: number): Promise<void> {
  await answer(await fetch(`/api/imports/${id}`, { method: 'DELETE' }), 'delete');
}
