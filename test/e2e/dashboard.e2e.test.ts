// The dashboard against the real collector, fed by the phone simulator live (syslog, debug
// recordings, quality reports) and by a seeded two-hour call with a vq-rtcpxr interval report every
// second: overview counts, a poor call appearing in the list live, the call page's charts with the
// loss burst at the simulator's time and the log lines of that moment, zoom, deep links, downloads
// (pcaps through tshark, WAV header, CSV), and the time to draw the two-hour call. Screenshots of
// every page land in test/artifacts/; IPP_UPDATE_SCREENSHOTS=1 refreshes the ones in docs/.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BURST_AT_S, BURST_LEN_S, LONG_CALL_ID, LONG_CALL_S } from '../../bench/seed-calls.js';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendUdp } from '../support/senders.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';
import { requireTshark, runTshark } from '../support/tshark.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = (name: string) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));
const UPDATE_DOCS = process.env['IPP_UPDATE_SCREENSHOTS'] === '1';
const VIEWPORT = { width: 1280, height: 800 };
const SEEN_TIMEOUT_MS = 15_000;

const HISTORY_CALLS = 100_000;
/** A page of the calls list, sorted by any column, answered within this at 100,000 calls (alone: 150–350 ms; generous for a loaded CI). */
const CALLS_PAGE_BUDGET_MS = 2500;
/** Rendering budget asserted (the target on a laptop is 1 s; CI machines are noisier). */
const RENDER_BUDGET_MS = 3000;

/** The simulated fleet: real-time, so phone clocks and arrival times agree as in the field. */
const SIM_SECONDS = 50;
/** Time after the simulation's end for its last reports to arrive and be stored, on a loaded machine. */
const REPORT_SLACK_S = 20;
const SIM_SEED = 11;
const LIVE_SETTLE_MS = 6000;
/** A loss figure no other sample has, to find the live reports on the chart. */
const LIVE_LOSS_PCT = 13.25;
/** The collector's default recording call timeout (30 s) and some. */
const RECORDING_END_WAIT_MS = 40_000;

interface Impairment { kind: string; recordingSession: string; sipCallId: string; start: string; end: string; stream: string }
interface CallJson { id: number; verdict: string; recordingSession: string | null; sipCallId: string | null; active: boolean; deviceId: number | null }
/** What the call page exposes for tests (web/src/call-detail-page.ts ChartsProbe); these run in the page. */
interface Probe {
  drawnAtMs: number | null;
  window: { min: number; max: number };
  panels(): Record<string, DatasetInfo[]>;
  picked(): number | null;
  clientPoint(panel: string, t: number): { x: number; y: number } | null;
}
declare const window: { __ippCharts?: Probe; __noReload?: boolean; __pwned?: number };
interface DatasetInfo { source: string; direction: string | null; metric: string; label: string; points: Array<[number, number | null]> }

let collector: RunningCollector;
let browser: BrowserSession;
let page: Page;
let sipPort: number;
let recordingPort: number;
let tmp: string;
let simulation: Promise<{ code: number | null; stdout: string; stderr: string }> | null = null;
let longCallStartMs = 0;

