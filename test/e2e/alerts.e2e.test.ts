// The Alerts page in headless Chromium over a collector with logins on: an admin's create form
// shows the server's 400 sentence, then makes a call-MOS rule; the simulator's bursty-loss fleet
// triggers it, "Evaluate now" runs a pass, and the episode shows under Firing now with its message
// and a deep link that opens the call; its webhook, which answers 503, shows as a failed delivery
// after its attempts; a silence from its Silence button marks it silenced. A
// viewer sees the same lists without any write control.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { SessionClient } from '../support/session-client.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN_PASSWORD = 'admin-password-for-e2e';
const VIEWER_PASSWORD = 'vera-password-1';
/** bursty-loss calls score well below this; a clean call would not. */
const MOS_THRESHOLD = '4.3';
const SEEN_TIMEOUT_MS = 30_000;

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;
let sipPort = 0;
let recordingPort = 0;
/** A receiver that is down: every delivery attempt gets a 503. */
let hook: http.Server;
let hookHits = 0;

async function logIn(user: string, password: string): Promise<void> {
  await page.goto(`${collector.webUrl}/#/`);
  await page.locator('form.login input[name="user"]').fill(user);
  await page.locator('form.login input[name="password"]').fill(password);
  await page.locator('form.login button[type="submit"]').click();
  await page.locator('header.top .user-name', { hasText: user }).waitFor({ timeout: 10_000 });
}

