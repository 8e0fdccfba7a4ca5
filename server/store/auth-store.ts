/**
 * The auth contract: users, API tokens and the audit trail. Passwords arrive here only as scrypt
 * hashes and tokens only as SHA-256 digests.
 */
import type { Role } from '../auth/policy.js';

export interface UserRow {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** A disabled user cannot log in; the row stays, so the name keeps its audit trail and can be enabled again. */
  readonly disabled: boolean;
  readonly lastLoginAt: number | null;
}

export interface UserChange {
  readonly role?: Role;
  readonly passwordHash?: string;
  readonly disabled?: boolean;
}

export interface TokenRow {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
  /** Past this instant the token is refused; null: it lasts until revoked. */
  readonly expiresAt: number | null;
}

export interface AuditEntry {
  readonly at: number;
  /** The user name, `token:<name>`, or `-` when nobody is known (a failed login names who was tried in `target`). */
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly address: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface AuditQuery {
  readonly beforeId?: number;
  readonly action?: string;
  readonly actor?: string;
  /** Entries at or after this instant (ms). */
  readonly sinceMs?: number;
  /** Entries before this instant (ms). */
  readonly untilMs?: number;
  readonly limit: number;
}

export interface UserStore {
  countUsers(): Promise<number>;
  listUsers(): Promise<UserRow[]>;
  userByName(name: string): Promise<UserRow | null>;
  /** Returns the new user's id, or null when the name is taken. */
  createUser(name: string, role: Role, passwordHash: string, nowMs: number): Promise<number | null>;
  /** False when there is no such user. */
  updateUser(name: string, change: UserChange, nowMs: number): Promise<boolean>;
  /** Stamps a successful login (not a change: updatedAt stays). False when there is no such user. */
  recordLogin(name: string, nowMs: number): Promise<boolean>;
  deleteUser(name: string): Promise<boolean>;
  createToken(name: string, role: Role, digest: string, createdBy: string, nowMs: number, expiresAt: number | null): Promise<number>;
  listTokens(): Promise<TokenRow[]>;
  /** A live token (not revoked, not expired at nowMs) by its digest; marks it used. */
  useToken(digest: string, nowMs: number): Promise<TokenRow | null>;
  /** False when the token is unknown or already revoked. */
  revokeToken(id: number, nowMs: number): Promise<boolean>;
}

export interface AuditStore {
  /** Appends entries; the trail keeps only the newest entries (a bound the backend states). */
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first. */
  queryAudit(q: AuditQuery): Promise<Array<AuditEntry & { id: number }>>;
}

/**
 * What an admin sets on the admin page instead of in the config (the sites table), by key. Few and
 * small: read at start and when changed.
 */
export interface SettingsStore {
  /** The saved value, or null when none is (or it was cleared). */
  getSetting(key: string): Promise<string | null>;
  /** Saves the value; null clears it. */
  putSetting(key: string, value: string | null, nowMs: number): Promise<void>;
}

/** Users, tokens, audit and admin settings live together: one backend object serves them all. */
export type AuthStore = UserStore & AuditStore & SettingsStore;
