/**
 * The one gate in front of every API route: who is asking (auth/service.ts), what the route needs
 * (auth/policy.ts), CSRF for cookie-authenticated writes, and the audit entry for downloads,
 * deletes and admin changes. Routes themselves never check roles.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { plainAddress } from '../sources/listener.js';
import { allows, requiredAccess, type Access } from './policy.js';
import { CSRF_HEADER, type AuthService, type Principal } from './service.js';

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The principal the gate found, for routes that need to know who acts (audit, "who am I"). */
export function principalOf(res: Response): Principal | null {
  return (res.locals.principal as Principal | undefined) ?? null;
}

export function clientAddress(req: Request): string {
  return plainAddress(req.socket?.remoteAddress ?? '');
}

/**
 * A route's own audit entry, named for what it did (user.disable, token.issue), in place of the
 * gate's generic one (`patch /api/users/x`); a request that fails before this keeps the generic one.
 */
export function auditAction(auth: AuthService, req: Request, res: Response, action: string, target: string, detail = ''): void {
  res.locals.audited = true;
  auth.audit({ actor: principalOf(res)?.name ?? '-', action, target, address: clientAddress(req), ok: true, detail });
}

export function accessControl(auth: AuthService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.originalUrl.split('?')[0] ?? '';
    const { access } = requiredAccess(req.method, path);
    auth.authenticate(req.headers).then((principal) => {
      res.locals.principal = principal;
      if (access === 'public') {
        next();
        return;
      }
      if (!principal) {
        res.status(401).json({ error: 'log in first (or send Authorization: Bearer <token>)' });
        return;
      }
      if (!allows(principal.role, access)) {
        res.status(403).json({ error: `${req.method} ${path} needs the ${access} role; ${principal.name} is ${principal.role}` });
        return;
      }
      const write = !READ_METHODS.has(req.method);
      if (write && principal.via === 'session') {
        const problem = csrfProblem(req, principal);
        if (problem) {
          auth.audit({ actor: principal.name, action: 'csrf-rejected', target: `${req.method} ${path}`, address: clientAddress(req), ok: false, detail: problem });
          res.status(403).json({ error: problem });
          return;
        }
      }
      if (isAudited(req.method, access)) {
        res.on('finish', () => {
          if (res.locals.audited === true) return;
          auth.audit({
            actor: principal.name, action: write ? req.method.toLowerCase() : 'download', target: path,
            address: clientAddress(req), ok: res.statusCode < 400, detail: String(res.statusCode),
          });
        });
      }
      next();
    }, next);
  };
}

/** Downloads of raw data (analyst reads), deletes, and every admin change. */
function isAudited(method: string, access: Access): boolean {
  if (READ_METHODS.has(method)) return access === 'analyst';
  return true;
}

/** Double submit: the header must carry this session's token; a cross-site origin is refused outright. */
function csrfProblem(req: Request, principal: Principal): string | null {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host = '';
    try { host = new URL(origin).host; } catch { /* an unparsable Origin is foreign */ }
    if (host !== req.headers.host) return `cross-origin request refused (Origin: ${origin})`;
  }
  const sent = req.headers[CSRF_HEADER];
  const expected = principal.session?.csrf ?? '';
  if (typeof sent !== 'string' || sent.length !== expected.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))) {
    return 'missing or wrong X-CSRF-Token header (reload the page)';
  }
  return null;
}
