/**
 * Who may do what: the ONE table of access rules for the HTTP API and the live events, enforced
 * centrally (the middleware in api/http-app.ts, the hub's emit path), so routes carry no checks of
 * their own. The first matching rule wins; a route no rule names falls to the defaults: reads need
 * a viewer, writes an admin. A new download route is therefore admin-only until someone reviews it
 * and adds the rule that lets analysts have it (test/unit/auth-policy.test.ts walks every route).
 */

export type Role = 'viewer' | 'analyst' | 'admin';
/** `public`: no login needed (the login itself, and who am I). */
export type Access = Role | 'public';

export const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];
const RANK: Readonly<Record<Access, number>> = { public: 0, viewer: 1, analyst: 2, admin: 3 };

export interface PolicyRule {
  /** An HTTP method, or `*` for any. */
  readonly method: string;
  /** `:name` matches one path segment; a trailing `*` matches the rest of the path (or nothing). */
  readonly path: string;
  readonly access: Access;
}

export const POLICY: readonly PolicyRule[] = [
  { method: 'POST', path: '/api/auth/login', access: 'public' },
  { method: 'POST', path: '/api/auth/logout', access: 'public' },
  { method: 'GET', path: '/api/auth/session', access: 'public' },
  { method: 'POST', path: '/api/auth/password', access: 'viewer' },
  { method: '*', path: '/api/users*', access: 'admin' },
  { method: '*', path: '/api/tokens*', access: 'admin' },
  { method: '*', path: '/api/audit*', access: 'admin' },
  { method: '*', path: '/api/settings*', access: 'admin' },
  { method: 'DELETE', path: '*', access: 'admin' },
  // Prometheus scrapes with a viewer token: counts and quality histograms, no phone's data.
  { method: 'GET', path: '/metrics', access: 'viewer' },
  // Raw bytes, audio and originals: phone numbers, credentials in traces, voices.
  { method: 'GET', path: '/api/logs/:id/raw', access: 'analyst' },
  { method: 'GET', path: '/api/recordings/calls/:id/audio/*', access: 'analyst' },
  { method: 'GET', path: '/api/recordings/calls/:id/pcap', access: 'analyst' },
  { method: 'GET', path: '/api/dumps/:id/raw', access: 'analyst' },
  { method: 'GET', path: '/api/imports/:id/raw', access: 'analyst' },
  { method: 'GET', path: '/api/imports/:id/pcap', access: 'analyst' },
  { method: 'GET', path: '/api/bundles/:id*', access: 'analyst' },
  // Uploads analysts make as part of their work.
  { method: 'POST', path: '/api/dumps', access: 'analyst' },
  { method: 'POST', path: '/api/symbols', access: 'analyst' },
  { method: 'POST', path: '/api/imports*', access: 'analyst' },
  { method: 'POST', path: '/api/bundles*', access: 'analyst' },
];

/** Reads need a viewer; anything that changes state is an admin's until a rule says otherwise. */
export const DEFAULT_READ_ACCESS: Access = 'viewer';
export const DEFAULT_WRITE_ACCESS: Access = 'admin';
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

interface CompiledRule extends PolicyRule {
  readonly regex: RegExp;
}

function compile(pattern: string): RegExp {
  let re = '';
  for (const part of pattern.split(/(:[A-Za-z_]+|\*)/)) {
    if (part === '*') re += '.*';
    else if (part.startsWith(':')) re += '[^/]+';
    else re += part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const COMPILED: readonly CompiledRule[] = POLICY.map((r) => ({ ...r, regex: compile(r.path) }));

export interface Decision {
  readonly access: Access;
  /** The rule that decided, or null when a default did. */
  readonly rule: PolicyRule | null;
}

/** The access a request needs; `path` is the URL path without the query string. */
export function requiredAccess(method: string, path: string): Decision {
  const m = method.toUpperCase();
  // HEAD is answered by the GET route, so it needs what GET needs.
  const asMethod = m === 'HEAD' ? 'GET' : m;
  for (const rule of COMPILED) {
    if ((rule.method === '*' || rule.method === asMethod) && rule.regex.test(path)) return { access: rule.access, rule };
  }
  return { access: READ_METHODS.has(m) ? DEFAULT_READ_ACCESS : DEFAULT_WRITE_ACCESS, rule: null };
}

export function allows(role: Role | null, access: Access): boolean {
  if (access === 'public') return true;
  return role !== null && RANK[role] >= RANK[access];
}

export function isRole(value: unknown): value is Role {
  return value === 'viewer' || value === 'analyst' || value === 'admin';
}

/**
 * Live events by the role they need. An event not named here goes to viewers: no current event
 * carries audio or raw bytes, and one that ever does must be listed before it is emitted.
 */
export const EVENT_POLICY: Readonly<Record<string, Role>> = {
  'recordings:audio': 'analyst',
  'logs:raw': 'analyst',
};

export function eventAccess(event: string): Role {
  return EVENT_POLICY[event] ?? 'viewer';
}
