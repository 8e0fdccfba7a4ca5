// The Quality page in headless Chromium over a collector holding a seeded fleet: the KPI tiles and
// their change against the day before, the breakdown worst first, the dimension selector, and a
// row's link opening the calls list with exactly that row's calls.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { EXPECTED, FLEET_SITES, PHONES, seedQualityFleet } from '../support/quality-fleet.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;
let dataDir: string;

const text = (selector: string) => page.locator(selector).first().innerText();
const keys = () => page.locator('table.quality-breakdown tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.key));

describe('quality page', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-quality-e2e-'));
    await seedQualityFleet(dataDir, Date.now());
    collector = await spawnCollector(['--data-dir', dataDir, '--sites', FLEET_SITES]);
    browser = await launchBrowser();
    page = browser.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the KPI tiles with the change against the previous 24 h', async () => {
    await page.goto(`${collector.webUrl}/#/quality?range=24h&by=site`);
    await page.locator('[data-kpi="calls"]', { hasText: String(EXPECTED.calls) }).waitFor({ timeout: 15_000 });
    expect(await page.locator('header nav a', { hasText: 'Quality' }).count()).toBe(1);
    expect(await text('[data-kpi="poorPct"]')).toBe(`${((100 * EXPECTED.poor) / EXPECTED.calls).toFixed(1)} %`);
    expect(await text('[data-kpi="oneWay"]')).toBe(String(EXPECTED.oneWay));
    expect(await text('[data-kpi="crashes"]')).toBe('0');
    // 50 calls against 10 the day before; poor share 22 % against 10 %: up, and worse.
    expect(await text('[data-tile="calls"] .delta')).toContain(`▲ +${EXPECTED.calls - EXPECTED.previousCalls}`);
    expect(await text('[data-tile="poorPct"] .delta')).toContain('▲ +12.0 pts');
    expect(await page.locator('[data-tile="poorPct"] .delta.worse').count()).toBe(1);
    expect(await page.locator('.quality-chart canvas').count()).toBe(1);
  });

  it('lists the sites worst first, and the page looks right', async () => {
    expect(await keys()).toEqual(EXPECTED.sites.map(([site]) => site));
    const first = page.locator('table.quality-breakdown tbody tr').first();
    expect(await first.locator('td').nth(1).innerText()).toBe('20');
    expect(await first.locator('td').nth(3).innerText()).toBe('40.0 %');
    await page.waitForTimeout(300);
    await screenshot(page, 'quality');
  });

  it('breaks down by another dimension from the selector', async () => {
    await page.selectOption('select[name="by"]', 'peer');
    await page.waitForFunction(() => location.hash.includes('by=peer'));
    await page.locator('table.quality-breakdown tbody tr[data-key="sbc.carrier-b.net"]').waitFor();
    expect(await keys()).toEqual(['sbc.carrier-b.net', 'pbx.example.com']);
    await page.selectOption('select[name="by"]', 'site');
    await page.locator('table.quality-breakdown th', { hasText: 'Site' }).waitFor();
  });

  it('opens the calls list with only the calls of a row', async () => {
    await page.locator('table.quality-breakdown tbody tr[data-key="Paris"] a.slice-link').click();
    await page.waitForFunction(() => location.hash.startsWith('#/calls?') && location.hash.includes('site=Paris'));
    await page.locator('.statusbar', { hasText: '20 calls match' }).waitFor({ timeout: 10_000 });
    const paris = PHONES.filter((p) => p.address.startsWith('10.2.')).map((p) => p.address);
    const devices = await page.locator('table.calls-table tbody tr td:first-child').allInnerTexts();
    expect(devices).toHaveLength(20);
    expect(devices.every((d) => paris.includes(d))).toBe(true);
    expect(await text('.calls-scope')).toContain('Site: Paris');
    // The row's poor count links to its poor calls only.
    await page.goBack();
    await page.locator('table.quality-breakdown tbody tr[data-key="Paris"] a.poor-link').click();
    await page.locator('.statusbar', { hasText: '8 calls match' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('table.calls-table tbody tr.v-row-poor').count()).toBe(8);
    // Dropping the scope shows every call again.
    await page.locator('.calls-scope .scope-clear').click();
    await page.waitForFunction(() => !location.hash.includes('site='));
  });
});
