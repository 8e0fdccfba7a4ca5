// Hostile text from the network in the real browser: syslog lines, a quality report's identities
// and a tombstone's process name carry markup, script URLs, control, bidi and zero-width characters
// and a 64 KiB line. Every page that shows them must show them as text: no dialog opens, the page's
// CSP sees no violation, the literal markup is in the text and no element from the data is in the
// DOM. Screenshots land in test/artifacts/security-hostile-*.png.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendTcp, waitFor } from '../support/senders.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const SEEN_TIMEOUT_MS = 10_000;
const LONG_LINE_BYTES = 64 * 1024;
const TOMBSTONE = readFileSync(fileURLToPath(new URL('../fixtures/crash/tombstone_arm32_android8.txt', import.meta.url)), 'utf8');
const SCRIPT = '<script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(1)>';

/** Each line names itself so the test can find it; every one is something a page could mistake for markup. */
const HOSTILE_LINES = [
  `hostile-script ${SCRIPT}`,
  `hostile-img ${IMG}`,
  'hostile-link javascript:alert(1) see https://example.invalid/"><svg/onload=alert(1)>',
  'hostile-ctl bell\u0007 escape\u001b[31m red',
  'hostile-bidi file\u202Etxt.exe and zero\u200Bwidth\u200Djoin\uFEFF',
];
const SYSLOG_PREFIX = '<131>Nov 26 10:00:03 voip_task[1203]: ';

const HOSTILE_SIP = {
  callId: `hostile-call-${SCRIPT}`,
  localId: `<sip:${SCRIPT}@pbx.example>`,
  remoteId: `<sip:javascript:alert(1)${IMG}@pbx.example>`,
};
const HOSTILE_PROCESS = '<script>alert(2)</script>';

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;
let sipPort: number;

/** What the init script records in the page: dialogs that were called and CSP violations. */
interface Tripwires { dialogs: string[]; violations: string[] }

async function tripwires(): Promise<Tripwires> {
  return page.evaluate(() => (globalThis as unknown as { __ipp: Tripwires }).__ipp);
}

/** Nothing ran, nothing was blocked, and no element the data described exists. */
async function expectInert(): Promise<void> {
  expect(await tripwires()).toEqual({ dialogs: [], violations: [] });
  // The app ships one script (its bundle); any other <script>, <img>, <svg> or <b> came from data.
  expect(await page.locator('body script, img, svg[onload], [onerror], [onload]').count()).toBe(0);
  expect(browser.errors.filter((e) => /Content Security Policy|Refused to/.test(e))).toEqual([]);
}

