/**
 * Ticket bundles over HTTP: ask for one (`POST /api/bundles`, JSON), follow it (`GET
 * /api/bundles/:id`, and `bundles:update` live), download it (`GET /api/bundles/:id/file`).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { BundleJobs } from '../bundles/jobs.js';
import { DEFAULT_BUNDLE_MAX_BYTES, parseBundleRequest } from '../bundles/request.js';
import { BadRequest } from './params.js';

/** A bundle request is a few hundred bytes; anything near this is not one. */
const MAX_REQUEST_BYTES = 16 * 1024;

export interface BundlesApiDeps {
  readonly jobs: BundleJobs;
  /** The size limit when a request names none. */
  readonly defaultMaxBytes?: number;
}

export function bundlesRouter(d: BundlesApiDeps): Router {
  const r = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  r.post('/bundles', express.json({ limit: MAX_REQUEST_BYTES }), wrap(async (req, res) => {
    if (!req.is('application/json')) throw new BadRequest('send the bundle request as JSON (Content-Type: application/json)');
    const { scope, options } = parseBundleRequest(req.body, d.defaultMaxBytes ?? DEFAULT_BUNDLE_MAX_BYTES, (m) => new BadRequest(m));
    const status = d.jobs.submit(scope, options);
    res.status(202).location(`/api/bundles/${status.id}`).json({ id: status.id, status });
  }));

  r.get('/bundles/:id', wrap(async (req, res) => {
    const status = await d.jobs.get(String(req.params.id));
    if (!status) return void res.status(404).json({ error: `no bundle ${String(req.params.id).slice(0, 40)}` });
    res.json(status);
  }));

  r.get('/bundles/:id/file', wrap(async (req, res) => {
    const status = await d.jobs.get(String(req.params.id));
    if (!status) return void res.status(404).json({ error: `no bundle ${String(req.params.id).slice(0, 40)}` });
    if (status.state !== 'done') return void res.status(409).json({ error: `bundle ${status.id} is ${status.state}`, status });
    const file = d.jobs.filePath(status.id, status.options.format)!;
    res.attachment(status.fileName);
    res.sendFile(file, { headers: { 'Content-Type': status.options.format === 'zip' ? 'application/zip' : 'application/gzip' } }, (err) => {
      if (err && !res.headersSent) res.status(404).json({ error: `bundle ${status.id} is no longer on disk` });
    });
  }));

  return r;
}
