// Access control end to end on an in-process collector with auth on: roles per route, CSRF,
// login throttling, API tokens, the audit trail, and the socket handshake.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket } from 'socket.io-client';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { DEFAULT_CONFIG, type CollectorConfig } from '../../server/config.js';
import { freePorts } from '../../bench/free-ports.js';
import { sendUdp } from '../support/senders.js';
import { SessionClient } from '../support/session-client.js';

const ADMIN_PASSWORD = 'correct horse battery staple';
const TOMBSTONE = readFileSync(fileURLToPath(new URL('../fixtures/crash/tombstone_arm32_android8.txt', import.meta.url)));

let collector: RunningCollector;
let base: string;
let dataDir: string;
let syslogPort: number;

/** A browser: keeps its cookies and echoes the CSRF token on writes, like the dashboard does. */
class Browser extends SessionClient {
  constructor() {
    super(() => base);
  }
}

const admin = new Browser();
const viewer = new Browser();
const analyst = new Browser();

beforeAll(async () => {
  const p = await freePorts(1, 1);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-security-'));
  syslogPort = p.udp[0]!;
  const config: CollectorConfig = {
    ...DEFAULT_CONFIG, dataDir, bind: '127.0.0.1', webPort: p.tcp[0]!, syslogPort, syslogTcpPort: 0, recordingPort: 0, sipPort: 0,
  };
  process.env.IPP_ADMIN_PASSWORD = ADMIN_PASSWORD;
  collector = await startCollector(config);
  delete process.env.IPP_ADMIN_PASSWORD;
  base = collector.webUrl!.replace(/\/$/, '');
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  for (const [name, role] of [['vera', 'viewer'], ['ana', 'analyst']] as const) {
    expect((await admin.write('POST', '/api/users', { name, role, password: `${name}-password-1` })).status).toBe(201);
  }
  expect((await viewer.login('vera', 'vera-password-1')).status).toBe(200);
  expect((await analyst.login('ana', 'ana-password-1')).status).toBe(200);
  await sendUdp(syslogPort, ['<14>Nov 26 10:00:00 voip_task: call from sip:+15551234@example.com']);
  for (let i = 0; i < 100 && collector.counters.source('syslog-udp').stored === 0; i++) await new Promise((r) => setTimeout(r, 50));
});