async function sendUdp(port: number, text: string): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.send(Buffer.from(text), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

beforeAll(async () => {
  sipPort = (await freePorts(0, 1)).udp[0]!;
  collector = await spawnCollector(['--sip-port', String(sipPort)]);
  browser = await launchBrowser();
  page = browser.page;
  // Runs in the page before its own scripts (this file has no DOM types, hence the casts).
  await page.addInitScript(() => {
    const w = globalThis as unknown as Record<string, unknown> & { __ipp: Tripwires; document: { addEventListener(type: string, fn: (e: { violatedDirective: string; blockedURI: string }) => void): void } };
    w.__ipp = { dialogs: [], violations: [] };
    for (const name of ['alert', 'confirm', 'prompt'] as const) {
      w[name] = (msg?: unknown) => {
        w.__ipp.dialogs.push(`${name}(${String(msg)})`);
        return null;
      };
    }
    w.document.addEventListener('securitypolicyviolation', (e) => w.__ipp.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  for (const line of HOSTILE_LINES) await sendUdp(collector.ports.syslogUdp, SYSLOG_PREFIX + line);
  // A 64 KiB line is past what one UDP datagram carries: it comes over TCP, octet-counted.
  const long = `${SYSLOG_PREFIX}hostile-long ${SCRIPT}${'A'.repeat(LONG_LINE_BYTES)}`;
  await sendTcp(collector.ports.syslogTcp, [`${Buffer.byteLength(long)} ${long}`]);

  const T0 = Date.UTC(2026, 10, 26, 9, 30, 0);
  await sendUdp(sipPort, buildVqPublish({
    collector: '127.0.0.1', source: { ip: '127.0.0.1', port: 5062 }, publishCallId: 'hostile-publish-1',
    report: {
      style: 'audiocodes', ...HOSTILE_SIP,
      localAddr: { ip: '10.0.0.5', port: 6000, ssrc: 1 }, remoteAddr: { ip: '10.0.0.9', port: 6002, ssrc: 2 },
      startMs: T0, stopMs: T0 + 60_000, remote: { mosLq: 4.0 },
    },
  }));

  const hostileDump = TOMBSTONE.replace('name: SipWorker  >>> /system/bin/voip_task <<<', `name: ${HOSTILE_PROCESS}  >>> /system/bin/${IMG} <<<`);
  const res = await fetch(`${collector.webUrl}/api/dumps?device=127.0.0.1`, { method: 'POST', body: hostileDump });
  expect(res.status).toBe(201);

  await waitFor(async () => ((await (await fetch(`${collector.webUrl}/api/logs?q=hostile-&limit=100`)).json()) as { logs: unknown[] }).logs.length,
    (n) => n >= HOSTILE_LINES.length + 1, SEEN_TIMEOUT_MS);
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshot(page, `failed-security-hostile-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe('hostile text in the dashboard', () => {
  it('shows hostile syslog lines on the Logs page as text, control and bidi characters as visible escapes', async () => {
    await page.goto(`${collector.webUrl}/#/logs`);
    await expect.poll(() => page.locator('body').textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain('hostile-long');
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain(SCRIPT);
    expect(text).toContain(IMG);
    expect(text).toContain('javascript:alert(1)');
    // Shown as escapes, not acted on: the override cannot reorder what follows it.
    expect(text).toContain('\\u202e');
    expect(text).toContain('\\u200b');
    expect(text).toContain('\\x07');
    expect(text).not.toContain('\u202E');
    // The script-URL text is not a link.
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    await expectInert();
    await screenshot(page, 'security-hostile-logs');
  });

  it('shows a call with hostile identities as text in the Calls list and the call page', async () => {
    await page.goto(`${collector.webUrl}/#/calls`);
    const row = page.locator('a[href^="#/calls/"]').first();
    await row.waitFor({ timeout: SEEN_TIMEOUT_MS });
    const listText = (await page.locator('body').textContent()) ?? '';
    expect(listText).toMatch(/<script>|javascript:alert\(1\)<img/);
    await expectInert();
    await screenshot(page, 'security-hostile-calls');

    await row.click();
    await expect.poll(() => page.locator('body').textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain(HOSTILE_SIP.callId);
    const detail = (await page.locator('body').textContent()) ?? '';
    expect(detail).toContain(`${SCRIPT}@pbx.example`);
    expect(detail).toContain(`javascript:alert(1)${IMG}`);
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    await expectInert();
    await screenshot(page, 'security-hostile-call');
  });

  it('shows a crash with a hostile process name as text on the Crashes page and the crash view', async () => {
    await page.goto(`${collector.webUrl}/#/crashes`);
    const group = page.locator('[data-testid=crash-groups] tr.group a.group-title').first();
    await group.waitFor({ timeout: SEEN_TIMEOUT_MS });
    // The signature is cut at whitespace: the start of the hostile path is what the group title shows.
    expect(await page.locator('[data-testid=crash-groups]').textContent()).toContain('| <img |');
    await expectInert();
    await screenshot(page, 'security-hostile-crashes');

    await group.click();
    const crashLink = page.locator('[data-testid=group-crashes] tbody tr a').first();
    await crashLink.waitFor({ timeout: SEEN_TIMEOUT_MS });
    await crashLink.click();
    await page.locator('.crash-title').waitFor({ timeout: SEEN_TIMEOUT_MS });
    const view = (await page.locator('body').textContent()) ?? '';
    expect(view).toContain(HOSTILE_PROCESS);
    expect(view).toContain(IMG);
    await expectInert();
    await screenshot(page, 'security-hostile-crash');
  });

  it('has tripwires that do catch a dialog and a blocked inline script (the control for the checks above)', async () => {
    await page.goto(`${collector.webUrl}/#/`);
    await page.locator('nav').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    await page.evaluate(() => {
      const w = globalThis as unknown as { alert(m: string): void; document: { createElement(t: string): { textContent: string }; body: { append(n: unknown): void } } };
      w.alert('probe');
      // The page's CSP has no 'unsafe-inline': an injected inline script is refused and reported.
      const script = w.document.createElement('script');
      script.textContent = 'void 0';
      w.document.body.append(script);
    });
    await expect.poll(async () => (await tripwires()).violations.length, { timeout: SEEN_TIMEOUT_MS }).toBeGreaterThan(0);
    const seen = await tripwires();
    expect(seen.violations.every((v) => /^script-src/.test(v)), seen.violations.join('; ')).toBe(true);
    expect(seen.dialogs).toEqual(['alert(probe)']);
  });
});
