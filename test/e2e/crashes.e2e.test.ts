// The Crashes page against the built collector in headless Chromium: a tombstone uploaded through
// the page's file picker (multipart, with the device field) becomes a crash group; the group page
// lists the crash; the crash view shows the frames with trust badges, the device's syslog before
// the crash and the raw download; hostile text in a tombstone stays text. Screenshots land in
// test/artifacts/crashes-*.png.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const SEEN_TIMEOUT_MS = 10_000;
const TOMBSTONE = readFileSync(fileURLToPath(new URL('../fixtures/crash/tombstone_arm32_android8.txt', import.meta.url)), 'utf8');
const SYSLOG_BEFORE = '<131>Nov 26 10:00:03 voip_task[1203]: SipWorker: remote target missing in 180 Ringing';

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;

async function sendSyslog(text: string): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.send(Buffer.from(text), collector.ports.syslogUdp, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

beforeAll(async () => {
  collector = await spawnCollector();
  browser = await launchBrowser();
  page = browser.page;
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshot(page, `failed-crashes-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe('Crashes page', () => {
  it('explains how to send crash dumps before there are any', async () => {
    await page.goto(`${collector.webUrl}/#/crashes`);
    await expect.poll(() => page.locator('.crashes-body .empty').textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain('No crashes yet');
    await screenshot(page, 'crashes-empty');
  });

  it('uploads a tombstone through the page and shows its group, the crash list and the crash with frames', async () => {
    await sendSyslog(SYSLOG_BEFORE);
    await expect.poll(async () => ((await (await fetch(`${collector.webUrl}/api/devices`)).json()) as { devices: unknown[] }).devices.length, { timeout: SEEN_TIMEOUT_MS }).toBe(1);

    await page.fill('.upload-fields input[name=device]', '127.0.0.1');
    await page.fill('.upload-fields input[name=firmware]', 'UC_3.1.0.296');
    await page.setInputFiles('[data-testid=dump-file]', { name: 'tombstone_03', mimeType: 'application/octet-stream', buffer: Buffer.from(TOMBSTONE) });
    await expect.poll(() => page.locator('.upload-status').textContent(), { timeout: SEEN_TIMEOUT_MS }).toMatch(/Stored: 1 crash in group [0-9a-f]{16}/);

    const row = page.locator('[data-testid=crash-groups] tr.group').first();
    await row.waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await row.textContent()).toContain('SIGSEGV/SEGV_MAPERR in libsipua.so!sip_dialog_set_remote_target');
    expect(await row.locator('.spread').textContent()).toContain('UC_3.1.0.296 1');
    expect(await row.locator('.trend .bar:not(.zero)').count()).toBe(1);
    await screenshot(page, 'crashes-groups');

    await row.locator('a.group-title').click();
    const crashLink = page.locator('[data-testid=group-crashes] tbody tr a').first();
    await crashLink.waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await page.locator('[data-testid=group-crashes]').textContent()).toContain('127.0.0.1');
    await screenshot(page, 'crashes-group');

    await crashLink.click();
    const frames = page.locator('[data-testid=crashing-frames] tr.frame');
    await frames.first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await frames.count()).toBeGreaterThan(3);
    expect(await frames.first().textContent()).toContain('sip_dialog_set_remote_target');
    expect(await frames.first().locator('.badge').first().textContent()).toBe('reported');
    expect(await page.locator('.crash-title').textContent()).toContain('SIGSEGV / SEGV_MAPERR at 0x18 in /system/bin/voip_task');
    await expect.poll(() => page.locator('.crash-logs').textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain('remote target missing in 180 Ringing');
    const raw = await page.locator('[data-testid=raw-download]').getAttribute('href');
    const download = await fetch(`${collector.webUrl}${raw}`);
    expect(await download.text()).toBe(TOMBSTONE);
    await screenshot(page, 'crashes-crash');
    expect(browser.errors).toEqual([]);
  });

  it('shows markup in a tombstone as text', async () => {
    const hostile = TOMBSTONE.replace('name: SipWorker  >>> /system/bin/voip_task <<<', 'name: <img src=x id=pwn>  >>> /system/bin/<b id=pwn2>x</b> <<<')
      .replace('pid: 1203', 'pid: 1999');
    const res = await fetch(`${collector.webUrl}/api/dumps?device=127.0.0.1`, { method: 'POST', body: hostile });
    const { dumps } = (await res.json()) as { dumps: Array<{ crashIds: number[]; groups: string[] }> };
    await page.goto(`${collector.webUrl}/#/crashes?group=${dumps[0]!.groups[0]}&crash=${dumps[0]!.crashIds[0]}`);
    await page.locator('.crash-title').waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await page.locator('.crash-title').textContent()).toContain('<b id=pwn2>x</b>');
    expect(await page.locator('#pwn, #pwn2').count()).toBe(0);
  });
});
