/**
 * Who is asking: browser sessions (cookie), API tokens (Bearer), or nobody. Also the login itself
 * (throttled), the first admin, token issue, and the audit trail every other part writes to.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuditEntry, AuthStore } from '../store/auth-store.js';
import type { Store } from '../store/types.js';
import { LoginThrottle } from './login-throttle.js';
import { generatePassword, hashPassword, MAX_PASSWORD_CHARS, verifyPassword } from './passwords.js';
import type { Role } from './policy.js';
import { Sessions, SESSION_MAX_AGE_MS, type Session } from './sessions.js';

/** `off` is the lab-laptop mode: no login, everyone is admin, and every page says so. */
export type AuthMode = 'on' | 'off';

export const SESSION_COOKIE = 'ipp_session';
/** Readable by the page's script, which echoes it in X-CSRF-Token (double submit). */
export const CSRF_COOKIE = 'ipp_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const TOKEN_PREFIX = 'ipp_';
const MAX_NAME_CHARS = 64;

export interface Principal {
  readonly name: string;
  readonly role: Role;
  /** `open`: auth is off, nobody was asked who they are. */
  readonly via: 'session' | 'token' | 'open';
  readonly session?: Session;
}

export type LoginResult =
  | { ok: true; session: Session }
  | { ok: false; status: 401 | 429; error: string; retryAfterS?: number };

export interface AuthServiceOptions {
  readonly mode: AuthMode;
  readonly store: Store;
  readonly now: () => number;
  /** The first admin's password (IPP_ADMIN_PASSWORD); generated and printed once when absent. */
  readonly adminPassword?: string | undefined;
  /** Where the generated password is printed: stderr, once. */
  readonly announce: (text: string) => void;
  /** Cookies get `Secure` when the dashboard is served over HTTPS. */
  readonly secureCookies: boolean;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class AuthService {
  readonly throttle: LoginThrottle;
  readonly sessions: Sessions;
  readonly tables: AuthStore;
  /** Audit entries that could not be written (store down or full), for /api/health. */
  auditLost = 0;

  private constructor(readonly o: AuthServiceOptions) {
    this.throttle = new LoginThrottle(o.now);
    this.sessions = new Sessions(o.now);
    this.tables = o.store.auth;
  }

  static async start(o: AuthServiceOptions): Promise<AuthService> {
    const auth = new AuthService(o);
    if (o.mode === 'on' && (await auth.tables.countUsers()) === 0) {
      const password = o.adminPassword || generatePassword();
      await auth.tables.createUser('admin', 'admin', await hashPassword(password), o.now());
      o.announce(o.adminPassword
        ? 'created user "admin" with the password from IPP_ADMIN_PASSWORD\n'
        : `created user "admin" with the one-time password ${password}\n  (shown only now: log in and change it, or set IPP_ADMIN_PASSWORD on first start)\n`);
    }
    return auth;
  }

  get mode(): AuthMode {
    return this.o.mode;
  }

  /** The caller of an HTTP request or socket handshake, or null when unknown. */
  async authenticate(headers: IncomingHttpHeaders, handshakeToken?: unknown): Promise<Principal | null> {
    if (this.o.mode === 'off') return { name: 'no-auth', role: 'admin', via: 'open' };
    const bearer = /^Bearer\s+(\S{1,200})$/i.exec(headers.authorization ?? '')?.[1]
      ?? (typeof handshakeToken === 'string' && handshakeToken.length <= 200 ? handshakeToken : undefined);
    if (bearer) {
      const token = await this.tables.useToken(tokenDigest(bearer), this.o.now());
      return token ? { name: `token:${token.name}`, role: token.role, via: 'token' } : null;
    }
    const sid = readCookie(headers.cookie, SESSION_COOKIE);
    const session = sid ? this.sessions.get(sid) : null;
    return session ? { name: session.user, role: session.role, via: 'session', session } : null;
  }

  async login(name: string, password: string, address: string): Promise<LoginResult> {
    const waitMs = this.throttle.waitMs(address, name);
    if (waitMs > 0) {
      const retryAfterS = Math.ceil(waitMs / 1000);
      this.audit({ actor: '-', action: 'login', target: name, address, ok: false, detail: `throttled for ${retryAfterS} s` });
      return { ok: false, status: 429, error: `too many failed logins: try again in ${retryAfterS} s`, retryAfterS };
    }
    const user = name.length <= MAX_NAME_CHARS ? await this.tables.userByName(name) : null;
    // Hash even for an unknown user, so the answer's timing does not tell which names exist.
    const ok = password.length <= MAX_PASSWORD_CHARS && (user ? await verifyPassword(password, user.passwordHash) : (await hashPassword(password), false));
    if (!user || !ok) {
      this.throttle.failed(address, name);
      this.audit({ actor: '-', action: 'login', target: name, address, ok: false, detail: user ? 'wrong password' : 'unknown user' });
      return { ok: false, status: 401, error: 'wrong user name or password' };
    }
    if (user.disabled) {
      // Said only to someone who knows the password: they should ask an admin, not retry.
      this.throttle.failed(address, name);
      this.audit({ actor: '-', action: 'login', target: name, address, ok: false, detail: 'user disabled' });
      return { ok: false, status: 401, error: `user ${user.name} is disabled: ask an admin to enable it` };
    }
    this.throttle.succeeded(address, name);
    await this.tables.recordLogin(user.name, this.o.now());
    this.audit({ actor: user.name, action: 'login', target: user.name, address, ok: true, detail: '' });
    return { ok: true, session: this.sessions.create(user.name, user.role) };
  }

  /** A new API token: the secret is returned once and only its digest is kept. */
  async createToken(name: string, role: Role, createdBy: string, expiresAt: number | null): Promise<{ id: number; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = await this.tables.createToken(name, role, tokenDigest(token), createdBy, this.o.now(), expiresAt);
    return { id, token };
  }

  /** Never blocks or fails the request it describes; a lost entry is counted. */
  audit(e: Omit<AuditEntry, 'at'>): void {
    this.tables.appendAudit([{ ...e, at: this.o.now() }]).catch(() => { this.auditLost++; });
  }

  sessionCookies(session: Session): string[] {
    const secure = this.o.secureCookies ? '; Secure' : '';
    const maxAge = Math.floor(SESSION_MAX_AGE_MS / 1000);
    return [
      `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`,
      `${CSRF_COOKIE}=${session.csrf}; Path=/; SameSite=Strict; Max-Age=${maxAge}${secure}`,
    ];
  }

  clearedCookies(): string[] {
    return [SESSION_COOKIE, CSRF_COOKIE].map((n) => `${n}=; Path=/; Max-Age=0; SameSite=Strict${this.o.secureCookies ? '; Secure' : ''}`);
  }
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
