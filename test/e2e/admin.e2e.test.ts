// The Admin page in headless Chromium over a collector with logins on: an admin creates a user,
// disables it, resets a password (shown once), issues and revokes a token, edits the sites table,
// and finds those actions in the audit log by its filters; an analyst and a viewer get no nav
// entry and, at #/admin, an "admins only" message instead of the page.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { SessionClient } from '../support/session-client.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const ADMIN_PASSWORD = 'admin-password-for-e2e';

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;

async function logIn(user: string, password: string): Promise<void> {
  await page.goto(`${collector.webUrl}/#/`);
  await page.locator('form.login input[name="user"]').fill(user);
  await page.locator('form.login input[name="password"]').fill(password);
  await page.locator('form.login button[type="submit"]').click();
  await page.locator('header.top .user-name', { hasText: user }).waitFor({ timeout: 10_000 });
}

async function logOut(): Promise<void> {
  await page.locator('button.logout').click();
  await page.locator('form.login').waitFor({ timeout: 10_000 });
}

const userRow = (name: string) => page.locator(`table.admin-users tr[data-user="${name}"]`);
const auditActions = () => page.locator('table.admin-audit tbody tr[data-action]').evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.action, r.children[3]?.textContent ?? '']));

async function filterAudit(f: { actor?: string; action?: string; since?: string; until?: string }): Promise<void> {
  const form = page.locator('form.audit-filters');
  await form.locator('input[name="actor"]').fill(f.actor ?? '');
  await form.locator('input[name="action"]').fill(f.action ?? '');
  await form.locator('input[name="since"]').fill(f.since ?? '');
  await form.locator('input[name="until"]').fill(f.until ?? '');
  const answered = page.waitForResponse((r) => r.url().includes('/api/audit?'));
  await form.locator('button[type="submit"]').click();
  await answered;
}

