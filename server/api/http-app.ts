/** The express app: the JSON API under /api and the built dashboard for everything else. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type Router } from 'express';
import { accessControl } from '../auth/access-control.js';
import type { AuthService } from '../auth/service.js';
import { WEB_ROOT } from '../package-root.js';
import { authRouter } from './auth-routes.js';
import { apiErrorHandler, apiNotFound, apiRouter, type ApiDeps } from './routes.js';

/**
 * `areaRouters` are the API routers of the other domains (recordings, calls, crashes, …), mounted under /api.
 * Every API request passes the access gate first (roles from auth/policy.ts, CSRF, audit).
 */
export function createHttpApp(deps: ApiDeps, areaRouters: readonly Router[], auth: AuthService): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    // Log text is hostile: no inline script may ever run, and nothing may frame the dashboard.
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  app.use('/api', (_req, res, next) => {
    // Phone data must not linger in shared or browser caches.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/api', accessControl(auth));
  app.use('/api', authRouter(auth));
  for (const r of areaRouters) app.use('/api', r);
  app.use('/api', apiRouter(deps));
  app.use('/api', apiNotFound);
  app.use('/api', apiErrorHandler);
  const metrics = deps.metrics;
  if (metrics) {
    // Prometheus scrapes with an API token (Authorization: Bearer), through the same gate as the API.
    app.get('/metrics', accessControl(auth), (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      metrics.text().then((text) => res.type(metrics.contentType).send(text), next);
    });
  }
  app.use(express.static(WEB_ROOT, { index: 'index.html', maxAge: '1h' }));
  const index = path.join(WEB_ROOT, 'index.html');
  // Deep links (/logs?…, /devices/7) are routes of the single page: serve it for any other GET.
  app.get(/^\/(?!api\/|socket\.io\/|metrics$).*/, (_req, res) => {
    if (existsSync(index)) res.sendFile(index);
    else res.status(503).type('text/plain').send('The dashboard is not built: run `npm run build` in the collector checkout.');
  });
  return app;
}
