/**
 * Users, API tokens and the audit trail. Passwords are stored only as scrypt hashes and tokens only
 * as SHA-256 digests (a token is 32 random bytes, so a fast digest suffices; a password is not).
 */
import type { Database as Db } from 'better-sqlite3';
import type { Role } from '../../auth/policy.js';
import type { AuditEntry, AuditQuery, TokenRow, UserChange, UserRow } from '../auth-store.js';
import type { Schema } from './migrations.js';

export const AUTH_SCHEMA: Schema = {
  name: 'auth',
  migrations: [
    `
    CREATE TABLE auth_users (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE auth_tokens (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER,
      revoked_at INTEGER
    );
    CREATE TABLE auth_audit (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      address TEXT NOT NULL,
      ok INTEGER NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE INDEX auth_audit_at ON auth_audit(at);
    `,
    // 2: disabled users, last login, token expiry; the audit page filters by actor and action.
    `
    ALTER TABLE auth_users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE auth_users ADD COLUMN last_login_at INTEGER;
    ALTER TABLE auth_tokens ADD COLUMN expires_at INTEGER;
    CREATE INDEX auth_audit_actor ON auth_audit(actor, id);
    CREATE INDEX auth_audit_action ON auth_audit(action, id);
    `,
    // 3: settings an admin makes on the page (the sites table).
    `
    CREATE TABLE admin_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
    `,
  ],
};


/** The audit trail is trimmed to this many entries, oldest first. */
const AUDIT_MAX_ENTRIES = 200_000;

function userRow(r: Record<string, unknown>): UserRow {
  return {
    id: r.id as number, name: r.name as string, role: r.role as Role, passwordHash: r.password_hash as string, createdAt: r.created_at as number,
    updatedAt: r.updated_at as number, disabled: r.disabled === 1, lastLoginAt: (r.last_login_at as number | null) ?? null,
  };
}

function tokenRow(r: Record<string, unknown>): TokenRow {
  return {
    id: r.id as number, name: r.name as string, role: r.role as Role, createdBy: r.created_by as string,
    createdAt: r.created_at as number, lastUsedAt: (r.last_used_at as number | null) ?? null, revokedAt: (r.revoked_at as number | null) ?? null,
    expiresAt: (r.expires_at as number | null) ?? null,
  };
}

export class AuthTables {
  constructor(private readonly db: Db) {}

  countUsers(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM auth_users').get() as { n: number }).n;
  }

  listUsers(): UserRow[] {
    return (this.db.prepare('SELECT * FROM auth_users ORDER BY name').all() as Array<Record<string, unknown>>).map(userRow);
  }

  userByName(name: string): UserRow | null {
    const r = this.db.prepare('SELECT * FROM auth_users WHERE name = ?').get(name) as Record<string, unknown> | undefined;
    return r ? userRow(r) : null;
  }

  /** Returns the new user's id, or null when the name is taken. */
  createUser(name: string, role: Role, passwordHash: string, nowMs: number): number | null {
    const r = this.db.prepare('INSERT INTO auth_users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING')
      .run(name, role, passwordHash, nowMs, nowMs);
    return r.changes === 0 ? null : Number(r.lastInsertRowid);
  }

  updateUser(name: string, change: UserChange, nowMs: number): boolean {
    const u = this.userByName(name);
    if (!u) return false;
    this.db.prepare('UPDATE auth_users SET role = ?, password_hash = ?, disabled = ?, updated_at = ? WHERE id = ?')
      .run(change.role ?? u.role, change.passwordHash ?? u.passwordHash, (change.disabled ?? u.disabled) ? 1 : 0, nowMs, u.id);
    return true;
  }

  recordLogin(name: string, nowMs: number): boolean {
    return this.db.prepare('UPDATE auth_users SET last_login_at = ? WHERE name = ?').run(nowMs, name).changes > 0;
  }

  deleteUser(name: string): boolean {
    return this.db.prepare('DELETE FROM auth_users WHERE name = ?').run(name).changes > 0;
  }

  createToken(name: string, role: Role, digest: string, createdBy: string, nowMs: number, expiresAt: number | null): number {
    return Number(this.db.prepare('INSERT INTO auth_tokens (name, role, digest, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, role, digest, createdBy, nowMs, expiresAt).lastInsertRowid);
  }

  listTokens(): TokenRow[] {
    return (this.db.prepare('SELECT * FROM auth_tokens ORDER BY id').all() as Array<Record<string, unknown>>).map(tokenRow);
  }

  /** A live (not revoked, not expired) token by its digest; marks it used. */
  useToken(digest: string, nowMs: number): TokenRow | null {
    const r = this.db.prepare('SELECT * FROM auth_tokens WHERE digest = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)')
      .get(digest, nowMs) as Record<string, unknown> | undefined;
    if (!r) return null;
    this.db.prepare('UPDATE auth_tokens SET last_used_at = ? WHERE id = ?').run(nowMs, r.id);
    return tokenRow(r);
  }

  revokeToken(id: number, nowMs: number): boolean {
    return this.db.prepare('UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(nowMs, id).changes > 0;
  }

  getSetting(key: string): string | null {
    const r = this.db.prepare('SELECT value FROM admin_settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value ?? null;
  }

  putSetting(key: string, value: string | null, nowMs: number): void {
    if (value === null) this.db.prepare('DELETE FROM admin_settings WHERE key = ?').run(key);
    else {
      this.db.prepare('INSERT INTO admin_settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
        .run(key, value, nowMs);
    }
  }

  appendAudit(entries: readonly AuditEntry[]): void {
    const insert = this.db.prepare('INSERT INTO auth_audit (at, actor, action, target, address, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const e of entries) insert.run(e.at, e.actor, e.action, e.target, e.address, e.ok ? 1 : 0, e.detail);
      const max = this.db.prepare('SELECT MAX(id) AS id FROM auth_audit').get() as { id: number | null };
      if (max.id !== null && max.id > AUDIT_MAX_ENTRIES) this.db.prepare('DELETE FROM auth_audit WHERE id <= ?').run(max.id - AUDIT_MAX_ENTRIES);
    })();
  }

  queryAudit(q: AuditQuery): Array<AuditEntry & { id: number }> {
    const where = ['id < ?'];
    const args: Array<string | number> = [q.beforeId ?? Number.MAX_SAFE_INTEGER];
    const filter = (sql: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(sql);
      args.push(value);
    };
    filter('action = ?', q.action);
    filter('actor = ?', q.actor);
    filter('at >= ?', q.sinceMs);
    filter('at < ?', q.untilMs);
    const rows = this.db.prepare(`SELECT * FROM auth_audit WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...args, q.limit) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number, at: r.at as number, actor: r.actor as string, action: r.action as string, target: r.target as string,
      address: r.address as string, ok: r.ok === 1, detail: r.detail as string,
    }));
  }
}
