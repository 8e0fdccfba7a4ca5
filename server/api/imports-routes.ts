/**
 * Capture imports over HTTP. `POST /api/imports` (raw body or multipart, streamed to disk) answers
 * 202 with the import id once the upload is on disk; the import then runs in the background, one
 * at a time, with `imports:update` pushed live. `GET /api/imports`, `GET /api/imports/:id` (status,
 * progress, summary, links to its calls, devices and logs), `DELETE /api/imports/:id` (removes its
 * logs, calls and recordings).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { spoolUpload, UploadError } from '../crashes/intake.js';
import type { ImportPorts } from '../import/capture-import.js';
import { runImport, type ImportServices } from '../import/run-import.js';
import type { ImportRow } from '../store/import-store.js';
import { BadRequest, optionalInt, optionalString } from './params.js';

const MAX_LIST = 200;
const MAX_PORT = 65535;

export interface ImportRoutesDeps {
  /** Asked when an import starts (the collector builds its syslog ingest after its routes). */
  readonly services: () => ImportServices;
  readonly dataDir: string;
  readonly maxUploadBytes: number;
  readonly ports: ImportPorts;
  readonly inactivityMs: number;
  readonly broadcast: (event: string, data: unknown) => void;
}

export function importsRouter(d: ImportRoutesDeps): Router {
  const r = Router();
  const store = d.services().store;
  const imports = store.imports;
  const spoolDir = path.join(d.dataDir, 'imports');
  let queue: Promise<unknown> = imports.failUnfinished(Date.now());
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch((err: unknown) => {
      if (err instanceof UploadError) res.status(err.status).json({ error: err.message });
      else next(err);
    });
  };
  const publish = (row: ImportRow) => d.broadcast('imports:update', importJson(row));

  r.post('/imports', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const ports: ImportPorts = {
      syslog: optionalInt(q, 'syslogPort', 1, MAX_PORT) ?? d.ports.syslog,
      recording: optionalInt(q, 'recordingPort', 1, MAX_PORT) ?? d.ports.recording,
      sip: optionalInt(q, 'sipPort', 1, MAX_PORT) ?? d.ports.sip,
    };
    const upload = await spoolUpload(req, spoolDir, d.maxUploadBytes, optionalString(q, 'name', 255) ?? 'capture');
    if (upload.files.length === 0) throw new BadRequest('no file in the upload: send the capture as the body, or as a multipart form field');
    const rows: ImportRow[] = [];
    for (const file of upload.files) {
      const row = await imports.create(file.name.slice(0, 255), file.size, d.services().now());
      rows.push(row);
      publish(row);
      queue = queue.then(() => runImport(d.services(), row.id, file.path, { ports, inactivityMs: d.inactivityMs, onUpdate: publish }))
        .catch(() => undefined)
        .finally(() => rm(file.path, { force: true }));
    }
    res.status(202).json({ imports: rows.map(importJson), id: rows[0]!.id });
  }));

  r.get('/imports', wrap(async (req, res) => {
    const limit = optionalInt(req.query as Record<string, unknown>, 'limit', 1, MAX_LIST) ?? 50;
    res.json({ imports: (await imports.list(limit)).map(importJson) });
  }));

  r.get('/imports/:id', wrap(async (req, res) => {
    const row = await imports.get(idOf(req));
    if (!row) {
      res.status(404).json({ error: `no import ${req.params.id}` });
      return;
    }
    res.json(importJson(row));
  }));

  r.delete('/imports/:id', wrap(async (req, res) => {
    const id = idOf(req);
    const row = await imports.get(id);
    if (!row) {
      res.status(404).json({ error: `no import ${req.params.id}` });
      return;
    }
    if (row.status === 'queued' || row.status === 'reading') {
      res.status(409).json({ error: `import ${id} is still ${row.status}; delete it once it is done` });
      return;
    }
    const logs = await store.deleteImportedLogs(id);
    const recordings = await store.recordings.deleteImport(id);
    const calls = await imports.deleteImport(id);
    d.broadcast('imports:update', { id, deleted: true });
    res.json({ id, deleted: { logs, calls: calls.deletedCalls, recordedCalls: recordings.deletedCalls } });
  }));
  return r;
}

function idOf(req: Request): number {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id < 1) throw new BadRequest(`"${req.params.id}" is not an import id`);
  return id;
}

/** An import as the API shows it, with links to what it brought. */
export function importJson(row: ImportRow) {
  const summary = row.summary as { devices?: string[]; callIds?: number[] } | null;
  return {
    ...row,
    links: {
      calls: (summary?.callIds ?? []).map((id) => `/api/calls/${id}`),
      logs: `/api/logs?import=${row.id}`,
      devices: (summary?.devices ?? []).map((addr) => `/api/devices/${encodeURIComponent(addr)}`),
    },
  };
}
