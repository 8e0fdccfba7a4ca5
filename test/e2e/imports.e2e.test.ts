// The Imports page against the built collector in headless Chromium: a simulated capture picked
// through the file input imports with its progress pushed live and ends in a summary linking its
// calls and devices; a pcapng dropped on the drop zone imports too; a hostile file name stays
// text; delete removes the import. Screenshot in test/artifacts/imports-*.png.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simulateToPcap } from '../../server/simulator/run.js';
import { classicRecords, pcapngFile } from '../fixtures/gen-pcapng.js';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const SEEN_TIMEOUT_MS = 20_000;
const PORTS = { syslog: 514, recording: 50000, sip: 5060 };
const HOSTILE_NAME = '<img src=x onerror=alert(1)>.pcap';

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;
let capture: Buffer;

beforeAll(async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-')), 'sim.pcap');
  await simulateToPcap({ target: '192.0.2.200', phones: 3, callsPerHour: 120, durationMs: 90_000, seed: 11, scenario: 'mixed', startMs: Date.parse('2026-02-03T08:00:00Z'), ports: PORTS }, file);
  capture = readFileSync(file);
  collector = await spawnCollector();
  browser = await launchBrowser();
  page = browser.page;
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshot(page, `failed-imports-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe('Imports page', () => {
  it('imports a picked capture and shows its summary with links to its calls and devices', async () => {
    await page.goto(`${collector.webUrl}/#/imports`);
    await expect.poll(() => page.locator('[data-testid=imports] .empty').textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain('No imports yet');
    await page.setInputFiles('[data-testid=capture-file]', { name: HOSTILE_NAME, mimeType: 'application/vnd.tcpdump.pcap', buffer: capture });
    const card = page.locator('[data-testid=import-1]');
    await expect.poll(() => card.locator('[data-testid=import-summary]').textContent(), { timeout: SEEN_TIMEOUT_MS }).toMatch(/3 calls, 3 devices, \d+ log lines/);
    expect(await card.locator('h3').textContent()).toContain(HOSTILE_NAME);
    expect(await page.locator('img').count()).toBe(0);
    const callLinks = await card.locator('a[href^="#/calls/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(callLinks).toHaveLength(3);
    expect(await card.locator('a[href^="#/devices/"]').count()).toBe(3);
    expect(await card.locator('a[href^="#/logs?device="]').count()).toBe(3);
    await screenshot(page, 'imports-summary');
    await card.locator(`a[href="${callLinks[0]}"]`).click();
    await expect.poll(() => page.url()).toContain(callLinks[0]!);
  });

  it('imports a pcapng dropped on the drop zone, then deletes an import', async () => {
    await page.goto(`${collector.webUrl}/#/imports`);
    const ng = pcapngFile([{ interfaces: [{ linkType: 1, tsresol: 9 }], packets: classicRecords(capture).map((r) => ({ interfaceId: 0, timeMs: r.timeMs, data: r.data })) }]);
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.pcapng'));
      document.querySelector('[data-testid=dropzone]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, ng.toString('base64'));
    const card = page.locator('[data-testid=import-2]');
    await expect.poll(() => card.locator('[data-testid=import-summary]').textContent(), { timeout: SEEN_TIMEOUT_MS }).toMatch(/3 calls, 3 devices/);
    page.once('dialog', (d) => void d.accept());
    await page.locator('[data-testid=import-1] button').click();
    await expect.poll(() => page.locator('[data-testid=import-1]').count(), { timeout: SEEN_TIMEOUT_MS }).toBe(0);
    expect(await card.count()).toBe(1);
  });
});