async function api<T>(p: string): Promise<T> {
  const res = await fetch(collector.webUrl + p);
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The built seeding module, like the collector that opens the directory next: same schema versions. */
async function seedLongCall(dataDir: string): Promise<void> {
  const built = new URL('../../dist/bench/seed-calls.js', import.meta.url).href;
  const { seedCalls } = (await import(built)) as typeof import('../../bench/seed-calls.js');
  ({ longCallStartMs } = await seedCalls(dataDir, HISTORY_CALLS));
}

function startSimulation(eventsFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = ['bin/ipp-collector.js', 'simulate', '--target', '127.0.0.1', '--phones', '3', '--calls-per-hour', '240',
    '--duration', String(SIM_SECONDS), '--scenario', 'bursty-loss', '--seed', String(SIM_SEED), '--events', eventsFile,
    '--syslog-port', String(collector.ports.syslogUdp), '--recording-port', String(recordingPort), '--sip-port', String(sipPort)];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function openCall(id: number, query = ''): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${collector.webUrl}/#/calls/${id}${query}`);
  await page.locator('.call-page[data-charts-ready="1"]').waitFor({ timeout: SEEN_TIMEOUT_MS });
}

function panels(): Promise<Record<string, DatasetInfo[]>> {
  return page.evaluate(() => window.__ippCharts?.panels() ?? {});
}

async function shoot(name: string, doc?: string): Promise<void> {
  await screenshot(page, name);
  if (UPDATE_DOCS && doc) await screenshot(page, name, DOCS(doc));
}

/** In a second tab, so the calls list keeps its page: the overview while the fleet's calls are in progress. */
async function shootOverviewWhileCallsRun(): Promise<void> {
  const tab = await browser.context.newPage();
  try {
    await tab.goto(`${collector.webUrl}/#/`);
    const active = tab.locator('.tiles .tile').nth(1).locator('.tile-value');
    await expect.poll(async () => Number(await active.textContent()), { timeout: SIM_SECONDS * 1000, interval: 250 }).toBeGreaterThan(0);
    await tab.locator('tr[data-recording], tr[data-call]').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    // Rates need two health snapshots; live MOS needs the first computed interval.
    await tab.waitForTimeout(LIVE_SETTLE_MS);
    await screenshot(tab, 'dashboard-overview-live');
    if (UPDATE_DOCS) await screenshot(tab, 'dashboard-overview-live', DOCS('screenshot-overview.png'));
  } finally {
    await tab.close();
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ipp-dash-'));
  const p = await freePorts(1, 1);
  sipPort = p.tcp[0]!;
  recordingPort = p.udp[0]!;
  // The collector opens the data directory the long call was stored in (a later --data-dir wins).
  await seedLongCall(path.join(tmp, 'data'));
  collector = await spawnCollector(['--data-dir', path.join(tmp, 'data'), '--sip-port', String(sipPort), '--recording-port', String(recordingPort)]);
  browser = await launchBrowser(VIEWPORT);
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await simulation;
  await browser?.close();
  await collector?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('dashboard', () => {
  it('lands on the overview, which says what to configure while no phone has sent anything', async () => {
    await page.goto(`${collector.webUrl}/`);
    await expect.poll(() => page.locator('.overview-banner').textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain('Nothing received yet');
    expect(await page.locator('.overview-banner a[href="#/setup"]').count()).toBe(1);
    await shoot('dashboard-overview-empty');
    await expect.poll(() => page.locator('.tiles .tile').first().locator('.tile-value').textContent()).toBe('0');
    const ports = await page.locator('.card', { hasText: 'Listening on' }).textContent();
    expect(ports).toContain(String(recordingPort));
    expect(ports).toContain(String(sipPort));
  });

  it('gives the phone configuration lines with this collector\'s address and ports, and a copy button', async () => {
    await page.goto(`${collector.webUrl}/#/setup`);
    const all = page.locator('#setup-all pre.cfg');
    await expect.poll(() => all.textContent(), { timeout: SEEN_TIMEOUT_MS }).toContain(`voip/packet_recording/remote_port=${recordingPort}`);
    const text = (await all.textContent()) ?? '';
    expect(text).toContain('system/syslog/server_address=127.0.0.1');
    expect(text).toContain(`system/syslog/server_port=${collector.ports.syslogUdp}`);
    expect(text).toContain('voip/packet_recording/remote_ip=127.0.0.1');
    expect(text).toContain('voip/rtcp_xr/vq_statistics/mode=EVENTS_ONLY');
    expect(text).toContain(`voip/qoe/qoe_server_address=127.0.0.1:${sipPort}`);
    expect(await page.locator('#setup-all button.copy').isEnabled()).toBe(true);
    await shoot('dashboard-setup');
  });

  it('draws a two-hour call with a sample every second within the rendering budget, the burst kept', async () => {
    const { calls } = await api<{ calls: CallJson[] }>(`/api/calls?q=${encodeURIComponent(LONG_CALL_ID)}`);
    expect(calls).toHaveLength(1);
    const id = calls[0]!.id;
    // The first load of a page pays for parsing the bundle; measure a warm navigation, as users see it.
    await openCall(id);
    await openCall(id);
    const drawnAtMs = await page.evaluate(() => window.__ippCharts?.drawnAtMs ?? null);
    expect(drawnAtMs).not.toBeNull();
    console.log(`rendering budget: two-hour call (${LONG_CALL_S} samples per metric) drawn ${Math.round(drawnAtMs!)} ms after navigation`);
    expect(drawnAtMs!).toBeLessThan(RENDER_BUDGET_MS);

    const data = await panels();
    const loss = data['loss']!.find((d) => d.metric === 'lossPct' && d.source === 'vq-interval');
    expect(loss).toBeDefined();
    expect(loss!.points.length).toBeLessThanOrEqual(1200);
    const peak = loss!.points.reduce((m, p) => ((p[1] ?? -1) > (m[1] ?? -1) ? p : m));
    expect(peak[1]).toBe(25);
    // Worst-per-bucket decimation: the burst's bucket spans it, so the point sits at most a bucket away.
    expect(peak[0]).toBeGreaterThanOrEqual(longCallStartMs + (BURST_AT_S - 10) * 1000);
    expect(peak[0]).toBeLessThanOrEqual(longCallStartMs + (BURST_AT_S + BURST_LEN_S + 10) * 1000);
    const mos = data['mos']!.find((d) => d.metric === 'mosLq');
    expect(Math.min(...mos!.points.map((p) => p[1] ?? 5))).toBe(1.9);
    await shoot('dashboard-call-2h');
  }, 120_000);

  it('shows a poor call of the simulated fleet in the calls list live, without a reload', async () => {
    await page.goto(`${collector.webUrl}/#/calls?verdict=poor&since=1h`);
    await page.locator('.calls-table tbody tr').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    const before = await page.locator('.calls-table tbody tr[data-call]').count();
    simulation = startSimulation(path.join(tmp, 'events.json'));
    await page.evaluate(() => { window.__noReload = true; });
    const overview = shootOverviewWhileCallsRun();
    // The simulated calls end, and report, as late as the simulation's last second: allow for that plus delivery.
    await expect.poll(() => page.locator('.calls-table tbody tr[data-call]').count(), { timeout: (SIM_SECONDS + REPORT_SLACK_S) * 1000 }).toBeGreaterThan(before);
    expect(await page.evaluate(() => window.__noReload)).toBe(true);
    expect(await page.locator('.calls-table tbody tr[data-call] .verdict').allTextContents()).toContain('poor');
    await shoot('dashboard-calls-live');
    await overview;
  }, (SIM_SECONDS + REPORT_SLACK_S + 20) * 1000);

  it('puts the simulator\'s loss burst at its time on the call page, with the log lines of that moment', async () => {
    const sim = await simulation!;
    expect(sim.code, sim.stderr).toBe(0);
    const events = JSON.parse(readFileSync(path.join(tmp, 'events.json'), 'utf8')) as { impairments: Impairment[] };
    const bursts = events.impairments.filter((i) => i.kind === 'loss-burst' && i.recordingSession);
    expect(bursts.length).toBeGreaterThan(0);
    // A recording joins its call when it ends: at its RTCP BYE, or after the recording call timeout.
    let all: { calls: CallJson[] } = { calls: [] };
    const linked = () => bursts.find((b) => all.calls.some((c) => c.recordingSession === b.recordingSession));
    await expect.poll(async () => {
      all = await api<{ calls: CallJson[] }>('/api/calls?limit=100');
      return linked() !== undefined;
    }, { timeout: RECORDING_END_WAIT_MS, interval: 500 }).toBe(true);
    const burst = linked();
    const call = all.calls.find((c) => c.recordingSession === burst!.recordingSession)!;
    const burstStart = Date.parse(burst!.start);
    const burstEnd = Date.parse(burst!.end);
    await openCall(call.id);
    await shoot('dashboard-call-simulated');

    const data = await panels();
    const loss = data['loss']!.find((d) => d.metric === 'lossPct' && d.source === 'computed-rtp' && d.direction === 'rx');
    expect(loss, JSON.stringify(data['loss']!.map((d) => d.label))).toBeDefined();
    // Computed loss comes in 5-second intervals, drawn mid-interval: the burst's interval is the one with the most loss.
    const inBurst = loss!.points.filter((p) => p[0] >= burstStart - 5000 && p[0] <= burstEnd + 5000);
    const outside = loss!.points.filter((p) => p[0] < burstStart - 5000 || p[0] > burstEnd + 5000);
    const maxIn = Math.max(...inBurst.map((p) => p[1] ?? 0));
    expect(maxIn).toBeGreaterThan(5);
    expect(maxIn).toBeGreaterThan(Math.max(0, ...outside.map((p) => p[1] ?? 0)) - 0.001);

    // A click on the loss chart at the burst picks that moment and scrolls the log list to it.
    const at = (burstStart + burstEnd) / 2;
    const point = await page.evaluate((t) => window.__ippCharts?.clientPoint('loss', t) ?? null, at);
    expect(point).not.toBeNull();
    await page.mouse.click(point!.x, point!.y);
    await expect.poll(() => page.evaluate(() => window.__ippCharts?.picked() ?? null)).not.toBeNull();
    const picked = (await page.evaluate(() => window.__ippCharts?.picked() ?? null))!;
    expect(Math.abs(picked - at)).toBeLessThan(1500);
    expect(page.url()).toContain(`at=${Math.round(picked)}`);
    const rows = await page.locator('.call-logs .row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-t'))));
    expect(rows.length).toBeGreaterThan(0);
    const nearestGap = Math.min(...rows.map((t) => Math.abs(t - picked)));
    const pickedRowT = Number(await page.locator('.call-logs .row.picked').getAttribute('data-t'));
    expect(Math.abs(pickedRowT - picked)).toBe(nearestGap);
    // The picked row is scrolled into the list's view.
    const visible = await page.locator('.call-logs .row.picked').evaluate((row) => {
      const list = row.closest('.call-logs')!.getBoundingClientRect();
      const r = row.getBoundingClientRect();
      return r.top >= list.top - 1 && r.bottom <= list.bottom + 1;
    });
    expect(visible).toBe(true);
    await shoot('dashboard-call-picked');

    // The picked moment is in the URL: reopening it shows the charts with the marker and the list at that line.
    const pickedUrl = page.url();
    await page.setViewportSize({ width: VIEWPORT.width, height: 1200 });
    await page.goto('about:blank');
    await page.goto(pickedUrl);
    await page.locator('.call-page[data-charts-ready="1"]').waitFor({ timeout: SEEN_TIMEOUT_MS });
    await page.locator('.call-logs .row.picked').waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await page.evaluate(() => window.__ippCharts?.picked() ?? null)).toBe(Math.round(picked));
    await shoot('dashboard-call', 'screenshot-call.png');
    await page.setViewportSize(VIEWPORT);

    // A click on a log line marks its moment on the charts.
    const other = page.locator('.call-logs .row').first();
    const otherT = Number(await other.getAttribute('data-t'));
    await other.click();
    await expect.poll(() => page.evaluate(() => window.__ippCharts?.picked() ?? null)).toBe(otherT);
  }, RECORDING_END_WAIT_MS + 30_000);

  it('zooms all charts by dragging, fetches the window in full detail, and reopens the same view from its URL', async () => {
    const { calls } = await api<{ calls: CallJson[] }>(`/api/calls?q=${encodeURIComponent(LONG_CALL_ID)}`);
    const id = calls[0]!.id;
    await openCall(id);
    const from = longCallStartMs + (BURST_AT_S - 60) * 1000;
    const to = longCallStartMs + (BURST_AT_S + 60) * 1000;
    const a = (await page.evaluate((t) => window.__ippCharts?.clientPoint('loss', t) ?? null, from))!;
    const b = (await page.evaluate((t) => window.__ippCharts?.clientPoint('loss', t) ?? null, to))!;
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, a.y, { steps: 4 });
    await page.mouse.move(b.x, b.y, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => page.url()).toContain('from=');
    const win = await page.evaluate(() => window.__ippCharts!.window);
    // One pixel of a two-hour axis is about 9 s.
    expect(Math.abs(win.min - from)).toBeLessThan(20_000);
    expect(Math.abs(win.max - to)).toBeLessThan(20_000);
    // Zoomed in, the server sends every second of the window instead of the whole call decimated.
    await expect.poll(async () => {
      const d = await panels();
      const loss = d['loss']!.find((x) => x.metric === 'lossPct' && x.source === 'vq-interval');
      return loss ? loss.points.filter((p) => p[1] === 25).length : 0;
    }, { timeout: SEEN_TIMEOUT_MS }).toBe(BURST_LEN_S);
    for (const panel of ['mos', 'jitter', 'rtt']) {
      const x = await page.evaluate((p) => window.__ippCharts?.clientPoint(p, 0) ?? null, panel);
      expect(x).not.toBeNull();
    }
    await shoot('dashboard-call-zoomed');

    const url = page.url();
    await page.goto('about:blank');
    await page.goto(url);
    await page.locator('.call-page[data-charts-ready="1"]').waitFor({ timeout: SEEN_TIMEOUT_MS });
    const again = await page.evaluate(() => window.__ippCharts!.window);
    expect(again).toEqual({ min: Math.floor(win.min), max: Math.ceil(win.max) });
    await page.locator('button.reset-zoom').click();
    await expect.poll(() => page.url()).not.toContain('from=');
  }, 60_000);

  it('grows a call\'s charts live as its quality reports arrive, without a reload', async () => {
    const { calls } = await api<{ calls: CallJson[] }>(`/api/calls?q=${encodeURIComponent(LONG_CALL_ID)}`);
    await openCall(calls[0]!.id);
    await page.evaluate(() => { window.__noReload = true; });
    const end = longCallStartMs + LONG_CALL_S * 1000;
    const reports = [0, 1, 2].map((i) => buildVqPublish({
      report: {
        kind: 'interval', style: 'audiocodes', callId: LONG_CALL_ID,
        localId: '<sip:1000@pbx.example.com>', remoteId: '<sip:2000@pbx.example.com>',
        localAddr: { ip: '127.0.0.1', port: 6000, ssrc: 0x11223344 }, remoteAddr: { ip: '198.51.100.9', port: 6002, ssrc: 0x55667788 },
        startMs: end + i * 1000, stopMs: end + (i + 1) * 1000, local: { lossPct: LIVE_LOSS_PCT, mosLq: 3.3 },
      },
      collector: '127.0.0.1', source: { ip: '127.0.0.1', port: 5062 }, publishCallId: `live-${i}@127.0.0.1`,
    }));
    await sendUdp(sipPort, reports);
    await expect.poll(async () => {
      const d = await panels();
      return (d['loss'] ?? []).flatMap((x) => x.points).filter((p) => p[1] === LIVE_LOSS_PCT).length;
    }, { timeout: SEEN_TIMEOUT_MS }).toBe(reports.length);
    expect(await page.evaluate(() => window.__noReload)).toBe(true);
  });

  it('searches the calls list and shows hostile text from a report as text', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1">\u202eevil';
    await sendUdp(sipPort, [buildVqPublish({
      report: {
        kind: 'session', style: 'audiocodes', callId: 'hostile-1@127.0.0.1',
        localId: '<sip:1000@pbx.example.com>', remoteId: `<sip:${hostile}@pbx.example.com>`,
        localAddr: { ip: '127.0.0.1', port: 6010, ssrc: 0x01020304 }, remoteAddr: { ip: '198.51.100.10', port: 6012, ssrc: 0x05060708 },
        startMs: Date.now() - 60_000, stopMs: Date.now(), local: { lossPct: 1 },
      },
      collector: '127.0.0.1', source: { ip: '127.0.0.1', port: 5062 }, publishCallId: 'hostile-pub@127.0.0.1',
    })]);
    await page.goto(`${collector.webUrl}/#/calls`);
    await page.locator('input[name="q"]').fill('hostile-1');
    await page.locator('input[name="q"]').press('Enter');
    await expect.poll(() => page.url()).toContain('q=hostile-1');
    const row = page.locator('.calls-table tbody tr[data-call]');
    await expect.poll(() => row.count(), { timeout: SEEN_TIMEOUT_MS }).toBe(1);
    expect(await row.locator('td').nth(1).textContent()).toContain('<img src=x onerror="window.__pwned=1">\\u202eevil');
    expect(await page.locator('.calls-table img').count()).toBe(0);
    await row.locator('td').nth(2).click();
    await page.locator('.call-page[data-charts-ready="1"]').waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await page.locator('.call-header h1').textContent()).toContain('<img src=x');
    expect(await page.locator('.call-page img').count()).toBe(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  });

  it('shades the stretch between two reports of a call as a hold', async () => {
    const t0 = Date.now() - 120_000;
    const report = (startMs: number, stopMs: number, n: number) => buildVqPublish({
      report: {
        kind: 'session', style: 'audiocodes', callId: 'held-1@127.0.0.1', localId: '<sip:1000@pbx.example.com>', remoteId: '<sip:2000@pbx.example.com>',
        localAddr: { ip: '127.0.0.1', port: 6020, ssrc: 0x0a0b0c0d }, remoteAddr: { ip: '198.51.100.11', port: 6022, ssrc: 0x0e0f1011 }, startMs, stopMs,
      },
      collector: '127.0.0.1', source: { ip: '127.0.0.1', port: 5062 }, publishCallId: `held-pub-${n}@127.0.0.1`,
    });
    await sendUdp(sipPort, [report(t0, t0 + 30_000, 1), report(t0 + 50_000, t0 + 80_000, 2)]);
    let id = 0;
    await expect.poll(async () => {
      const { calls } = await api<{ calls: Array<CallJson & { segments: unknown[] }> }>('/api/calls?q=held-1');
      id = calls[0]?.id ?? 0;
      return calls[0]?.segments.length ?? 0;
    }, { timeout: SEEN_TIMEOUT_MS }).toBe(2);
    await openCall(id);
    const holds = page.locator('.segments li', { hasText: 'hold?' });
    expect(await holds.count()).toBe(1);
    expect(await holds.textContent()).toMatch(/hold\? \d\d:\d\d:\d\d – \d\d:\d\d:\d\d/);
  });

  it('downloads pcaps that tshark reads, a valid 8 kHz WAV and the quality CSV from the call page', async () => {
    const all = await api<{ calls: CallJson[] }>('/api/calls?limit=100');
    const recorded = all.calls.find((c) => c.recordingSession);
    expect(recorded).toBeDefined();
    await openCall(recorded!.id);
    await page.locator('.call-side .downloads a[href*="form=plain"]').waitFor({ timeout: SEEN_TIMEOUT_MS });
    const hrefs = await page.locator('.call-side a.download').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    const get = async (href: string): Promise<Buffer> => {
      const res = await fetch(collector.webUrl + href);
      expect(res.status, href).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };
    for (const form of ['original', 'plain']) {
      const href = hrefs.find((h) => h.includes(`form=${form}`));
      expect(href).toBeDefined();
      const file = path.join(tmp, `${form}.pcap`);
      writeFileSync(file, await get(href!));
      if (requireTshark()) {
        const frames = runTshark(file, ['-T', 'fields', '-e', 'frame.number']).trim().split('\n').filter(Boolean);
        expect(frames.length).toBeGreaterThan(100);
      }
    }
    const wavHref = hrefs.find((h) => h.endsWith('.wav'));
    expect(wavHref).toBeDefined();
    const wav = await get(wavHref!);
    expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('ascii')).toBe('WAVE');
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(await page.locator('.call-side audio').count()).toBeGreaterThan(0);
    // The recording kinds list: the simulated call is RTP only, its datagrams counted, played by the RTP players.
    const kindRows = page.locator('.call-side table.recording-kinds tbody tr');
    expect(await kindRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).toEqual(['rtp']);
    expect(await kindRows.locator('td').allTextContents()).toEqual(['RTP', expect.stringMatching(/^[1-9][\d,]*$/), expect.stringMatching(/B$/), 'the RTP players below']);
    const csvHref = hrefs.find((h) => h.endsWith('samples.csv'));
    const csv = (await get(csvHref!)).toString('utf8').split('\r\n');
    expect(csv[0]).toMatch(/^start,end,stream_id,direction,source,mosLq \(MOS\)/);
    expect(csv.length).toBeGreaterThan(5);
  }, 60_000);

  it('shows the fleet on the overview and the devices, with each phone\'s page and its live log tail', async () => {
    const devices = await api<{ devices: Array<{ address: string; online: boolean }> }>('/api/devices');
    const poorDay = await api<{ total: number }>(`/api/calls?verdict=poor&from=${Date.now() - 86_400_000}&limit=1`);
    await page.goto(`${collector.webUrl}/#/`);
    const tileValue = (i: number) => page.locator('.tiles .tile').nth(i).locator('.tile-value').textContent();
    await expect.poll(() => tileValue(0), { timeout: SEEN_TIMEOUT_MS }).toBe(String(devices.devices.filter((d) => d.online).length));
    await expect.poll(() => tileValue(3), { timeout: SEEN_TIMEOUT_MS }).toBe(String(poorDay.total));
    await expect.poll(() => page.locator('.card', { hasText: 'Ingest' }).locator('tr[data-source="recordings"] td').nth(1).textContent(), { timeout: SEEN_TIMEOUT_MS })
      .not.toBe('0');
    expect(await page.locator('.card', { hasText: 'Poor calls, last 24 h' }).locator('tbody tr a[href^="#/calls/"]').count()).toBeGreaterThan(0);
    // Rates come from two successive health snapshots (2 s apart).
    await expect.poll(() => page.locator('tr[data-source="recordings"] td').first().textContent(), { timeout: SEEN_TIMEOUT_MS }).toMatch(/^[\d.,]+$/);
    await shoot('dashboard-overview');

    await page.goto(`${collector.webUrl}/#/calls`);
    await page.locator('.calls-table tbody tr[data-call]').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    expect(await page.locator('.pager .range').textContent()).toMatch(/of 100,0\d\d$/);
    await page.locator('button.sort[data-sort="worstMos"]').click();
    await expect.poll(() => page.url()).toContain('sort=worstMos');
    await expect.poll(() => page.locator('.calls-table tbody tr[data-call] .verdict').first().textContent()).toBe('poor');
    await shoot('dashboard-calls', 'screenshot-calls.png');
    // Server-side sorting and paging at 100,000 calls: each page is answered quickly, whatever the column.
    const timings: string[] = [];
    for (const sort of ['start', 'worstMos', 'loss', 'jitter', 'duration']) {
      const t0 = performance.now();
      const res = await api<{ calls: unknown[]; total: number }>(`/api/calls?sort=${sort}&order=desc&offset=50000&limit=50`);
      const ms = performance.now() - t0;
      timings.push(`${sort} ${Math.round(ms)} ms`);
      expect(res.calls).toHaveLength(50);
      expect(ms).toBeLessThan(CALLS_PAGE_BUDGET_MS);
    }
    const t0 = performance.now();
    await api('/api/calls?q=3456&limit=50');
    timings.push(`search ${Math.round(performance.now() - t0)} ms`);
    console.log(`calls list at ${HISTORY_CALLS.toLocaleString('en')} calls, page 1,001 by: ${timings.join(', ')}`);

    await page.goto(`${collector.webUrl}/#/devices`);
    const sim = devices.devices.find((d) => d.address.startsWith('127.0.1.'))!;
    const row = page.locator(`tr[data-device="${sim.address}"]`);
    await row.waitFor({ timeout: SEEN_TIMEOUT_MS });
    await expect.poll(() => row.locator('td').nth(10).textContent(), { timeout: SEEN_TIMEOUT_MS }).not.toBe('…');
    await shoot('dashboard-devices');
    await row.locator(`a[href="#/devices/${sim.address}"]`).click();
    await page.locator('.device-calls tbody tr a[href^="#/calls/"]').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    await page.locator('.device-page .logs-page .rows .row').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    const devicesShown = await page.locator('.device-page .logs-page .rows .row .c-dev').allTextContents();
    expect(new Set(devicesShown)).toEqual(new Set([sim.address]));
    await shoot('dashboard-device');
    await page.goto(`${collector.webUrl}/#/logs?device=${sim.address}`);
    await page.locator('.logs-page .rows .row').first().waitFor({ timeout: SEEN_TIMEOUT_MS });
    await shoot('dashboard-logs');
    expect(browser.errors).toEqual([]);
  }, 60_000);
});