/** Two phones' bursty-loss calls, 120 simulated seconds at 30x: every call has ended when it exits. */
function simulate(): Promise<{ code: number | null; stderr: string }> {
  const args = ['bin/ipp-collector.js', 'simulate', '--target', '127.0.0.1', '--phones', '2', '--calls-per-hour', '240',
    '--duration', '120', '--speed', '30', '--scenario', 'bursty-loss', '--seed', '7',
    '--syslog-port', String(collector.ports.syslogUdp), '--recording-port', String(recordingPort), '--sip-port', String(sipPort)];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

const firingRows = () => page.locator('table.alerts-firing tbody tr[data-episode]');

describe('alerts page', () => {
  beforeAll(async () => {
    hook = http.createServer((req, res) => {
      hookHits += 1;
      req.resume();
      res.writeHead(503).end('down for maintenance');
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const p = await freePorts(1, 1);
    sipPort = p.tcp[0]!;
    recordingPort = p.udp[0]!;
    process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
    try {
      // Passes only on demand, so the test decides when the rule is evaluated.
      collector = await spawnCollector(['--auth', 'on', '--alert-interval', '0', '--alert-max-attempts', '2', '--sip-port', String(sipPort), '--recording-port', String(recordingPort)]);
    } finally {
      delete process.env.IPP_ADMIN_PASSWORD;
    }
    const api = new SessionClient(() => collector.webUrl);
    expect((await api.login('admin', ADMIN_PASSWORD)).status).toBe(200);
    expect((await api.write('POST', '/api/users', { name: 'vera', role: 'viewer', password: VIEWER_PASSWORD })).status).toBe(201);
    browser = await launchBrowser({ width: 1440, height: 1500 });
    page = browser.page;
    page.on('dialog', (d) => void d.accept());
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    await new Promise((resolve) => hook?.close(resolve));
  });

  it('an admin creates a rule, after the server named the bad field', async () => {
    await logIn('admin', ADMIN_PASSWORD);
    await page.locator('header nav a', { hasText: 'Alerts' }).click();
    await page.waitForFunction(() => location.hash === '#/alerts');
    const form = page.locator('form[aria-label="Create a rule"]');
    await form.waitFor({ state: 'visible', timeout: 10_000 });
    await form.locator('input[name="rule-name"]').fill('Bad calls');
    // The parameter fields follow the kind.
    await form.locator('select[name="rule-kind"]').selectOption('call-mos-below');
    await expect.poll(() => form.locator('input[name="param-mos"]').count()).toBe(1);
    expect(await form.locator('input[name="param-thresholdPct"]').count()).toBe(0);
    await form.locator('input[name="param-mos"]').fill('7');
    await form.locator('button[type="submit"]').click();
    const message = page.locator('section[data-section="rules"] p.admin-message');
    await expect.poll(() => message.getAttribute('class')).toContain('bad');
    expect(await message.innerText()).toMatch(/mos/i);

    await form.locator('input[name="param-mos"]').fill(MOS_THRESHOLD);
    await form.locator('input[name="webhook-url"]').fill(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`);
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => message.innerText()).toBe('Created rule Bad calls.');
    const row = page.locator('table.alerts-rules tr[data-rule]', { hasText: 'Bad calls' });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.innerText()).toContain(`mos ${MOS_THRESHOLD}`);
    expect(await row.innerText()).toContain('webhook http://127.0.0.1:');
  });

  it('the simulator triggers it and the episode fires with a message and a working deep link', async () => {
    const sim = await simulate();
    expect(sim.code, sim.stderr).toBe(0);
    // Calls are stored shortly after they end; each click runs one pass.
    await expect.poll(async () => {
      await page.locator('button.evaluate').click();
      await page.waitForTimeout(500);
      return firingRows().count();
    }, { timeout: SEEN_TIMEOUT_MS, interval: 1000 }).toBeGreaterThan(0);
    const row = firingRows().first();
    expect(await row.locator('td').nth(0).innerText()).toBe('Bad calls');
    expect(await row.locator('td').nth(1).innerText()).toMatch(/^call=\d+$/);
    expect(await row.locator('td.alert-msg').innerText()).toMatch(/MOS/);
    const link = row.locator('a.deep-link');
    expect(await link.getAttribute('href')).toMatch(/^#\/calls\/\d+$/);
    // The health strip counts it.
    await expect.poll(() => page.locator('.health a.alerts-badge').innerText(), { timeout: 10_000 }).toMatch(/alerts [1-9]\d* firing/);

    // The receiver is down: retried once after its back-off, then failed and shown, not dropped.
    const failed = page.locator('table.alerts-deliveries tr.delivery-failed').first();
    await failed.waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await failed.locator('td').nth(5).innerText()).toBe('2');
    expect(await failed.locator('td').nth(6).innerText()).toMatch(/503/);
    expect(hookHits).toBeGreaterThanOrEqual(2);

    await link.click();
    await page.waitForFunction(() => /^#\/calls\/\d+$/.test(location.hash));
    await page.locator('.call-page').waitFor({ timeout: 10_000 });
    await page.goBack();
    await firingRows().first().waitFor({ timeout: 10_000 });
  });

  it('the Silence button silences the episode and it is marked silenced', async () => {
    const row = firingRows().first();
    const key = await row.locator('td').nth(1).innerText();
    await row.locator('button.silence').click();
    const form = page.locator('form[aria-label="Create a silence"]');
    expect(await form.locator('input[name="silence-key"]').inputValue()).toBe(key);
    await form.locator('input[name="silence-comment"]').fill('known bad link');
    await form.locator('button[type="submit"]').click();
    const silence = page.locator('table.alerts-silences tr[data-silence]');
    await silence.first().waitFor({ timeout: 10_000 });
    expect(await silence.first().innerText()).toContain('known bad link');
    const silenced = page.locator('table.alerts-firing tr.silenced', { hasText: key });
    await silenced.waitFor({ timeout: 10_000 });
    expect(await silenced.locator('.badge.silenced').innerText()).toMatch(/^silenced until /);
    await page.locator('section[data-section="firing"]').scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'alerts');
  });

  it('a viewer sees the lists but no write control', async () => {
    await page.locator('button.logout').click();
    await page.locator('form.login').waitFor({ timeout: 10_000 });
    await logIn('vera', VIEWER_PASSWORD);
    await page.goto(`${collector.webUrl}/#/alerts`);
    await firingRows().first().waitFor({ timeout: 10_000 });
    await page.locator('table.alerts-rules tr[data-rule]').first().waitFor({ timeout: 10_000 });
    // Give the session answer time to arrive before asserting absence.
    await page.waitForTimeout(500);
    for (const sel of ['form[aria-label="Create a rule"]', 'form[aria-label="Create a silence"]', 'button.evaluate', 'button.silence', 'button.delete']) {
      expect(await page.locator(sel).filter({ visible: true }).count(), sel).toBe(0);
    }
    expect(await page.locator('table.alerts-rules input[name="rule-enabled"]').first().isDisabled()).toBe(true);
    await screenshot(page, 'alerts-viewer');
  });
});
