/**
 * Settings an admin makes on the admin page instead of in the config: the sites table (subnet to
 * site). Admin-only by the policy table (`/api/settings*`).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { auditAction } from '../auth/access-control.js';
import type { AuthService } from '../auth/service.js';
import { parseSites } from '../fleet/sites.js';
import { SITES_SETTING, type SiteTable } from '../fleet/site-table.js';
import { BadRequest, bodyOf } from './params.js';

const MAX_TABLE_CHARS = 16_384;
/** The audit entry keeps the start of a long table. */
const AUDIT_DETAIL_CHARS = 500;

export interface SettingsDeps {
  readonly auth: AuthService;
  readonly sites: SiteTable;
  readonly now: () => number;
}

export function settingsRouter(d: SettingsDeps): Router {
  const r = Router();
  const json = express.json({ limit: '64kb' });
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
  const answer = () => ({ table: d.sites.text, source: d.sites.source, configTable: d.sites.configText, sites: d.sites.names });

  r.get('/settings/sites', (_req, res) => {
    res.json(answer());
  });

  r.put('/settings/sites', json, wrap(async (req, res) => {
    const table = bodyOf(req).table;
    if (typeof table !== 'string') throw new BadRequest('table: required, as text (NAME=CIDR[,CIDR…];…, empty for no sites)');
    if (table.length > MAX_TABLE_CHARS) throw new BadRequest(`table: longer than ${MAX_TABLE_CHARS} characters`);
    try {
      parseSites(table);
    } catch (err) {
      throw new BadRequest(`table: ${(err as Error).message}`);
    }
    await d.auth.tables.putSetting(SITES_SETTING, table, d.now());
    d.sites.use(table);
    auditAction(d.auth, req, res, 'settings.sites', 'sites', table.slice(0, AUDIT_DETAIL_CHARS));
    res.json(answer());
  }));

  r.delete('/settings/sites', wrap(async (req, res) => {
    await d.auth.tables.putSetting(SITES_SETTING, null, d.now());
    d.sites.use(null);
    auditAction(d.auth, req, res, 'settings.sites', 'sites', 'back to the config (--sites)');
    res.json(answer());
  }));

  return r;
}
