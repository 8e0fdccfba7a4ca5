/**
 * `/api/alerts/*`: rules, episodes, silences, deliveries and a pass on demand (docs/api.md). Reads
 * are a viewer's and writes an admin's by the policy defaults; every rule and silence change is
 * written to the audit trail by name as well as by the gate's method and path.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { checkRule, checkRuleChange, ruleJson } from '../alerts/rules.js';
import type { AlertEngine } from '../alerts/engine.js';
import { clientAddress, principalOf } from '../auth/access-control.js';
import type { AuthService } from '../auth/service.js';
import type { AlertDelivery, AlertStore } from '../store/alert-store.js';
import { BadRequest, optionalInt, optionalList } from './params.js';

const JSON_BODY_LIMIT = '64kb';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_KEY_CHARS = 512;
const MAX_COMMENT_CHARS = 500;
const MAX_SILENCE_MS = 90 * 86_400_000;
const STATES: ReadonlySet<string> = new Set(['firing', 'resolved']);

export interface AlertsApiDeps {
  readonly store: AlertStore;
  readonly engine: AlertEngine;
  readonly auth: AuthService;
  readonly now: () => number;
}

function idParam(req: Request): number {
  const id = Number(req.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new BadRequest(`id: "${String(req.params.id)}" is not a rule or silence id`);
  return id;
}

/** ms since the epoch or ISO 8601, from a JSON body. */
function bodyTime(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(n)) throw new BadRequest(`${field}: give a time (ms since the epoch, or ISO 8601 such as 2026-12-07T06:00:00Z)`);
  return n;
}

function deliveryJson(d: AlertDelivery) {
  const { payload: _payload, ...rest } = d;
  return rest;
}

export function alertsRouter(d: AlertsApiDeps): Router {
  const r = Router();
  const json = express.json({ limit: JSON_BODY_LIMIT });
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
  const audit = (req: Request, res: Response, action: string, target: string, detail = '') => {
    d.auth.audit({ actor: principalOf(res)?.name ?? '-', action, target, address: clientAddress(req), ok: true, detail });
  };
  const stored = async (id: number) => {
    const rule = (await d.store.listRules()).find((x) => x.id === id);
    if (!rule) throw new NotFound(`no alert rule ${id}`);
    if (rule.source === 'config') throw new Conflict(`rule ${id} "${rule.name}" is defined in the config file: change it there`);
    return rule;
  };

  r.get('/alerts/rules', wrap(async (_req, res) => {
    res.json({ rules: (await d.store.listRules()).map(ruleJson) });
  }));

  r.post('/alerts/rules', json, wrap(async (req, res) => {
    const rule = await d.store.createRule(checkRule(req.body, 'api', principalOf(res)?.name ?? null), d.now());
    audit(req, res, 'alert-rule.create', `rule ${rule.id} ${rule.name}`, rule.kind);
    await d.engine.rulesChanged();
    res.status(201).json({ rule: ruleJson(rule) });
  }));

  r.patch('/alerts/rules/:id', json, wrap(async (req, res) => {
    const old = await stored(idParam(req));
    const rule = await d.store.updateRule(old.id, checkRuleChange(old, req.body), d.now());
    if (!rule) throw new NotFound(`no alert rule ${old.id}`);
    audit(req, res, 'alert-rule.update', `rule ${rule.id} ${rule.name}`, Object.keys(req.body as object).join(','));
    res.json({ rule: ruleJson(rule) });
  }));

  r.delete('/alerts/rules/:id', wrap(async (req, res) => {
    const rule = await stored(idParam(req));
    await d.store.deleteRule(rule.id);
    audit(req, res, 'alert-rule.delete', `rule ${rule.id} ${rule.name}`);
    await d.engine.rulesChanged();
    res.status(204).end();
  }));

  r.get('/alerts/episodes', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const state = optionalList(q, 'state', STATES)?.[0] as 'firing' | 'resolved' | undefined;
    const ruleId = optionalInt(q, 'ruleId', 1, Number.MAX_SAFE_INTEGER);
    const limit = optionalInt(q, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    res.json({ episodes: await d.store.listEpisodes({ limit, ...(state ? { state } : {}), ...(ruleId !== undefined ? { ruleId } : {}) }) });
  }));

  r.get('/alerts/silences', wrap(async (_req, res) => {
    res.json({ silences: await d.store.listSilences() });
  }));

  r.post('/alerts/silences', json, wrap(async (req, res) => {
    const b: Record<string, unknown> = typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body as Record<string, unknown> : {};
    const now = d.now();
    const ruleId = b.ruleId === undefined || b.ruleId === null ? null : Number(b.ruleId);
    if (ruleId !== null && (!Number.isSafeInteger(ruleId) || !(await d.store.listRules()).some((x) => x.id === ruleId))) throw new BadRequest(`ruleId: there is no rule ${String(b.ruleId)}`);
    if (b.key !== undefined && b.key !== null && (typeof b.key !== 'string' || b.key.length > MAX_KEY_CHARS)) throw new BadRequest(`key: give an episode key such as "site=Madrid" (at most ${MAX_KEY_CHARS} characters)`);
    const startsAt = bodyTime(b.startsAt, 'startsAt') ?? now;
    const endsAt = bodyTime(b.endsAt, 'endsAt');
    if (endsAt === undefined) throw new BadRequest('endsAt: a silence needs an end');
    if (!(endsAt > startsAt) || endsAt <= now) throw new BadRequest('endsAt: must be after startsAt and in the future');
    if (endsAt - startsAt > MAX_SILENCE_MS) throw new BadRequest('endsAt: a silence lasts at most 90 days');
    if (b.comment !== undefined && (typeof b.comment !== 'string' || b.comment.length > MAX_COMMENT_CHARS)) throw new BadRequest(`comment: text of at most ${MAX_COMMENT_CHARS} characters`);
    const silence = await d.store.createSilence({
      ruleId, key: typeof b.key === 'string' && b.key !== '' ? b.key : null, startsAt, endsAt, comment: typeof b.comment === 'string' ? b.comment : '', createdBy: principalOf(res)?.name ?? null,
    });
    audit(req, res, 'alert-silence.create', `silence ${silence.id}`, `rule ${ruleId ?? 'any'}, key ${silence.key ?? 'any'}, until ${new Date(endsAt).toISOString()}`);
    res.status(201).json({ silence });
  }));

  r.delete('/alerts/silences/:id', wrap(async (req, res) => {
    const id = idParam(req);
    if (!await d.store.deleteSilence(id)) throw new NotFound(`no silence ${id}`);
    audit(req, res, 'alert-silence.delete', `silence ${id}`);
    res.status(204).end();
  }));

  r.get('/alerts/deliveries', wrap(async (req, res) => {
    const limit = optionalInt(req.query as Record<string, unknown>, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    res.json({ deliveries: (await d.store.listDeliveries({ limit })).map(deliveryJson) });
  }));

  r.post('/alerts/evaluate', wrap(async (_req, res) => {
    if (!d.engine.health().evaluates) throw new Conflict('this collector does not evaluate alerts: on a fleet store collector 0 does');
    res.json({ episodes: await d.engine.evaluate() });
  }));

  r.use('/alerts', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof NotFound) res.status(404).json({ error: err.message });
    else if (err instanceof Conflict) res.status(409).json({ error: err.message });
    else if (err instanceof SyntaxError && 'body' in err) res.status(400).json({ error: `the body is not JSON: ${err.message}` });
    else next(err);
  });
  return r;
}

class NotFound extends Error {}
class Conflict extends Error {}
