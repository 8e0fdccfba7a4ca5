/**
 * Login, logout, who am I, password change; users, API tokens and the audit trail for admins.
 * Access is decided by the gate (auth/access-control.ts) from auth/policy.ts, not here.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { auditAction, clientAddress, principalOf } from '../auth/access-control.js';
import { lastAdminProblem } from '../auth/last-admin.js';
import { generatePassword, hashPassword, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS } from '../auth/passwords.js';
import { isRole, type Role } from '../auth/policy.js';
import { CSRF_COOKIE, readCookie, SESSION_COOKIE, type AuthService } from '../auth/service.js';
import { BadRequest, bodyOf, optionalInt, optionalString, optionalTime } from './params.js';

const JSON_BODY_LIMIT = '16kb';
const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MAX_AUDIT_PAGE = 1000;
/** Tokens last at most this long when given an expiry: ten years is "until revoked" in all but name. */
const MAX_TOKEN_LIFETIME_MS = 10 * 365 * 86_400_000;

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
    auditAction(auth, req, res, 'password', p.name);
    res.json({ ok: true });
  }));

  r.get('/users', wrap(async (_req, res) => {
    const users = await auth.tables.listUsers();
    res.json({
      users: users.map((u) => ({
        name: u.name, role: u.role, disabled: u.disabled, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt), lastLoginAt: isoOrNull(u.lastLoginAt),
      })),
    });
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
    auditAction(auth, req, res, 'user.create', name, role);
    res.status(201).json({ name, role });
  }));

  r.patch('/users/:name', json, wrap(async (req, res) => {
    const name = String(req.params.name ?? '');
    const body = bodyOf(req);
    const role = body.role === undefined ? undefined : roleOf(body);
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') throw new BadRequest('disabled: true or false');
    const disabled = body.disabled as boolean | undefined;
    const password = body.password === undefined ? undefined : newPassword(body);
    if (disabled && principalOf(res)?.name === name) throw new BadRequest('you cannot disable yourself');
    const users = await auth.tables.listUsers();
    const user = users.find((u) => u.name === name);
    if (!user) {
      res.status(404).json({ error: `no user ${name}` });
      return;
    }
    const problem = lastAdminProblem(users, name, { role: role ?? user.role, disabled: disabled ?? user.disabled });
    if (problem) {
      res.status(409).json({ error: problem });
      return;
    }
    const passwordHash = password === undefined ? undefined : await hashPassword(password);
    await auth.tables.updateUser(name, { ...(role ? { role } : {}), ...(passwordHash ? { passwordHash } : {}), ...(disabled !== undefined ? { disabled } : {}) }, Date.now());
    // A disabled user, or one whose password changed, is logged out everywhere at once.
    if (disabled || passwordHash) auth.sessions.updateUser(name, null);
    else if (role) auth.sessions.updateUser(name, role);
    if (role && role !== user.role) auditAction(auth, req, res, 'user.role', name, `${user.role} -> ${role}`);
    if (disabled !== undefined && disabled !== user.disabled) auditAction(auth, req, res, disabled ? 'user.disable' : 'user.enable', name);
    if (passwordHash) auditAction(auth, req, res, 'user.reset-password', name, 'set');
    res.json({ ok: true });
  }));

  // An admin's reset: the password given, or a generated one shown in this answer only.
  r.post('/users/:name/reset-password', json, wrap(async (req, res) => {
    const name = String(req.params.name ?? '');
    const body = req.body === undefined ? {} : bodyOf(req);
    const given = body.password === undefined ? undefined : newPassword(body);
    const password = given ?? generatePassword();
    if (!(await auth.tables.updateUser(name, { passwordHash: await hashPassword(password) }, Date.now()))) {
      res.status(404).json({ error: `no user ${name}` });
      return;
    }
    auth.sessions.updateUser(name, null);
    auditAction(auth, req, res, 'user.reset-password', name, given === undefined ? 'generated' : 'set');
    res.json({ name, password: given === undefined ? password : null });
  }));

  r.delete('/users/:name', wrap(async (req, res) => {
    const name = String(req.params.name ?? '');
    if (principalOf(res)?.name === name) throw new BadRequest('you cannot delete yourself');
    const problem = lastAdminProblem(await auth.tables.listUsers(), name, null);
    if (problem) {
      res.status(409).json({ error: problem });
      return;
    }
    if (!(await auth.tables.deleteUser(name))) {
      res.status(404).json({ error: `no user ${name}` });
      return;
    }
    auth.sessions.updateUser(name, null);
    auditAction(auth, req, res, 'user.delete', name);
    res.json({ ok: true });
  }));

  r.get('/tokens', wrap(async (_req, res) => {
    const tokens = await auth.tables.listTokens();
    const now = Date.now();
    res.json({
      tokens: tokens.map((t) => ({
        id: t.id, name: t.name, role: t.role, createdBy: t.createdBy, createdAt: iso(t.createdAt),
        lastUsedAt: isoOrNull(t.lastUsedAt), expiresAt: isoOrNull(t.expiresAt),
        revoked: t.revokedAt !== null, expired: t.expiresAt !== null && t.expiresAt <= now,
      })),
    });
  }));

  r.post('/tokens', json, wrap(async (req, res) => {
    const body = bodyOf(req);
    const name = requiredText(body, 'name', 64);
    const role = roleOf(body);
    const expiresAt = expiryOf(body, Date.now());
    const { id, token } = await auth.createToken(name, role, principalOf(res)?.name ?? '-', expiresAt);
    auditAction(auth, req, res, 'token.issue', name, `${role}${expiresAt === null ? '' : `, expires ${iso(expiresAt)}`}`);
    // The only time the secret is shown: it is stored as a digest.
    res.status(201).json({ id, name, role, expiresAt: isoOrNull(expiresAt), token });
  }));

  r.delete('/tokens/:id', wrap(async (req, res) => {
    const id = Number(req.params.id);
    const token = Number.isInteger(id) ? (await auth.tables.listTokens()).find((t) => t.id === id) : undefined;
    if (!token || !(await auth.tables.revokeToken(id, Date.now()))) {
      res.status(404).json({ error: `no live token ${req.params.id}` });
      return;
    }
    auditAction(auth, req, res, 'token.revoke', token.name, `id ${id}`);
    res.json({ ok: true });
  }));

  r.get('/audit', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const limit = optionalInt(q, 'limit', 1, MAX_AUDIT_PAGE) ?? 100;
    const beforeId = optionalInt(q, 'cursor', 1, Number.MAX_SAFE_INTEGER);
    const action = optionalString(q, 'action', 32);
    const actor = optionalString(q, 'actor', 80);
    const sinceMs = optionalTime(q, 'since');
    const untilMs = optionalTime(q, 'until');
    const rows = await auth.tables.queryAudit({ limit, beforeId, action, actor, sinceMs, untilMs });
    res.json({
      entries: rows.map((e) => ({ ...e, at: iso(e.at) })),
      nextCursor: rows.length === limit ? String(rows[rows.length - 1]!.id) : null,
    });
  }));

  return r;
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

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** `expiresAt`: absent or null for a token that lasts until revoked, else a future ISO 8601 time or ms. */
function expiryOf(body: Record<string, unknown>, nowMs: number): number | null {
  const v = body.expiresAt;
  if (v === undefined || v === null || v === '') return null;
  const ms = optionalTime({ expiresAt: typeof v === 'number' ? String(v) : v }, 'expiresAt');
  if (ms === undefined) return null;
  if (ms <= nowMs) throw new BadRequest(`expiresAt: ${iso(ms)} has passed; give a time in the future`);
  if (ms > nowMs + MAX_TOKEN_LIFETIME_MS) throw new BadRequest('expiresAt: at most ten years ahead (leave it out for a token that lasts until revoked)');
  return ms;
}
