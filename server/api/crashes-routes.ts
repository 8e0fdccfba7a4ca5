/**
 * Crash dumps over HTTP: uploads (raw body or multipart), symbol uploads, crash groups, single
 * crashes and the original files. Everything a client sends is checked here or in params.ts.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import { findDevice, type CrashService, type UploadMeta } from '../crashes/service.js';
import { spoolUpload, UploadError } from '../crashes/intake.js';
import type { CrashFilter, CrashRecord, DumpRecord, GroupSummary } from '../store/crash-store.js';
import { BadRequest, optionalInt, optionalString, optionalTime } from './params.js';

const DEFAULT_GROUPS = 100;
const MAX_GROUPS = 1000;
const CRASHES_PER_GROUP_PAGE = 200;
const GROUP_HASH = /^[0-9a-f]{16}$/;

export interface CrashRoutesDeps {
  readonly crashes: CrashService;
  readonly devices: DeviceRegistry;
  readonly maxUploadBytes: number;
}

export function crashesRouter(d: CrashRoutesDeps): Router {
  const r = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch((err: unknown) => {
      if (err instanceof UploadError) res.status(err.status).json({ error: err.message });
      else next(err);
    });
  };

  r.post('/dumps', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const upload = await spoolUpload(req, d.crashes.spoolDir, d.maxUploadBytes, optionalString(q, 'name', 255) ?? 'upload');
    if (upload.files.length === 0) throw new BadRequest('no file in the upload: send the file as the body, or as a multipart form field');
    const meta = uploadMeta(q, upload.fields);
    const results = [];
    for (const file of upload.files) results.push(await d.crashes.ingest(file, { ...meta, name: file.name }, 'http'));
    res.status(results.some((x) => !x.duplicate) ? 201 : 200).json({
      dumps: results,
      crashIds: [...new Set(results.flatMap((x) => x.crashIds))],
    });
  }));

  r.post('/symbols', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const upload = await spoolUpload(req, d.crashes.spoolDir, d.maxUploadBytes, optionalString(q, 'name', 255) ?? '');
    const meta = uploadMeta(q, upload.fields);
    const results = [];
    for (const file of upload.files) {
      const name = optionalText(upload.fields, 'module') ?? optionalString(q, 'module', 255) ?? file.name;
      if (!name) throw new BadRequest('name the module: ?name=libsipua.so (the file name the crash reports show)');
      results.push(await d.crashes.addSymbols(file, { ...meta, name }));
    }
    const failed = results.find((x) => 'error' in x);
    if (failed && 'error' in failed) {
      res.status(400).json({ error: failed.error });
      return;
    }
    res.status(201).json({ symbols: results });
  }));

  r.get('/symbols', wrap(async (_req, res) => {
    const files = await d.crashes.symbols.listSymbolFiles();
    res.json({ symbols: files.map((f) => ({ ...f, receivedAt: iso(f.receivedAt) })) });
  }));

  r.get('/crashes', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const groups = await d.crashes.tables.listGroups(crashFilter(q, d.devices), optionalInt(q, 'limit', 1, MAX_GROUPS) ?? DEFAULT_GROUPS);
    res.json({ groups: groups.map(groupJson) });
  }));

  r.get('/crashes/:group', wrap(async (req, res) => {
    const hash = groupParam(req.params.group);
    const q = req.query as Record<string, unknown>;
    const filter = { ...crashFilter(q, d.devices), groupHash: hash };
    const [summary] = await d.crashes.tables.listGroups(filter, 1);
    if (!summary) {
      res.status(404).json({ error: `no crash group ${hash}` });
      return;
    }
    const crashes = await d.crashes.tables.listCrashes(filter, CRASHES_PER_GROUP_PAGE);
    res.json({ group: groupJson(summary), crashes: crashes.map((c) => crashJson(c)) });
  }));

  r.get('/crashes/:group/:id', wrap(async (req, res) => {
    const hash = groupParam(req.params.group);
    const crash = await d.crashes.tables.getCrash(idParam(req.params.id));
    if (!crash || crash.groupHash !== hash) {
      res.status(404).json({ error: `no crash ${req.params.id} in group ${hash}` });
      return;
    }
    const [group, dump] = await Promise.all([d.crashes.tables.getGroup(hash), d.crashes.tables.getDump(crash.dumpId)]);
    res.json({ crash: crashJson(crash, true), group, dump: dump ? dumpJson(dump) : null });
  }));

  r.get('/dumps/:id', wrap(async (req, res) => {
    const dump = await d.crashes.tables.getDump(idParam(req.params.id));
    if (!dump) {
      res.status(404).json({ error: `no dump ${req.params.id}` });
      return;
    }
    // Includes crashes first stored from an earlier upload of the same file inside another archive.
    const crashes = await Promise.all(dump.crashIds.map((id) => d.crashes.tables.getCrash(id)));
    res.json({ dump: dumpJson(dump), crashes: crashes.flatMap((c) => (c ? [crashJson(c, true)] : [])) });
  }));

  r.get('/dumps/:id/raw', wrap(async (req, res) => {
    const dump = await d.crashes.tables.getDump(idParam(req.params.id));
    if (!dump) {
      res.status(404).json({ error: `no dump ${req.params.id}` });
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.attachment(downloadName(dump));
    res.sendFile(d.crashes.filePath(dump.sha256), { headers: { 'Content-Type': 'application/octet-stream' } });
  }));

  return r;
}

function uploadMeta(q: Record<string, unknown>, fields: Readonly<Record<string, string>>): Omit<UploadMeta, 'name'> {
  const pick = (name: string, max: number) => optionalText(fields, name, max) ?? optionalString(q, name, max);
  const device = pick('device', 64);
  const firmware = pick('firmware', 64);
  const ticket = pick('ticket', 128);
  const note = pick('note', 4000);
  return { ...(device ? { device } : {}), ...(firmware ? { firmware } : {}), ...(ticket ? { ticket } : {}), ...(note ? { note } : {}) };
}

function optionalText(fields: Readonly<Record<string, string>>, name: string, max = 255): string | undefined {
  const v = fields[name]?.trim();
  if (!v) return undefined;
  if (v.length > max) throw new BadRequest(`${name}: longer than ${max} characters`);
  return v;
}

function crashFilter(q: Record<string, unknown>, devices: DeviceRegistry): CrashFilter {
  const device = optionalString(q, 'device', 64);
  const firmware = optionalString(q, 'firmware', 64);
  const process = optionalString(q, 'process', 255);
  const fromMs = optionalTime(q, 'from');
  const toMs = optionalTime(q, 'to');
  const known = device ? findDevice(devices, device) : undefined;
  return {
    ...(known ? { deviceId: known.id } : device ? { deviceRef: device } : {}),
    ...(firmware ? { firmware } : {}), ...(process ? { process } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}),
  };
}

function groupParam(param: string | string[] | undefined): string {
  const value = typeof param === 'string' ? param : undefined;
  if (!value || !GROUP_HASH.test(value)) throw new BadRequest(`group: "${value ?? ''}" is not a group id (16 hex digits)`);
  return value;
}

function idParam(param: string | string[] | undefined): number {
  const value = typeof param === 'string' ? param : undefined;
  const n = Number(value);
  if (!value || !/^\d{1,15}$/.test(value) || !Number.isSafeInteger(n)) throw new BadRequest(`id: "${value ?? ''}" is not a number`);
  return n;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function groupJson(g: GroupSummary) {
  return { ...g, firstSeen: iso(g.firstSeen), lastSeen: iso(g.lastSeen) };
}

function crashJson(c: CrashRecord, withReport = false) {
  const { report, ...rest } = c;
  return {
    ...rest, at: iso(c.at), crashedAt: iso(c.crashedAt), receivedAt: iso(c.receivedAt),
    ...(withReport ? { report: JSON.parse(report) as unknown } : {}),
  };
}

function dumpJson(dump: DumpRecord) {
  return { ...dump, receivedAt: iso(dump.receivedAt), rawUrl: `/api/dumps/${dump.id}/raw` };
}

/** A safe download name: the uploaded name's harmless characters, else the hash. */
function downloadName(dump: DumpRecord): string {
  const clean = dump.name.replace(/^.*[\\/]/, '').replace(/[^\w.+-]/g, '_').slice(0, 100);
  return clean && clean !== '.' && clean !== '..' ? clean : `dump-${dump.sha256.slice(0, 16)}`;
}