describe('admin page', () => {
  beforeAll(async () => {
    process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
    try {
      collector = await spawnCollector(['--auth', 'on', '--sites', 'Rome=10.3.0.0/16']);
    } finally {
      delete process.env.IPP_ADMIN_PASSWORD;
    }
    const api = new SessionClient(() => collector.webUrl);
    expect((await api.login('admin', ADMIN_PASSWORD)).status).toBe(200);
    for (const [name, role] of [['ana', 'analyst'], ['vera', 'viewer']] as const) {
      expect((await api.write('POST', '/api/users', { name, role, password: `${name}-password-1` })).status).toBe(201);
    }
    // Tall enough to show the four sections in one screenshot.
    browser = await launchBrowser({ width: 1440, height: 1900 });
    page = browser.page;
    page.on('dialog', (d) => void d.accept());
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  it('an admin sees the nav entry and the page lists the users', async () => {
    await logIn('admin', ADMIN_PASSWORD);
    await page.locator('header nav a', { hasText: 'Admin' }).click();
    await page.waitForFunction(() => location.hash === '#/admin');
    await userRow('vera').waitFor({ timeout: 10_000 });
    expect(await page.locator('table.admin-users tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.user))).toEqual(['admin', 'ana', 'vera']);
    expect(await userRow('admin').locator('td').nth(3).innerText()).toMatch(/^20\d\d-/);
  });

  it('creates a user, disables it, and the disabled user cannot log in', async () => {
    const form = page.locator('form[aria-label="Create a user"]');
    await form.locator('input[name="name"]').fill('dora');
    await form.locator('select[name="role"]').selectOption('analyst');
    await form.locator('input[name="password"]').fill('dora-password-1');
    await form.locator('button[type="submit"]').click();
    await userRow('dora').waitFor();
    expect(await userRow('dora').locator('select').inputValue()).toBe('analyst');
    await userRow('dora').locator('button.toggle', { hasText: 'Disable' }).click();
    await userRow('dora').locator('.badge.state', { hasText: 'disabled' }).waitFor();
    expect(await userRow('dora').locator('button.toggle').innerText()).toBe('Enable');
    const res = await new SessionClient(() => collector.webUrl).login('dora', 'dora-password-1');
    expect(res.status).toBe(401);
  });

  it('refuses to demote the last admin with the server\'s sentence', async () => {
    await userRow('admin').locator('select').selectOption('viewer');
    await page.locator('[data-section="users"] .admin-message.bad', { hasText: 'admin is the last enabled admin' }).waitFor();
    await page.waitForFunction(() => (document.querySelector('tr[data-user="admin"] select') as HTMLSelectElement | null)?.value === 'admin');
  });

  it('resets a password and shows it once with a copy button; the new one works', async () => {
    await userRow('vera').locator('button.reset').click();
    const secret = page.locator('[data-section="users"] .secret-box code.secret');
    await secret.waitFor();
    const password = await secret.innerText();
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await page.locator('[data-section="users"] .secret-box button.copy').count()).toBe(1);
    expect(await page.locator('[data-section="users"] .secret-box').innerText()).toContain('shown only now');
    expect((await new SessionClient(() => collector.webUrl).login('vera', 'vera-password-1')).status).toBe(401);
    expect((await new SessionClient(() => collector.webUrl).login('vera', password)).status).toBe(200);
  });

  it('issues a token with a role and expiry, shows the secret once, and revokes it', async () => {
    const form = page.locator('form[aria-label="Issue a token"]');
    await form.locator('input[name="token-name"]').fill('grafana');
    await form.locator('select[name="token-role"]').selectOption('viewer');
    await form.locator('select[name="token-expiry"]').selectOption('7 days');
    await form.locator('button[type="submit"]').click();
    const secret = page.locator('[data-section="tokens"] .secret-box code.secret');
    await secret.waitFor();
    const token = await secret.innerText();
    expect(token).toMatch(/^ipp_/);
    const use = () => fetch(`${collector.webUrl}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
    expect((await use()).status).toBe(200);
    const row = page.locator('table.admin-tokens tbody tr[data-token]').first();
    await row.locator('.badge.state', { hasText: 'live' }).waitFor();
    const expires = Date.parse(`${(await row.locator('td').nth(5).innerText()).replace(' ', 'T')}Z`);
    expect(Math.abs(expires - (Date.now() + 7 * 86_400_000))).toBeLessThan(120_000);
    expect(await row.locator('td').nth(1).innerText()).toBe('viewer');
    // Leave one live token in the list for the screenshot.
    await form.locator('input[name="token-name"]').fill('prometheus');
    await form.locator('button[type="submit"]').click();
    await page.locator('table.admin-tokens tbody tr.live', { hasText: 'prometheus' }).waitFor();
    await page.locator('table.admin-tokens tbody tr', { hasText: 'grafana' }).locator('button.revoke').click();
    await page.locator('table.admin-tokens tbody tr.revoked', { hasText: 'grafana' }).waitFor();
    expect((await use()).status).toBe(401);
  });

  it('edits the sites table one site per line, refuses a bad line with the server\'s reason, and can revert to --sites', async () => {
    const card = page.locator('[data-section="sites"]');
    const text = card.locator('textarea[name="sites"]');
    await card.locator('.sites-source', { hasText: '--sites from the configuration' }).waitFor();
    expect(await text.inputValue()).toBe('Rome = 10.3.0.0/16');
    expect(await card.locator('button.revert').isDisabled()).toBe(true);
    await text.fill('Berlin = 10.1.0.0/16, 10.2.0.0/16\nParis');
    await card.locator('button[type="submit"]').click();
    await card.locator('.admin-message.bad', { hasText: 'site "Paris": give NAME=CIDR' }).waitFor();
    await text.fill('Berlin = 10.1.0.0/16, 10.2.0.0/16\n\nParis = 10.3.0.0/16');
    await card.locator('button[type="submit"]').click();
    await card.locator('.sites-source', { hasText: 'the table saved here' }).waitFor();
    const api = new SessionClient(() => collector.webUrl);
    await api.login('admin', ADMIN_PASSWORD);
    expect(await (await api.request('GET', '/api/settings/sites')).json()).toMatchObject({ table: 'Berlin=10.1.0.0/16,10.2.0.0/16;Paris=10.3.0.0/16', source: 'admin', sites: ['Berlin', 'Paris'] });
    expect(await card.locator('button.revert').isDisabled()).toBe(false);
    await card.locator('button.revert').click();
    await card.locator('.sites-source', { hasText: '--sites from the configuration' }).waitFor();
    expect(await text.inputValue()).toBe('Rome = 10.3.0.0/16');
    // Saved again, so the screenshot shows a table in force from this page.
    await text.fill('Berlin = 10.1.0.0/16, 10.2.0.0/16\nParis = 10.3.0.0/16');
    await card.locator('button[type="submit"]').click();
    await card.locator('.sites-source', { hasText: 'the table saved here' }).waitFor();
  });

  it('filters the audit log by action, actor and time and finds what the admin did', async () => {
    await filterAudit({ action: 'user.disable' });
    await expect.poll(auditActions, { timeout: 5000 }).toEqual([['user.disable', 'dora']]);
    await filterAudit({ actor: 'admin', action: 'token.revoke' });
    await expect.poll(auditActions, { timeout: 5000 }).toEqual([['token.revoke', 'grafana']]);
    await filterAudit({ actor: 'admin', action: 'user.reset-password' });
    await expect.poll(auditActions, { timeout: 5000 }).toEqual([['user.reset-password', 'vera']]);
    // A window that ends before the collector started holds nothing.
    await filterAudit({ actor: 'admin', until: '2020-01-01T00:00:00' });
    await page.locator('table.admin-audit tbody td', { hasText: 'No entries match.' }).waitFor();
    await filterAudit({ actor: 'admin', since: '2020-01-01T00:00:00' });
    await expect.poll(async () => (await auditActions()).map(([a]) => a), { timeout: 5000 })
      .toEqual(expect.arrayContaining(['user.create', 'user.disable', 'user.reset-password', 'token.issue', 'token.revoke', 'settings.sites']));
    // The refused demotion is on the trail, marked refused.
    expect(await page.locator('table.admin-audit tbody tr.failed', { hasText: '/api/users/admin' }).count()).toBe(1);
    await page.waitForTimeout(300);
    await screenshot(page, 'admin');
    expect(browser.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });

  it('an analyst and a viewer get no nav entry and an "admins only" message at #/admin', async () => {
    const vera = (await new SessionClient(() => collector.webUrl).login('vera', 'vera-password-1')).status;
    expect(vera).toBe(401); // reset above; the viewer logs in with a password an admin sets now
    const api = new SessionClient(() => collector.webUrl);
    await api.login('admin', ADMIN_PASSWORD);
    expect((await api.write('POST', '/api/users/vera/reset-password', { password: 'vera-password-2' })).status).toBe(200);
    await logOut();
    for (const [user, password, role] of [['ana', 'ana-password-1', 'analyst'], ['vera', 'vera-password-2', 'viewer']] as const) {
      await logIn(user, password);
      expect(await page.locator('header nav a', { hasText: 'Admin' }).count()).toBe(0);
      expect(await page.locator('header nav a', { hasText: 'Calls' }).count()).toBe(1);
      await page.goto(`${collector.webUrl}/#/admin`);
      const message = page.locator('.admins-only');
      await message.waitFor();
      expect(await message.innerText()).toContain('Admin: admins only.');
      expect(await message.innerText()).toContain(`${user} (${role})`);
      expect(await page.locator('.admin-page').count()).toBe(0);
      expect(await page.locator('table.admin-users').count()).toBe(0);
      if (role === 'viewer') await screenshot(page, 'admin-refused');
      await logOut();
    }
  });
});
