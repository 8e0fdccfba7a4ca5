// The admin routes on a spawned collector with logins on: analysts and viewers are refused every
// one of them; a disabled user cannot log in and their open session stops at once; a reset
// password ends the sessions; an expired token is refused; the last enabled admin stays; the
// audit trail names each admin action and filters by actor, action and time; the sites table set
// on the admin page is checked, audited, and outlives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionClient } from '../support/session-client.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const ADMIN_PASSWORD = 'admin-password-for-tests';

let collector: RunningCollector;
const base = () => collector.webUrl;
const admin = new SessionClient(base);
const analyst = new SessionClient(base);
const viewer = new SessionClient(base);

interface AuditEntry { at: string; actor: string; action: string; target: string; ok: boolean; detail: string }
interface AuditPage { entries: AuditEntry[]; nextCursor: string | null }
interface UserInfo { name: string; role: string; disabled: boolean; lastLoginAt: string | null }

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await res).json() as Promise<T>;
}

async function audit(query: string): Promise<AuditPage> {
  return json<AuditPage>(admin.request('GET', `/api/audit?${query}`));
}

beforeAll(async () => {
  process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
  try {
    collector = await spawnCollector(['--auth', 'on']);
  } finally {
    delete process.env.IPP_ADMIN_PASSWORD;
  }
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  for (const [name, role] of [['ana', 'analyst'], ['vera', 'viewer']] as const) {
    expect((await admin.write('POST', '/api/users', { name, role, password: `${name}-password-1` })).status).toBe(201);
  }
  expect((await analyst.login('ana', 'ana-password-1')).status).toBe(200);
  expect((await viewer.login('vera', 'vera-password-1')).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await collector?.stop();
});

/** Every admin route, with a body that would be accepted from an admin. */
const ADMIN_ROUTES: ReadonlyArray<readonly [method: string, path: string, body?: unknown]> = [
  ['GET', '/api/users'],
  ['POST', '/api/users', { name: 'mallory', role: 'admin', password: 'mallory-password-1' }],
  ['PATCH', '/api/users/admin', { role: 'viewer' }],
  ['PATCH', '/api/users/admin', { disabled: true }],
  ['POST', '/api/users/admin/reset-password', {}],
  ['DELETE', '/api/users/admin'],
  ['GET', '/api/tokens'],
  ['POST', '/api/tokens', { name: 'stolen', role: 'admin' }],
  ['DELETE', '/api/tokens/1'],
  ['GET', '/api/audit'],
  ['GET', '/api/audit?actor=admin&action=user.create&since=2020-01-01T00:00:00Z'],
  ['GET', '/api/settings/sites'],
  ['PUT', '/api/settings/sites', { table: 'Evil=0.0.0.0/0' }],
  ['DELETE', '/api/settings/sites'],
];

describe('who reaches the admin routes', () => {
  it('refuses analysts and viewers every admin route with 403, and changes nothing', async () => {
    for (const [who, client] of [['analyst', analyst], ['viewer', viewer]] as const) {
      for (const [method, path, body] of ADMIN_ROUTES) {
        const res = await client.write(method, path, body);
        expect({ who, method, path, status: res.status }).toEqual({ who, method, path, status: 403 });
        expect(((await res.json()) as { error: string }).error).toContain('needs the admin role');
      }
    }
    const users = await json<{ users: UserInfo[] }>(admin.request('GET', '/api/users'));
    expect(users.users.map((u) => [u.name, u.role, u.disabled])).toEqual([['admin', 'admin', false], ['ana', 'analyst', false], ['vera', 'viewer', false]]);
    expect((await json<{ tokens: unknown[] }>(admin.request('GET', '/api/tokens'))).tokens).toEqual([]);
    expect((await new SessionClient(base).login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('refuses the routes to an analyst token too, and to nobody at all with 401', async () => {
    const issued = await json<{ token: string }>(admin.write('POST', '/api/tokens', { name: 'ci', role: 'analyst' }));
    const res = await fetch(`${base()}/api/users`, { headers: { authorization: `Bearer ${issued.token}` } });
    expect(res.status).toBe(403);
    expect((await fetch(`${base()}/api/audit`)).status).toBe(401);
  });
});

describe('users', () => {
  it('a disabled user cannot log in and their open session stops at once; enabled again, they log in', async () => {
    const dora = new SessionClient(base);
    await admin.write('POST', '/api/users', { name: 'dora', role: 'analyst', password: 'dora-password-1' });
    expect((await dora.login('dora', 'dora-password-1')).status).toBe(200);
    expect((await dora.request('GET', '/api/devices')).status).toBe(200);
    expect((await admin.write('PATCH', '/api/users/dora', { disabled: true })).status).toBe(200);
    expect((await dora.request('GET', '/api/devices')).status).toBe(401);
    const refused = await new SessionClient(base).login('dora', 'dora-password-1');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toContain('disabled');
    const listed = (await json<{ users: UserInfo[] }>(admin.request('GET', '/api/users'))).users.find((u) => u.name === 'dora')!;
    expect(listed).toMatchObject({ disabled: true, role: 'analyst', lastLoginAt: expect.stringMatching(/^20\d\d-/) });
    expect((await admin.write('PATCH', '/api/users/dora', { disabled: false })).status).toBe(200);
    expect((await dora.login('dora', 'dora-password-1')).status).toBe(200);
  });

  it('a reset password is shown once, works, ends the old sessions, and the old password stops working', async () => {
    const old = new SessionClient(base);
    await admin.write('POST', '/api/users', { name: 'rita', role: 'viewer', password: 'rita-password-1' });
    expect((await old.login('rita', 'rita-password-1')).status).toBe(200);
    const reset = await json<{ name: string; password: string }>(admin.write('POST', '/api/users/rita/reset-password'));
    expect(reset.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await old.request('GET', '/api/devices')).status).toBe(401);
    expect((await new SessionClient(base).login('rita', 'rita-password-1')).status).toBe(401);
    expect((await new SessionClient(base).login('rita', reset.password)).status).toBe(200);
    // An admin may also set one; it is not echoed back.
    const set = await json<{ password: string | null }>(admin.write('POST', '/api/users/rita/reset-password', { password: 'rita-password-2' }));
    expect(set.password).toBeNull();
    expect((await new SessionClient(base).login('rita', 'rita-password-2')).status).toBe(200);
    expect((await admin.write('POST', '/api/users/nobody/reset-password')).status).toBe(404);
  });

  it('keeps the last enabled admin: no disabling, demoting or deleting it (409 with a sentence)', async () => {
    const token = await json<{ token: string }>(admin.write('POST', '/api/tokens', { name: 'ops', role: 'admin' }));
    const asToken = (method: string, path: string, body?: unknown) => fetch(`${base()}${path}`, {
      method, headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const [method, body] of [['PATCH', { disabled: true }], ['PATCH', { role: 'analyst' }], ['DELETE', undefined]] as const) {
      const res = await asToken(method, '/api/users/admin', body);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toMatch(/^admin is the last enabled admin and cannot be (disabled|made analyst|deleted): make another user admin first$/);
    }
    // With a second admin the first may be demoted; then the second is the last one.
    expect((await admin.write('PATCH', '/api/users/dora', { role: 'admin' })).status).toBe(200);
    expect((await asToken('PATCH', '/api/users/admin', { role: 'analyst' })).status).toBe(200);
    expect((await asToken('PATCH', '/api/users/dora', { disabled: true })).status).toBe(409);
    expect((await asToken('PATCH', '/api/users/admin', { role: 'admin' })).status).toBe(200);
    expect((await asToken('PATCH', '/api/users/dora', { role: 'analyst' })).status).toBe(200);
    expect((await admin.write('PATCH', '/api/users/admin', { disabled: true })).status).toBe(400);
  });
});

describe('tokens', () => {
  it('issues a token with a role and an expiry, refuses it once expired, and revokes', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const issued = await json<{ id: number; token: string; expiresAt: string; role: string }>(admin.write('POST', '/api/tokens', { name: 'short', role: 'viewer', expiresAt }));
    expect(issued).toMatchObject({ role: 'viewer', expiresAt });
    const use = () => fetch(`${base()}/api/devices`, { headers: { authorization: `Bearer ${issued.token}` } });
    expect((await use()).status).toBe(200);
    const listed = (await json<{ tokens: Array<{ id: number; expiresAt: string | null; expired: boolean; lastUsedAt: string | null }> }>(admin.request('GET', '/api/tokens'))).tokens.find((t) => t.id === issued.id)!;
    expect(listed).toMatchObject({ expiresAt, expired: false, lastUsedAt: expect.stringMatching(/^20\d\d-/) });
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 100));
    expect((await use()).status).toBe(401);
    const after = (await json<{ tokens: Array<{ id: number; expired: boolean }> }>(admin.request('GET', '/api/tokens'))).tokens.find((t) => t.id === issued.id)!;
    expect(after.expired).toBe(true);

    for (const bad of [new Date(Date.now() - 1000).toISOString(), 'next tuesday']) {
      const res = await admin.write('POST', '/api/tokens', { name: 'bad', role: 'viewer', expiresAt: bad });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^expiresAt: /);
    }
    const lasting = await json<{ id: number; token: string }>(admin.write('POST', '/api/tokens', { name: 'lasting', role: 'viewer' }));
    expect((await admin.write('DELETE', `/api/tokens/${lasting.id}`)).status).toBe(200);
    expect((await fetch(`${base()}/api/devices`, { headers: { authorization: `Bearer ${lasting.token}` } })).status).toBe(401);
    expect((await admin.write('DELETE', `/api/tokens/${lasting.id}`)).status).toBe(404);
  });
});

describe('audit trail', () => {
  it('names each admin action and filters by actor, action and time range, paging by cursor', async () => {
    const all = await audit('limit=1000');
    const actions = new Set(all.entries.filter((e) => e.actor === 'admin').map((e) => e.action));
    for (const a of ['user.create', 'user.disable', 'user.enable', 'user.reset-password', 'user.role', 'token.issue', 'token.revoke']) expect(actions).toContain(a);
    expect(all.entries.some((e) => e.action === 'user.disable' && e.target === 'dora' && e.ok)).toBe(true);
    expect(all.entries.some((e) => e.action === 'user.role' && e.target === 'dora' && e.detail === 'analyst -> admin')).toBe(true);
    expect(all.entries.some((e) => e.action === 'token.issue' && e.target === 'short' && e.detail.startsWith('viewer, expires 20'))).toBe(true);
    // The refused last-admin changes keep the gate's entry, marked failed.
    expect(all.entries.some((e) => e.actor === 'token:ops' && e.action === 'patch' && e.target === '/api/users/admin' && !e.ok && e.detail === '409')).toBe(true);

    const byAction = await audit('action=user.create&limit=1000');
    expect(byAction.entries.map((e) => e.target).sort()).toEqual(['ana', 'dora', 'rita', 'vera']);
    const byActor = await audit('actor=token:ops&limit=1000');
    expect(byActor.entries.length).toBeGreaterThan(0);
    expect(byActor.entries.every((e) => e.actor === 'token:ops')).toBe(true);

    const ats = all.entries.map((e) => Date.parse(e.at));
    const newest = Math.max(...ats);
    expect((await audit(`since=${new Date(newest + 1).toISOString()}`)).entries).toEqual([]);
    const until = await audit(`until=${new Date(newest).toISOString()}&limit=1000`);
    expect(until.entries.every((e) => Date.parse(e.at) < newest)).toBe(true);
    expect(until.entries.length).toBe(ats.filter((t) => t < newest).length);

    const first = await audit('action=user.create&limit=2');
    expect(first.entries.map((e) => e.target)).toEqual(['rita', 'dora']);
    const second = await audit(`action=user.create&limit=2&cursor=${first.nextCursor}`);
    expect(second.entries.map((e) => e.target)).toEqual(['vera', 'ana']);

    expect((await admin.request('GET', '/api/audit?since=yesterday')).status).toBe(400);
  });
});

interface SitesAnswer { table: string; source: string; configTable: string; sites: string[] }

describe('sites table', () => {
  it('is set on the admin page, checked, audited, and outlives a restart; reverting brings back --sites', async () => {
    expect(await json<SitesAnswer>(admin.request('GET', '/api/settings/sites'))).toEqual({ table: '', source: 'none', configTable: '', sites: [] });
    const bad = await admin.write('PUT', '/api/settings/sites', { table: 'Berlin' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^table: site "Berlin": give NAME=CIDR/);
    const saved = await json<SitesAnswer>(admin.write('PUT', '/api/settings/sites', { table: 'Berlin=10.1.0.0/16;Paris=10.2.0.0/16' }));
    expect(saved).toMatchObject({ source: 'admin', sites: ['Berlin', 'Paris'] });
    expect((await audit('action=settings.sites')).entries.map((e) => [e.actor, e.detail])).toEqual([['admin', 'Berlin=10.1.0.0/16;Paris=10.2.0.0/16']]);

    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-admin-sites-'));
    const start = async () => {
      process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
      try {
        return await spawnCollector(['--auth', 'on', '--data-dir', dataDir, '--sites', 'Rome=10.3.0.0/16']);
      } finally {
        delete process.env.IPP_ADMIN_PASSWORD;
      }
    };
    let other = await start();
    try {
      const client = new SessionClient(() => other.webUrl);
      await client.login('admin', ADMIN_PASSWORD);
      expect(await json<SitesAnswer>(client.request('GET', '/api/settings/sites'))).toEqual({ table: 'Rome=10.3.0.0/16', source: 'config', configTable: 'Rome=10.3.0.0/16', sites: ['Rome'] });
      // An empty table is a choice too: no sites, whatever --sites says.
      expect(await json<SitesAnswer>(client.write('PUT', '/api/settings/sites', { table: '' }))).toMatchObject({ source: 'admin', sites: [] });
      await json(client.write('PUT', '/api/settings/sites', { table: 'Oslo=10.4.0.0/16' }));
      await other.kill('SIGTERM');
      other = await start();
      const again = new SessionClient(() => other.webUrl);
      await again.login('admin', ADMIN_PASSWORD);
      expect(await json<SitesAnswer>(again.request('GET', '/api/settings/sites'))).toMatchObject({ table: 'Oslo=10.4.0.0/16', source: 'admin', sites: ['Oslo'] });
      expect(await json<SitesAnswer>(again.write('DELETE', '/api/settings/sites'))).toMatchObject({ table: 'Rome=10.3.0.0/16', source: 'config', sites: ['Rome'] });
    } finally {
      await other.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