afterAll(async () => {
  await collector?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('access to the API', () => {
  it('answers 401 to a request without a session or token, but tells the login page the mode', async () => {
    expect((await fetch(`${base}/api/logs`)).status).toBe(401);
    expect((await fetch(`${base}/api/health`)).status).toBe(401);
    const session = await (await fetch(`${base}/api/auth/session`)).json() as { mode: string; user: unknown };
    expect(session).toMatchObject({ mode: 'on', user: null });
  });

  it('sets the session cookie HttpOnly and SameSite=Strict', async () => {
    const res = await new Browser().request('POST', '/api/auth/login', { user: 'vera', password: 'vera-password-1' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('ipp_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it('lets a viewer read logs and health but not raw bytes, audio, pcaps, dumps or admin routes', async () => {
    expect((await viewer.request('GET', '/api/logs')).status).toBe(200);
    const health = await (await viewer.request('GET', '/api/health')).json() as { auth: { mode: string } };
    expect(health.auth.mode).toBe('on');
    for (const p of ['/api/logs/1/raw', '/api/recordings/calls/1/audio/a.wav', '/api/recordings/calls/1/pcap', '/api/dumps/1/raw', '/api/users', '/api/audit', '/api/tokens']) {
      expect((await viewer.request('GET', p)).status, p).toBe(403);
    }
    expect((await viewer.write('POST', '/api/dumps', new Uint8Array(TOMBSTONE))).status).toBe(403);
    expect((await viewer.write('DELETE', '/api/users/ana')).status).toBe(403);
  });

  it('lets an analyst download raw bytes and upload dumps, but not manage users or delete', async () => {
    const raw = await analyst.request('GET', '/api/logs/1/raw');
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-disposition')).toMatch(/attachment/);
    const up = await analyst.request('POST', '/api/dumps?name=t1', new Uint8Array(TOMBSTONE), { 'x-csrf-token': analyst.csrf, 'content-type': 'application/octet-stream' });
    expect(up.status).toBe(201);
    expect((await analyst.request('GET', '/api/users')).status).toBe(403);
    expect((await analyst.write('DELETE', '/api/users/vera')).status).toBe(403);
  });

  it('refuses a cookie-authenticated write without the CSRF header, or from another origin', async () => {
    const noHeader = await admin.request('POST', '/api/users', { name: 'mallory', role: 'admin', password: 'mallory-password' });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { error: string }).error).toMatch(/X-CSRF-Token/);
    const foreign = await admin.request('POST', '/api/users', { name: 'mallory', role: 'admin', password: 'mallory-password' },
      { 'x-csrf-token': admin.csrf, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const crossSite = await admin.request('POST', '/api/users', { name: 'mallory', role: 'admin', password: 'mallory-password' },
      { 'x-csrf-token': admin.csrf, 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await admin.request('GET', '/api/users')).status).toBe(200);
    const users = await (await admin.request('GET', '/api/users')).json() as { users: Array<{ name: string }> };
    expect(users.users.map((u) => u.name)).not.toContain('mallory');
  });

  it('accepts an API token for scripts (no CSRF needed) until it is revoked', async () => {
    const made = await admin.write('POST', '/api/tokens', { name: 'ci-uploader', role: 'analyst' });
    expect(made.status).toBe(201);
    const { id, token } = await made.json() as { id: number; token: string };
    const bearer = { authorization: `Bearer ${token}` };
    const up = await fetch(`${base}/api/dumps?name=t2`, { method: 'POST', body: TOMBSTONE, headers: { ...bearer, 'content-type': 'application/octet-stream' } });
    expect(up.status).toBeLessThan(300);
    expect((await fetch(`${base}/api/users`, { headers: bearer })).status).toBe(403);
    const listed = await (await admin.request('GET', '/api/tokens')).json() as { tokens: Array<{ id: number; lastUsedAt: string | null }> };
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(listed.tokens.find((t) => t.id === id)!.lastUsedAt).not.toBeNull();
    expect((await admin.write('DELETE', `/api/tokens/${id}`)).status).toBe(200);
    expect((await fetch(`${base}/api/logs`, { headers: bearer })).status).toBe(401);
  });

  it('throttles repeated failed logins per user with a growing wait, even for the right password', async () => {
    expect((await admin.write('POST', '/api/users', { name: 'tom', role: 'viewer', password: 'tom-password-1' })).status).toBe(201);
    const attacker = new Browser();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attacker.login('tom', `guess-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const locked = await attacker.login('tom', 'tom-password-1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const health = await (await admin.request('GET', '/api/health')).json() as { auth: { failedLogins: number; throttledLogins: number } };
    expect(health.auth.failedLogins).toBeGreaterThanOrEqual(5);
    expect(health.auth.throttledLogins).toBeGreaterThanOrEqual(2);
  });

  it('takes a deleted user\'s session away at once', async () => {
    const tom = new Browser();
    await admin.write('POST', '/api/users', { name: 'temp', role: 'viewer', password: 'temp-password-1' });
    expect((await tom.login('temp', 'temp-password-1')).status).toBe(200);
    expect((await admin.write('DELETE', '/api/users/temp')).status).toBe(200);
    expect((await tom.request('GET', '/api/logs')).status).toBe(401);
  });

  it('records logins, failures, downloads, deletes and user changes in the audit trail, for admins', async () => {
    const audit = await (await admin.request('GET', '/api/audit?limit=1000')).json() as { entries: Array<{ actor: string; action: string; target: string; ok: boolean }> };
    const has = (f: (e: { actor: string; action: string; target: string; ok: boolean }) => boolean) => audit.entries.some(f);
    expect(has((e) => e.action === 'login' && e.target === 'vera' && e.ok)).toBe(true);
    expect(has((e) => e.action === 'login' && e.target === 'tom' && !e.ok)).toBe(true);
    expect(has((e) => e.action === 'download' && e.actor === 'ana' && e.target === '/api/logs/1/raw')).toBe(true);
    // Admin changes are named for what they did; other writes keep the method and path.
    expect(has((e) => e.action === 'user.create' && e.target === 'vera' && e.actor === 'admin')).toBe(true);
    expect(has((e) => e.action === 'user.delete' && e.target === 'temp')).toBe(true);
    expect(has((e) => e.action === 'post' && e.target === '/api/users')).toBe(false);
    expect(has((e) => e.action === 'csrf-rejected' && e.actor === 'admin')).toBe(true);
  });

  it('logs out: the session cookie stops working', async () => {
    const b = new Browser();
    await b.login('vera', 'vera-password-1');
    const cookie = b.cookies.get('ipp_session')!;
    await b.write('POST', '/api/auth/logout');
    expect((await fetch(`${base}/api/logs`, { headers: { cookie: `ipp_session=${cookie}` } })).status).toBe(401);
  });
});

describe('access to the live socket', () => {
  const connect = (opts: { cookie?: string; token?: string }) => new Promise<string>((resolve) => {
    const s = connectSocket(base, {
      transports: ['websocket'], reconnection: false,
      ...(opts.cookie ? { extraHeaders: { cookie: opts.cookie } } : {}),
      ...(opts.token ? { auth: { token: opts.token } } : {}),
    });
    s.on('connect', () => { s.close(); resolve('connected'); });
    s.on('connect_error', (err) => { s.close(); resolve(`refused: ${err.message}`); });
  });

  it('refuses a handshake without a session or token and accepts one with either', async () => {
    expect(await connect({})).toMatch(/refused: log in first/);
    expect(await connect({ cookie: `ipp_session=${viewer.cookies.get('ipp_session')!}` })).toBe('connected');
    const { token } = await (await admin.write('POST', '/api/tokens', { name: 'live', role: 'viewer' })).json() as { token: string };
    expect(await connect({ token })).toBe('connected');
    expect(await connect({ token: 'ipp_not-a-token' })).toMatch(/refused/);
  });
});
