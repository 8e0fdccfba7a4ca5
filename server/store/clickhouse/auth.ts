/**
 * Users, API tokens and the audit trail on the fleet store (the AuthStore contract,
 * ../auth-store.ts), shared by every collector so one login works on all of them.
 *
 * Users and tokens are rows replaced by newer versions (ReplacingMergeTree, read with FINAL); a
 * deleted user is a newer version marked deleted, so the name can be taken again. Versions come
 * from this collector's time-ordered ids and always exceed the version they replace. Within one
 * collector a change goes through one Serial; two collectors creating the same user name within
 * one round trip both succeed and the later version is the one that stays (an admin's race, rare).
 *
 * A token's last use is written at most once a minute: a token used per request would otherwise
 * be one INSERT (one part) per request. The audit trail is one row per entry, partitioned by month
 * and trimmed to its newest AUDIT_MAX_ENTRIES at most once an hour.
 */
import type { Role } from '../../auth/policy.js';
import type { AuditEntry, AuditQuery, AuthStore, TokenRow, UserChange, UserRow } from '../auth-store.js';
import type { IdSource } from '../ids.js';
import type { FleetContext } from './context.js';
import { waitForMutations } from './mutations.js';
import { Serial } from './serial.js';
import { int, str } from './sql.js';

const USER_COLUMNS = ['name', 'version', 'id', 'role', 'password_hash', 'created_at', 'updated_at', 'deleted', 'disabled', 'last_login_at'] as const;
const TOKEN_COLUMNS = ['id', 'version', 'name', 'role', 'digest', 'created_by', 'created_at', 'last_used_at', 'revoked_at', 'expires_at'] as const;
/** Columns added since the tables were first made, by table (looked up: 18.16 has no ADD COLUMN IF NOT EXISTS). */
const ADDED_COLUMNS: ReadonlyArray<readonly [table: string, column: string, type: string]> = [
  ['auth_users', 'disabled', 'UInt8'],
  ['auth_users', 'last_login_at', 'Nullable(Int64)'],
  ['auth_tokens', 'expires_at', 'Nullable(Int64)'],
];
const AUDIT_COLUMNS = ['id', 'at', 'actor', 'action', 'target', 'address', 'ok', 'detail'] as const;
const SETTING_COLUMNS = ['key', 'version', 'value', 'updated_at', 'deleted'] as const;

/** The same bound as the embedded store: the trail keeps this many newest entries. */
const AUDIT_MAX_ENTRIES = 200_000;
const AUDIT_TRIM_EVERY_MS = 3_600_000;
const TOKEN_USE_RESOLUTION_MS = 60_000;

interface UserRecord extends UserRow { readonly version: number }
interface TokenRecord extends TokenRow { readonly version: number; readonly digest: string }

interface UserDbRow {
  name: string; version: number; id: number; role: string; password_hash: string; created_at: number; updated_at: number;
  disabled: number; last_login_at: number | null;
}
interface TokenDbRow {
  id: number; version: number; name: string; role: string; digest: string; created_by: string; created_at: number;
  last_used_at: number | null; revoked_at: number | null; expires_at: number | null;
}
interface AuditDbRow { id: number; at: number; actor: string; action: string; target: string; address: string; ok: number; detail: string }

export class ClickHouseAuth implements AuthStore {
  private readonly ids: IdSource;
  private readonly serial = new Serial();
  private lastTrimMs = -Infinity;

  constructor(readonly ctx: FleetContext) {
    this.ids = ctx.ids();
  }

