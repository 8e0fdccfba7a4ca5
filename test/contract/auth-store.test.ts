// The auth contract (server/store/auth-store.ts) on every backend: users by name, tokens by
// digest with revocation and expiry, disabled users and last logins, and the audit trail newest
// first with its filters (action, actor, time range).
import { expect, it } from 'vitest';
import type { ClickHouseAuth } from '../../server/store/clickhouse/auth.js';
import { eachBackend } from './backends.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

eachBackend('auth store', (backend) => {
  it('creates users once per name, changes role and password, deletes, and lets a deleted name be taken again', async () => {
    const { auth } = await backend.open();
    expect(await auth.countUsers()).toBe(0);
    const admin = await auth.createUser('admin', 'admin', 'scrypt$a', NOW);
    expect(admin).toEqual(expect.any(Number));
    expect(await auth.createUser('admin', 'viewer', 'scrypt$b', NOW)).toBeNull();
    await auth.createUser("o'brien", 'analyst', 'scrypt$c', NOW + 1);
    expect(await auth.countUsers()).toBe(2);
    expect((await auth.listUsers()).map((u) => [u.name, u.role])).toEqual([['admin', 'admin'], ["o'brien", 'analyst']]);
    expect(await auth.updateUser("o'brien", { role: 'viewer' }, NOW + 2)).toBe(true);
    expect(await auth.updateUser("o'brien", { passwordHash: 'scrypt$d' }, NOW + 3)).toBe(true);
    expect(await auth.userByName("o'brien")).toEqual({
      id: expect.any(Number), name: "o'brien", role: 'viewer', passwordHash: 'scrypt$d', createdAt: NOW + 1, updatedAt: NOW + 3, disabled: false, lastLoginAt: null,
    });
    expect(await auth.updateUser('nobody', { role: 'admin' }, NOW)).toBe(false);
    expect(await auth.deleteUser("o'brien")).toBe(true);
    expect(await auth.deleteUser("o'brien")).toBe(false);
    expect(await auth.userByName("o'brien")).toBeNull();
    expect(await auth.countUsers()).toBe(1);
    expect(await auth.createUser("o'brien", 'analyst', 'scrypt$e', NOW + 4)).toEqual(expect.any(Number));
    expect((await auth.userByName("o'brien"))!.role).toBe('analyst');
  });

  it('finds a live token by its digest, marks it used, and refuses it once revoked', async () => {
    const { auth } = await backend.open();
    const id = await auth.createToken('grafana', 'viewer', 'd1'.repeat(32), 'admin', NOW, null);
    const other = await auth.createToken('ci', 'analyst', 'd2'.repeat(32), 'admin', NOW + 1, null);
    expect((await auth.listTokens()).map((t) => [t.id, t.name, t.role, t.createdBy, t.lastUsedAt, t.revokedAt]))
      .toEqual([[id, 'grafana', 'viewer', 'admin', null, null], [other, 'ci', 'analyst', 'admin', null, null]]);
    expect(await auth.useToken('ff'.repeat(32), NOW)).toBeNull();
    expect(await auth.useToken('d1'.repeat(32), NOW + 10)).toMatchObject({ id, name: 'grafana', role: 'viewer' });
    expect((await auth.listTokens()).find((t) => t.id === id)!.lastUsedAt).toBe(NOW + 10);
    expect(JSON.stringify(await auth.listTokens())).not.toContain('d1d1');
    expect(await auth.revokeToken(id, NOW + 20)).toBe(true);
    expect(await auth.revokeToken(id, NOW + 30)).toBe(false);
    expect(await auth.useToken('d1'.repeat(32), NOW + 40)).toBeNull();
    expect((await auth.listTokens()).find((t) => t.id === id)!.revokedAt).toBe(NOW + 20);
    expect(await auth.useToken('d2'.repeat(32), NOW + 50)).toMatchObject({ id: other });
  });

  it('disables and enables a user, keeping role and password, and stamps the last login apart from changes', async () => {
    const { auth } = await backend.open();
    await auth.createUser('dora', 'analyst', 'scrypt$a', NOW);
    expect(await auth.updateUser('dora', { disabled: true }, NOW + 1)).toBe(true);
    expect(await auth.userByName('dora')).toMatchObject({ role: 'analyst', passwordHash: 'scrypt$a', disabled: true, updatedAt: NOW + 1 });
    expect((await auth.listUsers())[0]!.disabled).toBe(true);
    // A later change that does not name the flag leaves it as it is.
    await auth.updateUser('dora', { role: 'viewer', passwordHash: 'scrypt$b' }, NOW + 2);
    expect(await auth.userByName('dora')).toMatchObject({ role: 'viewer', passwordHash: 'scrypt$b', disabled: true });
    await auth.updateUser('dora', { disabled: false }, NOW + 3);
    expect((await auth.userByName('dora'))!.disabled).toBe(false);
    expect(await auth.recordLogin('dora', NOW + 10)).toBe(true);
    expect(await auth.recordLogin('nobody', NOW + 10)).toBe(false);
    expect(await auth.userByName('dora')).toMatchObject({ lastLoginAt: NOW + 10, updatedAt: NOW + 3, disabled: false, role: 'viewer' });
    await auth.updateUser('dora', { role: 'admin' }, NOW + 11);
    expect((await auth.userByName('dora'))!.lastLoginAt).toBe(NOW + 10);
  });

  it('refuses a token from its expiry on and lists when it expires', async () => {
    const { auth } = await backend.open();
    const id = await auth.createToken('week', 'viewer', 'e1'.repeat(32), 'admin', NOW, NOW + 1000);
    expect((await auth.listTokens()).map((t) => [t.id, t.expiresAt])).toEqual([[id, NOW + 1000]]);
    expect(await auth.useToken('e1'.repeat(32), NOW + 999)).toMatchObject({ id, expiresAt: NOW + 1000 });
    expect(await auth.useToken('e1'.repeat(32), NOW + 1000)).toBeNull();
    expect(await auth.useToken('e1'.repeat(32), NOW + 5000)).toBeNull();
    expect((await auth.listTokens())[0]!.revokedAt).toBeNull();
  });

  it('keeps the audit trail newest first, pages by id and filters by action, actor and time range', async () => {
    const { auth } = await backend.open();
    const entry = (i: number, action: string) => ({ at: NOW + i, actor: i % 2 ? 'admin' : 'token:ci', action, target: `call ${i}`, address: '127.0.0.1', ok: i !== 3, detail: i === 4 ? 'tab\there\nnewline' : '' });
    await auth.appendAudit([entry(1, 'login'), entry(2, 'export-audio'), entry(3, 'login')]);
    await auth.appendAudit([entry(4, 'export-pcap')]);
    const all = await auth.queryAudit({ limit: 10 });
    expect(all.map((e) => e.target)).toEqual(['call 4', 'call 3', 'call 2', 'call 1']);
    expect(all[0]).toEqual({ id: expect.any(Number), ...entry(4, 'export-pcap') });
    expect(all[1]!.ok).toBe(false);
    expect((await auth.queryAudit({ limit: 10, action: 'login' })).map((e) => e.target)).toEqual(['call 3', 'call 1']);
    const page = await auth.queryAudit({ limit: 2, beforeId: all[1]!.id });
    expect(page.map((e) => e.target)).toEqual(['call 2', 'call 1']);
    expect((await auth.queryAudit({ limit: 10, actor: 'token:ci' })).map((e) => e.target)).toEqual(['call 4', 'call 2']);
    expect((await auth.queryAudit({ limit: 10, actor: 'admin', action: 'login' })).map((e) => e.target)).toEqual(['call 3', 'call 1']);
    // since is inclusive, until exclusive: [NOW+2, NOW+4) holds entries 2 and 3.
    expect((await auth.queryAudit({ limit: 10, sinceMs: NOW + 2, untilMs: NOW + 4 })).map((e) => e.target)).toEqual(['call 3', 'call 2']);
    expect((await auth.queryAudit({ limit: 1, sinceMs: NOW + 2, beforeId: all[0]!.id })).map((e) => e.target)).toEqual(['call 3']);
    expect(await auth.queryAudit({ limit: 10, actor: "nobody' OR '1'='1" })).toEqual([]);
  });

  it('keeps admin settings by key: saved, replaced, cleared, and seen after a restart', async () => {
    const store = await backend.open();
    const { auth } = store;
    expect(await auth.getSetting('sites')).toBeNull();
    await auth.putSetting('sites', 'Berlin=10.1.0.0/16', NOW);
    await auth.putSetting('other', "it's\ttabbed\nand new-lined", NOW);
    await auth.putSetting('sites', 'Berlin=10.1.0.0/16;Paris=10.2.0.0/16', NOW + 1);
    expect(await auth.getSetting('sites')).toBe('Berlin=10.1.0.0/16;Paris=10.2.0.0/16');
    expect(await auth.getSetting('other')).toBe("it's\ttabbed\nand new-lined");
    await auth.putSetting('sites', null, NOW + 2);
    expect(await auth.getSetting('sites')).toBeNull();
    await auth.putSetting('sites', 'Rome=10.3.0.0/16', NOW + 3);
    const reopened = await backend.open({ sameAs: store, slot: 1 });
    expect(await reopened.auth.getSetting('sites')).toBe('Rome=10.3.0.0/16');
  });

  it.runIf(backend.name === 'clickhouse')('adds the new columns to tables made before them, keeping the rows', async () => {
    const old = await backend.open();
    const db = (old.auth as ClickHouseAuth).ctx.db;
    for (const [table, column] of [['auth_users', 'disabled'], ['auth_users', 'last_login_at'], ['auth_tokens', 'expires_at']]) await db.run(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    await db.run(`INSERT INTO auth_users (name, version, id, role, password_hash, created_at, updated_at, deleted) VALUES ('old', 1, 1, 'admin', 'scrypt$o', ${NOW}, ${NOW}, 0)`);
    await db.run(`INSERT INTO auth_tokens (id, version, name, role, digest, created_by, created_at, last_used_at, revoked_at) VALUES (7, 1, 'old', 'viewer', '${'0a'.repeat(32)}', 'old', ${NOW}, NULL, NULL)`);
    const upgraded = await backend.open({ sameAs: old });
    expect(await upgraded.auth.userByName('old')).toMatchObject({ role: 'admin', disabled: false, lastLoginAt: null });
    expect(await upgraded.auth.useToken('0a'.repeat(32), NOW + 1)).toMatchObject({ id: 7, expiresAt: null });
    await upgraded.auth.updateUser('old', { disabled: true }, NOW + 2);
    expect((await upgraded.auth.userByName('old'))!.disabled).toBe(true);
  });

  it.runIf(backend.name === 'clickhouse')('a user made on one collector logs in on another', async () => {
    const first = await backend.open({ slot: 1 });
    const second = await backend.open({ slot: 2, sameAs: first });
    await first.auth.createUser('fae', 'analyst', 'scrypt$x', NOW);
    expect((await second.auth.userByName('fae'))!.role).toBe('analyst');
    expect(await second.auth.createUser('fae', 'viewer', 'scrypt$y', NOW)).toBeNull();
    const token = await second.auth.createToken('t', 'viewer', 'ab'.repeat(32), 'fae', NOW, null);
    expect((await first.auth.useToken('ab'.repeat(32), NOW))!.id).toBe(token);
  });
});
