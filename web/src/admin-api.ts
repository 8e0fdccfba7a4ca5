// The admin API (users, API tokens, the audit trail) over HTTP, answers checked at the boundary.
import { ApiError, callJson as call, isObject, listOf } from './json-api.js';

export type Role = 'viewer' | 'analyst' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];

export interface UserInfo {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface TokenInfo {
  id: number;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revoked: boolean;
  expired: boolean;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  address: string;
  ok: boolean;
  detail: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** ISO 8601. */
  since?: string;
  until?: string;
  cursor?: string;
}

const isRole = (v: unknown): v is Role => v === 'viewer' || v === 'analyst' || v === 'admin';
const isTimeOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

function isUser(v: unknown): v is UserInfo {
  return isObject(v) && typeof v.name === 'string' && isRole(v.role) && typeof v.disabled === 'boolean'
    && typeof v.createdAt === 'string' && isTimeOrNull(v.lastLoginAt);
}

function isToken(v: unknown): v is TokenInfo {
  return isObject(v) && typeof v.id === 'number' && typeof v.name === 'string' && isRole(v.role) && typeof v.createdBy === 'string'
    && typeof v.createdAt === 'string' && isTimeOrNull(v.lastUsedAt) && isTimeOrNull(v.expiresAt)
    && typeof v.revoked === 'boolean' && typeof v.expired === 'boolean';
}

function isAuditEntry(v: unknown): v is AuditEntry {
  return isObject(v) && typeof v.id === 'number' && typeof v.at === 'string' && typeof v.actor === 'string' && typeof v.action === 'string'
    && typeof v.target === 'string' && typeof v.address === 'string' && typeof v.ok === 'boolean' && typeof v.detail === 'string';
}

export async function fetchUsers(): Promise<UserInfo[]> {
  return listOf(await call('GET', '/api/users'), 'users', isUser);
}

export async function createUser(name: string, role: Role, password: string): Promise<void> {
  await call('POST', '/api/users', { name, role, password });
}

export async function changeUser(name: string, change: { role?: Role; disabled?: boolean }): Promise<void> {
  await call('PATCH', `/api/users/${encodeURIComponent(name)}`, change);
}

/** Generates a new password for `name` and returns it: the only time it is shown. */
export async function resetPassword(name: string): Promise<string> {
  const answer = await call('POST', `/api/users/${encodeURIComponent(name)}/reset-password`, {});
  if (typeof answer.password !== 'string') throw new ApiError('the reset answered without a password');
  return answer.password;
}

export async function fetchTokens(): Promise<TokenInfo[]> {
  return listOf(await call('GET', '/api/tokens'), 'tokens', isToken);
}

/** Issues a token and returns its secret: the only time it is shown. */
export async function issueToken(name: string, role: Role, expiresAt: string | null): Promise<string> {
  const answer = await call('POST', '/api/tokens', { name, role, ...(expiresAt ? { expiresAt } : {}) });
  if (typeof answer.token !== 'string') throw new ApiError('the token answer has no secret');
  return answer.token;
}

export async function revokeToken(id: number): Promise<void> {
  await call('DELETE', `/api/tokens/${id}`);
}

export async function fetchAudit(filter: AuditFilter, limit: number): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const p = new URLSearchParams({ limit: String(limit) });
  for (const key of ['actor', 'action', 'since', 'until', 'cursor'] as const) {
    const v = filter[key];
    if (v) p.set(key, v);
  }
  const answer = await call('GET', `/api/audit?${p.toString()}`);
  return { entries: listOf(answer, 'entries', isAuditEntry), nextCursor: typeof answer.nextCursor === 'string' ? answer.nextCursor : null };
}

export interface SitesInfo {
  /** `Name=CIDR[,CIDR…];…` as in force. */
  table: string;
  /** `admin`: saved on this page (wins over --sites); `config`: --sites; `none`: neither. */
  source: 'admin' | 'config' | 'none';
  configTable: string;
  sites: string[];
}

function sitesOf(answer: Record<string, unknown>): SitesInfo {
  const { table, source, configTable, sites } = answer;
  if (typeof table !== 'string' || (source !== 'admin' && source !== 'config' && source !== 'none') || typeof configTable !== 'string' || !Array.isArray(sites)) {
    throw new ApiError('/api/settings/sites answered with an unexpected shape');
  }
  return { table, source, configTable, sites: sites.filter((s): s is string => typeof s === 'string') };
}

export async function fetchSites(): Promise<SitesInfo> {
  return sitesOf(await call('GET', '/api/settings/sites'));
}

export async function saveSites(table: string): Promise<SitesInfo> {
  return sitesOf(await call('PUT', '/api/settings/sites', { table }));
}

/** Drops the saved table: --sites is in force again. */
export async function revertSites(): Promise<SitesInfo> {
  return sitesOf(await call('DELETE', '/api/settings/sites'));
}