  static tables(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS auth_users (
        name String, version UInt64, id Int64, role String, password_hash String, created_at Int64, updated_at Int64, deleted UInt8,
        disabled UInt8, last_login_at Nullable(Int64)
      ) ENGINE = ReplacingMergeTree(version) ORDER BY name`,
      `CREATE TABLE IF NOT EXISTS auth_tokens (
        id Int64, version UInt64, name String, role String, digest String, created_by String, created_at Int64,
        last_used_at Nullable(Int64), revoked_at Nullable(Int64), expires_at Nullable(Int64)
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS auth_audit (
        id Int64, at Int64, actor String, action String, target String, address String, ok UInt8, detail String
      ) ENGINE = MergeTree PARTITION BY toYYYYMM(toDateTime(toUInt32(intDiv(greatest(at, 0), 1000)))) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS admin_settings (
        key String, version UInt64, value String, updated_at Int64, deleted UInt8
      ) ENGINE = ReplacingMergeTree(version) ORDER BY key`,
    ];
  }

  static async addMissingColumns(db: FleetContext['db']): Promise<void> {
    const have = await db.rows<{ table: string; name: string }>(`SELECT table, name FROM system.columns WHERE database = currentDatabase() AND table IN ('auth_users', 'auth_tokens')`);
    for (const [table, column, type] of ADDED_COLUMNS) {
      if (!have.some((c) => c.table === table && c.name === column)) await db.run(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
  }

  async countUsers(): Promise<number> {
    const [r] = await this.ctx.db.rows<{ n: number }>('SELECT count() AS n FROM auth_users FINAL WHERE deleted = 0');
    return r!.n;
  }

  async listUsers(): Promise<UserRow[]> {
    return (await this.users('')).map(publicUser);
  }

  async userByName(name: string): Promise<UserRow | null> {
    const u = await this.user(name);
    return u && publicUser(u);
  }

  createUser(name: string, role: Role, passwordHash: string, nowMs: number): Promise<number | null> {
    return this.serial.run(async () => {
      if (await this.user(name)) return null;
      const id = this.ids.next();
      await this.writeUser({ name, version: this.ids.next(), id, role, passwordHash, createdAt: nowMs, updatedAt: nowMs, disabled: false, lastLoginAt: null }, false);
      return id;
    });
  }

  updateUser(name: string, change: UserChange, nowMs: number): Promise<boolean> {
    return this.serial.run(async () => {
      const u = await this.user(name);
      if (!u) return false;
      await this.writeUser({
        ...u, role: change.role ?? u.role, passwordHash: change.passwordHash ?? u.passwordHash, disabled: change.disabled ?? u.disabled,
        updatedAt: nowMs, version: this.versionAfter(u.version),
      }, false);
      return true;
    });
  }

  recordLogin(name: string, nowMs: number): Promise<boolean> {
    return this.serial.run(async () => {
      const u = await this.user(name);
      if (!u) return false;
      await this.writeUser({ ...u, lastLoginAt: nowMs, version: this.versionAfter(u.version) }, false);
      return true;
    });
  }

  deleteUser(name: string): Promise<boolean> {
    return this.serial.run(async () => {
      const u = await this.user(name);
      if (!u) return false;
      await this.writeUser({ ...u, version: this.versionAfter(u.version) }, true);
      return true;
    });
  }

  createToken(name: string, role: Role, digest: string, createdBy: string, nowMs: number, expiresAt: number | null): Promise<number> {
    return this.serial.run(async () => {
      const id = this.ids.next();
      await this.writeToken({ id, version: this.ids.next(), name, role, digest, createdBy, createdAt: nowMs, lastUsedAt: null, revokedAt: null, expiresAt });
      return id;
    });
  }

  async listTokens(): Promise<TokenRow[]> {
    return (await this.tokens('')).map(publicToken);
  }

  useToken(digest: string, nowMs: number): Promise<TokenRow | null> {
    return this.serial.run(async () => {
      const [t] = await this.tokens(`WHERE digest = ${str(digest)} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${int(nowMs)})`);
      if (!t) return null;
      if (t.lastUsedAt === null || nowMs - t.lastUsedAt >= TOKEN_USE_RESOLUTION_MS) {
        await this.writeToken({ ...t, lastUsedAt: nowMs, version: this.versionAfter(t.version) });
      }
      return publicToken(t);
    });
  }

  revokeToken(id: number, nowMs: number): Promise<boolean> {
    return this.serial.run(async () => {
      const [t] = await this.tokens(`WHERE id = ${int(id)} AND revoked_at IS NULL`);
      if (!t) return false;
      await this.writeToken({ ...t, revokedAt: nowMs, version: this.versionAfter(t.version) });
      return true;
    });
  }

  async getSetting(key: string): Promise<string | null> {
    const [r] = await this.ctx.db.rows<{ value: string; deleted: number }>(`SELECT value, deleted FROM admin_settings FINAL WHERE key = ${str(key)}`);
    return r && r.deleted === 0 ? r.value : null;
  }

  putSetting(key: string, value: string | null, nowMs: number): Promise<void> {
    return this.serial.run(async () => {
      const [r] = await this.ctx.db.rows<{ version: number }>(`SELECT version FROM admin_settings FINAL WHERE key = ${str(key)}`);
      const version = r ? this.versionAfter(r.version) : this.ids.next();
      await this.ctx.db.insertRows('admin_settings', SETTING_COLUMNS, [[key, version, value ?? '', nowMs, value === null]]);
    });
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    await this.ctx.db.insertRows('auth_audit', AUDIT_COLUMNS, entries.map((e) => [this.ids.next(), e.at, e.actor, e.action, e.target, e.address, e.ok, e.detail]));
    const now = this.ctx.now();
    if (now - this.lastTrimMs >= AUDIT_TRIM_EVERY_MS) {
      this.lastTrimMs = now;
      await this.trimAudit();
    }
  }

  async queryAudit(q: AuditQuery): Promise<Array<AuditEntry & { id: number }>> {
    const where = [`id < ${int(q.beforeId ?? Number.MAX_SAFE_INTEGER)}`];
    if (q.action !== undefined) where.push(`action = ${str(q.action)}`);
    if (q.actor !== undefined) where.push(`actor = ${str(q.actor)}`);
    if (q.sinceMs !== undefined) where.push(`at >= ${int(q.sinceMs)}`);
    if (q.untilMs !== undefined) where.push(`at < ${int(q.untilMs)}`);
    const rows = await this.ctx.db.rows<AuditDbRow>(`SELECT ${AUDIT_COLUMNS.join(', ')} FROM auth_audit WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${int(q.limit)}`);
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, address: r.address, ok: r.ok === 1, detail: r.detail }));
  }

  private async trimAudit(): Promise<void> {
    const [r] = await this.ctx.db.rows<{ n: number }>('SELECT count() AS n FROM auth_audit');
    if (r!.n <= AUDIT_MAX_ENTRIES) return;
    const [edge] = await this.ctx.db.rows<{ id: number }>(`SELECT id FROM auth_audit ORDER BY id DESC LIMIT ${int(AUDIT_MAX_ENTRIES - 1)}, 1`);
    await this.ctx.db.run(`ALTER TABLE auth_audit DELETE WHERE id < ${int(edge!.id)}`);
    await waitForMutations(this.ctx.db, ['auth_audit']);
  }

  private async user(name: string): Promise<UserRecord | null> {
    const [u] = await this.users(`AND name = ${str(name)}`);
    return u ?? null;
  }

  private async users(and: string): Promise<UserRecord[]> {
    const rows = await this.ctx.db.rows<UserDbRow>(`SELECT ${USER_COLUMNS.join(', ')} FROM auth_users FINAL WHERE deleted = 0 ${and} ORDER BY name`);
    return rows.map((r) => ({
      name: r.name, version: r.version, id: r.id, role: r.role as Role, passwordHash: r.password_hash, createdAt: r.created_at, updatedAt: r.updated_at,
      disabled: r.disabled === 1, lastLoginAt: r.last_login_at,
    }));
  }

  private async tokens(where: string): Promise<TokenRecord[]> {
    const rows = await this.ctx.db.rows<TokenDbRow>(`SELECT ${TOKEN_COLUMNS.join(', ')} FROM auth_tokens FINAL ${where} ORDER BY id`);
    return rows.map((r) => ({
      id: r.id, version: r.version, name: r.name, role: r.role as Role, digest: r.digest, createdBy: r.created_by, createdAt: r.created_at,
      lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, expiresAt: r.expires_at,
    }));
  }

  private writeUser(u: UserRecord, deleted: boolean): Promise<void> {
    return this.ctx.db.insertRows('auth_users', USER_COLUMNS, [[u.name, u.version, u.id, u.role, u.passwordHash, u.createdAt, u.updatedAt, deleted, u.disabled, u.lastLoginAt]]);
  }

  private writeToken(t: TokenRecord): Promise<void> {
    return this.ctx.db.insertRows('auth_tokens', TOKEN_COLUMNS, [[t.id, t.version, t.name, t.role, t.digest, t.createdBy, t.createdAt, t.lastUsedAt, t.revokedAt, t.expiresAt]]);
  }

  private versionAfter(base: number): number {
    return Math.max(this.ids.next(), base + 1);
  }
}

function publicUser(u: UserRecord): UserRow {
  const { version: _version, ...row } = u;
  return row;
}

function publicToken(t: TokenRecord): TokenRow {
  const { version: _version, digest: _digest, ...row } = t;
  return row;
}
