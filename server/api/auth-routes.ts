/**
 * Login, logout, who am I, password change; users, API tokens and the audit trail for admins.
 * Access is decided by the gate (auth/access-control.ts) from auth/policy.ts, not here.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { clientAddress, principalOf } from '../auth/access-control.js';
import { hashPassword, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS } from '../auth/passwords.js';
import { isRole, type Role } from '../auth/policy.js';
import { CSRF_COOKIE, readCookie, SESSION_COOKIE, type AuthService } from '../auth/service.js';
import { BadRequest, optionalInt, optionalString } from './params.js';

const JSON_BODY_LIMIT = '16kb';
const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MAX_AUDIT_PAGE = 1000;

export function authRouter(auth: AuthService): Router {
  const r = Router();
  const json = express.json({ limit: JSON_BODY_LIMIT });
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  r.get('/auth/session', (req, res) => {
    const p = principalOf(res);
    res.json({
      mode: auth.mode,
      user: p ? { name: p.name, role: p.role } : null,
      // The page reads its CSRF token here too (the cookie is the same value), e.g. after a reload.
      csrf: p?.session?.csrf ?? readCookie(req.headers.cookie, CSRF_COOKIE),
    });
  });

  r.post('/auth/login', json, wrap(async (req, res) => {
    const body = bodyOf(req);
    const name = requiredText(body, 'user', 64);
    const password = requiredText(body, 'password', MAX_PASSWORD_CHARS);
    const result = await auth.login(name, password, clientAddress(req));
    if (!result.ok) {
      if (result.retryAfterS !== undefined) res.setHeader('Retry-After', String(result.retryAfterS));
      res.status(result.status).json({ error: result.error });
      return;
    }
    res.setHeader('Set-Cookie', auth.sessionCookies(result.session));
    res.json({ user: { name: result.session.user, role: result.session.role }, csrf: result.session.csrf });
  }));

  r.post('/auth/logout', (req, res) => {
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (sid) auth.sessions.delete(sid);
    res.setHeader('Set-Cookie', auth.clearedCookies());
    res.json({ ok: true });
  });

  r.post('/auth/password', json, wrap(async (req, res) => {
    const p = principalOf(res);
    if (!p || p.via !== 'session') throw new BadRequest('only a logged-in user can change their password');
    const body = bodyOf(req);
    const current = requiredText(body, 'current', MAX_PASSWORD_CHARS);
    const next = newPassword(body);
    const check = await auth.login(p.name, current, clientAddress(req));
    if (!check.ok) {
      res.status(check.status).json({ error: check.error });
      return;
    }
    auth.sessions.delete(check.session.id);
    await auth.tables.updateUser(p.name, { passwordHash: await hashPassword(next) }, Date.now());
    auth.audit({ actor: p.name, action: 'password', target: p.name, address: clientAddress(req), ok: true, detail: '' });
    res.json({ ok: true });
  }));

  r.get('/users', wrap(async (_req, res) => {
    const users = await auth.tables.listUsers();
    res.json({ users: users.map((u) => ({ name: u.name, role: u.role, createdAt: new Date(u.createdAt).toISOString(), updatedAt: new Date(u.updatedAt).toISOString() })) });
  }));

  r.post('/users', json, wrap(async (req, res) => {
    const body = bodyOf(req);
    const name = requiredText(body, 'name', 64);
    if (!USER_NAME.test(name)) throw new BadRequest('name: letters, digits and . _ @ - only, at most 64');
    const role = roleOf(body);
    const id = await auth.tables.createUser(name, role, await hashPassword(newPassword(body)), Date.now());
    if (id === null) {
      res.status(409).json({ error: `user ${name} exists` });
      return;
    }
    res.status(201).json({ name, role });
  }));

  r.patch('/users/:name', json, wrap(async (req, res) => {
    const name = String(req.params.name ?? '');
    const body = bodyOf(req);
    const role = body.role === undefined ? undefined : roleOf(body);
    const passwordHash = body.password === undefined ? undefined : await hashPassword(newPassword(body));
    if (!(await auth.tables.updateUser(name, { ...(role ? { role } : {}), ...(passwordHash ? { passwordHash } : {}) }, Date.now()))) {
      res.status(404).json({ error: `no user ${name}` });
      return;
    }
    if (role) auth.sessions.updateUser(name, role);
    res.json({ ok: true });
  }));

  r.delete('/users/:name', wrap(async (req, res) => {
    const name = String(req.params.name ?? '');
    if (principalOf(res)?.name === name) throw new BadRequest('you cannot delete yourself');
    if (!(await auth.tables.deleteUser(name))) {
      res.status(404).json({ error: `no user ${name}` });
      return;
    }
    auth.sessions.updateUser(name, null);
    res.json({ ok: true });
  }));

  r.get('/tokens', wrap(async (_req, res) => {
    const tokens = await auth.tables.listTokens();
    res.json({
      tokens: tokens.map((t) => ({
        id: t.id, name: t.name, role: t.role, createdBy: t.createdBy, createdAt: new Date(t.createdAt).toISOString(),
        lastUsedAt: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(), revoked: t.revokedAt !== null,
      })),
    });
  }));

  r.post('/tokens', json, wrap(async (req, res) => {
    const body = bodyOf(req);
    const name = requiredText(body, 'name', 64);
    const role = roleOf(body);
    const { id, token } = await auth.createToken(name, role, principalOf(res)?.name ?? '-');
    // The only time the secret is shown: it is stored as a digest.
    res.status(201).json({ id, name, role, token });
  }));

  r.delete('/tokens/:id', wrap(async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || !(await auth.tables.revokeToken(id, Date.now()))) {
      res.status(404).json({ error: `no live token ${req.params.id}` });
      return;
    }
    res.json({ ok: true });
  }));

  r.get('/audit', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const limit = optionalInt(q, 'limit', 1, MAX_AUDIT_PAGE) ?? 100;
    const before = optionalInt(q, 'cursor', 1, Number.MAX_SAFE_INTEGER);
    const action = optionalString(q, 'action', 32);
    const rows = await auth.tables.queryAudit({ limit, ...(before !== undefined ? { beforeId: before } : {}), ...(action ? { action } : {}) });
    res.json({
      entries: rows.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      nextCursor: rows.length === limit ? String(rows[rows.length - 1]!.id) : null,
    });
  }));

  return r;
}

function bodyOf(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new BadRequest('send a JSON object (Content-Type: application/json)');
  return b as Record<string, unknown>;
}

function requiredText(body: Record<string, unknown>, name: string, maxChars: number): string {
  const v = body[name];
  if (typeof v !== 'string' || v.length === 0) throw new BadRequest(`${name}: required, as text`);
  if (v.length > maxChars) throw new BadRequest(`${name}: longer than ${maxChars} characters`);
  return v;
}

function newPassword(body: Record<string, unknown>): string {
  const p = requiredText(body, 'password', MAX_PASSWORD_CHARS);
  if (p.length < MIN_PASSWORD_CHARS) throw new BadRequest(`password: at least ${MIN_PASSWORD_CHARS} characters`);
  return p;
}

function roleOf(body: Record<string, unknown>): Role {
  if (!isRole(body.role)) throw new BadRequest('role: one of viewer, analyst, admin');
  return body.role;
}
