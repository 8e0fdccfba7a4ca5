// The collector's disk fills up in the middle of a syslog flood (a small tmpfs; needs root to
// mount it). The listeners stay up and keep counting, health says the store is degraded and why;
// once space returns, writing resumes, the lines that waited in the bounded queue are stored, the
// ones past it are counted as dropped (received = stored + dropped + malformed), and the database
// is intact.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type BrowserSession } from '../support/browser.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const SMALL_DISK = '8m';
const ROOMY_DISK = '64m';
/** Small enough that the test overflows it within seconds of the disk filling. */
const MAX_QUEUED_LINES = 5000;
const LINE_PADDING_BYTES = 400;
const BURST_LINES = 200;
const FILL_TIMEOUT_MS = 60_000;
const RESUME_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mounts the small disk, or says why this machine cannot (the test then skips with that reason). */
function mountSmallDisk(): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'not root: cannot mount a small tmpfs to fill' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-diskfull-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SMALL_DISK}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `mount -t tmpfs failed (${String((err as Error).message).trim()})` };
  }
}

const disk = mountSmallDisk();
if ('skip' in disk) process.stderr.write(`fault-disk-full: skipped: ${disk.skip}\n`);
let collector: RunningCollector | null = null;
let browser: BrowserSession | null = null;

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  if ('dir' in disk) {
    execFileSync('umount', [disk.dir]);
    rmSync(disk.dir, { recursive: true, force: true });
  }
});

interface SourceCounters { received: number; parsed: number; malformed: number; dropped: number; stored: number; queued: number }
interface Health {
  counters: Record<string, SourceCounters>;
  listeners: Array<{ name: string; state: string }>;
  store: { degraded: boolean; lastError: string | null; writeQueue: number };
}

describe.skipIf('skip' in disk)('a full disk under a syslog flood', () => {
  it('keeps listening and counting, says it is degraded, and resumes writing without silent loss when space returns', async () => {
    const mount = (disk as { dir: string }).dir;
    const dataDir = path.join(mount, 'data');
    mkdirSync(dataDir);
    collector = await spawnCollector(['--data-dir', dataDir, '--store-max-queued', String(MAX_QUEUED_LINES), '--store-batch', '1000', '--store-flush-ms', '20']);
    const c = collector;
    const health = async () => (await (await fetch(`${c.webUrl}/api/health`)).json()) as Health;
    const socket = dgram.createSocket('udp4');
    let sent = 0;
    const padding = 'x'.repeat(LINE_PADDING_BYTES);
    const burst = () => Promise.all(Array.from({ length: BURST_LINES }, () => new Promise<void>((r) =>
      socket.send(`<14>Nov 26 10:00:00 voip_task: disk-full ${sent++} ${padding}`, c.ports.syslogUdp, '127.0.0.1', () => r()))));

    // Flood until a write fails.
    const fillDeadline = Date.now() + FILL_TIMEOUT_MS;
    let h = await health();
    while (!h.store.degraded) {
      if (Date.now() > fillDeadline) throw new Error(`the store never failed after ${sent} lines: ${JSON.stringify(h.store)}`);
      await burst();
      await sleep(5);
      h = await health();
    }
    expect(h.store.lastError).toMatch(/full|ENOSPC|no space/i);

    // Keep sending past the queue's bound: the listeners answer and count, the overflow is dropped and counted.
    const receivedAtFailure = h.counters['syslog-udp']!.received;
    for (let i = 0; i < (2 * MAX_QUEUED_LINES) / BURST_LINES; i++) {
      await burst();
      await sleep(5);
    }
    await sleep(300);
    h = await health();
    expect(h.store.degraded).toBe(true);
    expect(h.listeners.find((l) => l.name === 'syslog-udp')?.state).toBe('listening');
    const during = h.counters['syslog-udp']!;
    expect(during.received).toBe(during.stored + during.dropped + during.malformed + during.queued);
    expect(during.received).toBeGreaterThan(receivedAtFailure);
    expect(during.dropped).toBeGreaterThan(0);
    expect(h.store.writeQueue).toBeLessThanOrEqual(MAX_QUEUED_LINES);
    socket.close();

    // The dashboard says so, loudly, on every page.
    browser = await launchBrowser();
    await browser.page.goto(`${c.webUrl}/#/logs`);
    const banner = browser.page.locator('[data-testid=store-banner]');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await banner.textContent()).toMatch(/^Not storing: .*(full|ENOSPC|no space).* — listeners are up, [\d,]+ lines waiting, writing resumes when space returns$/i);
    // And how close the queue is to its bound: at it, every new line is dropped.
    const gauge = browser.page.locator('[data-queue-full]');
    await expect.poll(async () => gauge.textContent(), { timeout: 10_000 }).toMatch(/^queue [\d,]+ \(100 % full\)$/);
    expect(await gauge.getAttribute('class')).toBe('bad');
    expect(await gauge.getAttribute('title')).toMatch(/of 5,000, .* past either bound new lines are dropped and counted$/);
    await screenshot(browser.page, 'fault-disk-full-banner');

    // Space returns: the queue drains and the flag clears.
    execFileSync('mount', ['-o', `remount,size=${ROOMY_DISK}`, mount]);
    // Quiet: writing resumed, nothing waits, and the count received has stopped moving (datagrams
    // still in the socket buffer of a busy machine are received late). The books balance at every
    // poll on the way, queued lines included.
    const resumeDeadline = Date.now() + RESUME_TIMEOUT_MS;
    let lastReceived = -1;
    for (;;) {
      h = await health();
      const c = h.counters['syslog-udp']!;
      expect(c.received).toBe(c.stored + c.dropped + c.malformed + c.queued);
      if (!h.store.degraded && h.store.writeQueue === 0 && c.queued === 0 && c.received === lastReceived) break;
      lastReceived = c.received;
      if (Date.now() > resumeDeadline) throw new Error(`writing did not resume: ${JSON.stringify(h.store)}`);
      await sleep(200);
    }
    expect(h.store.lastError).toBeNull();
    await browser.page.locator('[data-testid=store-banner]').waitFor({ state: 'hidden', timeout: 10_000 });
    const after = h.counters['syslog-udp']!;
    expect(after.received).toBe(after.stored + after.dropped + after.malformed);
    expect(after.stored).toBeGreaterThan(during.stored);

    await c.kill('SIGTERM');
    const db = new Database(path.join(dataDir, 'ipp-collector.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM logs WHERE body LIKE 'disk-full %'").get() as { n: number }).n;
    db.close();
    expect(rows).toBe(after.stored);
  }, 150_000);
});
