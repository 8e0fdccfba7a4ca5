// Alerts end to end on the built collector: rules from the API and the config file, evaluated on
// a seeded fleet (poor calls at one site) and on a phone that goes quiet, delivered to a real
// HTTP receiver (which fails the first attempts: retried with back-off, signed, delivered once)
// and a real SMTP server on loopback (smtp-server); a receiver that never accepts ends `failed`,
// listed and counted. Silences record without delivering.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { io as ioClient } from 'socket.io-client';
import { freePorts } from '../../bench/free-ports.js';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDelivery, AlertEpisode } from '../../server/store/alert-store.js';
import { FLEET_SITES, seedQualityFleet } from '../support/quality-fleet.js';
import { sendUdp, waitFor } from '../support/senders.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const PUBLIC_URL = 'https://collector.example.test/';
const SECRET = 'hook-secret-7';

interface Hit { at: number; headers: http.IncomingHttpHeaders; body: string; status: number }
interface Mail { from: string; to: string[]; raw: string }

let collector: RunningCollector;
let dataDir: string;
let sipPort: number;
let smtp: SMTPServer;
const mails: Mail[] = [];
const flaky = { hits: [] as Hit[], server: null as http.Server | null, port: 0 };
const dead = { hits: [] as Hit[], server: null as http.Server | null, port: 0 };

function receiver(r: typeof flaky, statusFor: (n: number) => number): Promise<void> {
  r.server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statusFor(r.hits.length);
      r.hits.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'busy, try later');
    });
  });
  return new Promise((resolve) => r.server!.listen(0, '127.0.0.1', () => { r.port = (r.server!.address() as AddressInfo).port; resolve(); }));
}

/** Quoted-printable soft breaks and escapes undone, so links read whole. */
const decoded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
const subjectOf = (m: Mail) => /^Subject: (.*)$/m.exec(m.raw)?.[1]?.trim() ?? '';

async function api<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${collector.webUrl}${p}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

const episodes = async (q = '') => (await api<{ episodes: AlertEpisode[] }>('GET', `/api/alerts/episodes${q}`)).body.episodes;
const deliveries = async () => (await api<{ deliveries: AlertDelivery[] }>('GET', '/api/alerts/deliveries')).body.deliveries;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-alerts-'));
  await seedQualityFleet(dataDir, Date.now());
  await receiver(flaky, (n) => (n < 2 ? 503 : 200));
  await receiver(dead, () => 503);
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, done) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => { raw += c; });
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  sipPort = (await freePorts(1, 0)).tcp[0]!;
  const config = path.join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({
    alerts: { rules: [{ name: 'Lab phone silent', kind: 'device-silent', params: { minutes: 0.05 }, scope: { site: 'Lab' }, channels: { email: { to: ['oncall@example.test'] } } }] },
  }));
  collector = await spawnCollector([
    '--data-dir', dataDir, '--config', config, '--sites', `${FLEET_SITES};Lab=127.0.0.0/8`,
    '--smtp-url', `smtp://127.0.0.1:${smtpPort}`, '--alert-from', 'alerts@collector.example.test', '--public-url', PUBLIC_URL,
    '--alert-interval', '0.5', '--alert-max-attempts', '3', '--sip-port', String(sipPort),
  ]);
}, 60_000);

afterAll(async () => {
  await collector?.stop();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  flaky.server?.close();
  dead.server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('alert rules', () => {
  it('loads the config file\'s rules as source config, which the API may not change', async () => {
    const { body } = await api<{ rules: Array<{ id: number; name: string; source: string }> }>('GET', '/api/alerts/rules');
    expect(body.rules).toEqual([expect.objectContaining({ name: 'Lab phone silent', kind: 'device-silent', source: 'config', params: { minutes: 0.05 } })]);
    const patch = await api<{ error: string }>('PATCH', `/api/alerts/rules/${body.rules[0]!.id}`, { enabled: false });
    expect(patch.status).toBe(409);
    expect(patch.body.error).toMatch(/defined in the config file/);
    const bad = await api<{ error: string }>('POST', '/api/alerts/rules', { name: 'x', kind: 'poor-call-rate', params: { thresholdPct: 30, windowMin: 0 } });
    expect(bad).toEqual({ status: 400, body: { error: 'params.windowMin: 0 is not a number from 1 to 10080' } });
  });
});

describe('delivery', () => {
  it('retries a webhook that fails with back-off, signs it, delivers it once, and mails the same episode', async () => {
    const created = await api<{ rule: { id: number; channels: unknown } }>('POST', '/api/alerts/rules', {
      name: 'Poor calls', kind: 'poor-call-rate', params: { thresholdPct: 30, windowMin: 1440, minCalls: 10, by: 'site' },
      channels: { webhook: { url: `http://127.0.0.1:${flaky.port}/hooks/ipp`, secret: SECRET }, email: { to: ['noc@example.test'] } },
    });
    expect(created.status).toBe(201);
    expect(created.body.rule.channels).toEqual({ webhook: { url: `http://127.0.0.1:${flaky.port}/hooks/ipp`, hasSecret: true }, email: { to: ['noc@example.test'] } });
    const ruleId = created.body.rule.id;

    const hits = await waitFor(async () => flaky.hits, (h) => h.some((x) => x.status === 200), 20_000);
    expect(hits.map((h) => h.status)).toEqual([503, 503, 200]);
    // One delivery, attempted three times, 1 s then 2 s apart.
    expect(new Set(hits.map((h) => h.headers['x-ipp-delivery'])).size).toBe(1);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(900);
    expect(hits[2]!.at - hits[1]!.at).toBeGreaterThanOrEqual(1900);
    const ok = hits[2]!;
    expect(ok.headers['x-ipp-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(ok.body).digest('hex')}`);
    expect(ok.headers['x-ipp-event']).toBe('firing');
    const payload = JSON.parse(ok.body) as { version: number; event: string; rule: { id: number; name: string }; episode: AlertEpisode; url: string };
    expect(payload).toMatchObject({ version: 1, event: 'firing', rule: { id: ruleId, name: 'Poor calls', kind: 'poor-call-rate' } });
    expect(payload.episode).toMatchObject({ ruleId, key: 'site=Paris', state: 'firing', lastValue: 40, silenced: false });
    expect(payload.episode.message).toBe('Poor calls at site Paris: 40 % of 20 judged calls in the last 24 h (threshold 30 %).');
    expect(payload.url.startsWith(`${PUBLIC_URL}#/calls?verdict=poor&startFrom=`)).toBe(true);
    expect(payload.url.endsWith('&site=Paris')).toBe(true);
    // The deep link opens exactly the poor calls it counted.
    const calls = await api<{ total: number }>('GET', `/api/calls?${payload.episode.link.split('?')[1]}`);
    expect(calls.body.total).toBe(8);

    const mail = await waitFor(async () => mails.find((m) => subjectOf(m) === '[ipp-collector] FIRING: Poor calls site=Paris'), (m) => m !== undefined, 10_000);
    expect(mail).toBeDefined();
    expect(mail!.from).toBe('alerts@collector.example.test');
    expect(mail!.to).toEqual(['noc@example.test']);
    expect(decoded(mail!.raw)).toContain(payload.episode.message);
    expect(decoded(mail!.raw)).toContain(`Open in the dashboard: ${payload.url}`);

    // More passes, same condition: no second episode, no second delivery.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await episodes(`?ruleId=${ruleId}`)).map((e) => [e.key, e.state])).toEqual([['site=Paris', 'firing']]);
    const mine = (await deliveries()).filter((d) => d.ruleId === ruleId);
    expect(mine.map((d) => [d.channel, d.state, d.attempts]).sort()).toEqual([['email', 'delivered', 1], ['webhook', 'delivered', 3]]);
    expect(flaky.hits).toHaveLength(3);
    expect(mails.filter((m) => subjectOf(m).includes('Poor calls'))).toHaveLength(1);
    expect(JSON.stringify(mine)).not.toContain(SECRET);
  }, 40_000);

  it('marks a delivery that never gets through failed, lists it and counts it in /api/health and /metrics', async () => {
    const { body } = await api<{ rule: { id: number } }>('POST', '/api/alerts/rules', {
      name: 'Poor calls (dead hook)', kind: 'poor-call-rate', params: { thresholdPct: 30, windowMin: 1440, minCalls: 10, by: 'site' },
      channels: { webhook: { url: `http://127.0.0.1:${dead.port}/` } },
    });
    const failed = await waitFor(async () => (await deliveries()).find((d) => d.ruleId === body.rule.id), (d) => d?.state === 'failed', 20_000);
    expect(failed).toMatchObject({ channel: 'webhook', state: 'failed', attempts: 3, lastError: 'HTTP 503: busy, try later', nextAttemptAt: null, deliveredAt: null, event: 'firing' });
    expect(dead.hits).toHaveLength(3);
    expect(dead.hits[0]!.headers['x-ipp-signature']).toBeUndefined();
    const health = await api<{ alerts: { rules: number; firing: number; deliveriesFailed: number; deliveriesPending: number } }>('GET', '/api/health');
    expect(health.body.alerts).toMatchObject({ rules: 3, deliveriesFailed: 1, deliveriesPending: 0 });
    expect(health.body.alerts.firing).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(`${collector.webUrl}/metrics`)).text();
    expect(metrics).toContain('ipp_alert_deliveries_failed 1');
    expect(metrics).toMatch(/ipp_alert_delivery_attempts_total\{channel="webhook",outcome="failed"\} 1/);
    expect(metrics).toMatch(/ipp_alert_delivery_attempts_total\{channel="webhook",outcome="retrying"\} 4/);
  }, 30_000);

  it('fires when a phone goes quiet, resolves when it speaks again, and a silence records without mailing', async () => {
    const line = () => sendUdp(collector.ports.syslogUdp, [`<134>1 ${new Date().toISOString()} lab-phone ipp - - - registered`]);
    const silentMails = () => mails.filter((m) => subjectOf(m).includes('Lab phone silent'));
    await line();
    const firing = await waitFor(async () => silentMails(), (m) => m.length >= 1, 15_000);
    expect(firing.map(subjectOf)).toEqual(['[ipp-collector] FIRING: Lab phone silent device=127.0.0.1']);
    expect(firing[0]!.to).toEqual(['oncall@example.test']);
    expect(decoded(firing[0]!.raw)).toContain(`Open in the dashboard: ${PUBLIC_URL}#/devices/127.0.0.1`);
    const [episode] = await episodes('?state=firing&limit=1');
    expect(episode).toMatchObject({ key: 'device=127.0.0.1', kind: 'device-silent', ruleName: 'Lab phone silent', silenced: false });

    await line();
    const both = await waitFor(async () => silentMails(), (m) => m.length >= 2, 10_000);
    expect(both.map(subjectOf)).toEqual(['[ipp-collector] FIRING: Lab phone silent device=127.0.0.1', '[ipp-collector] RESOLVED: Lab phone silent device=127.0.0.1']);
    expect((await episodes(`?ruleId=${episode!.ruleId}`))[0]).toMatchObject({ id: episode!.id, state: 'resolved', resolvedAt: expect.any(Number) });

    const silence = await api<{ silence: { id: number } }>('POST', '/api/alerts/silences', { ruleId: episode!.ruleId, key: 'device=127.0.0.1', endsAt: Date.now() + 3_600_000, comment: 'lab phone unplugged' });
    expect(silence.status).toBe(201);
    const quiet = await waitFor(async () => (await episodes(`?ruleId=${episode!.ruleId}`))[0], (e) => e?.id !== episode!.id, 15_000);
    expect(quiet).toMatchObject({ key: 'device=127.0.0.1', state: 'firing', silenced: true });
    await new Promise((r) => setTimeout(r, 1000));
    expect(silentMails()).toHaveLength(2);
    expect((await api('DELETE', `/api/alerts/silences/${silence.body.silence.id}`)).status).toBe(204);
    const audit = await api<{ entries: Array<{ action: string; target: string }> }>('GET', '/api/audit?limit=50');
    const actions = audit.body.entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['alert-rule.create', 'alert-silence.create', 'alert-silence.delete']));
  }, 45_000);
});

describe('a call under the MOS, reported by the phone (vq-rtcpxr PUBLISH)', () => {
  it('opens one episode for that call, linked to it, and mails it', async () => {
    const { body } = await api<{ rule: { id: number } }>('POST', '/api/alerts/rules', {
      name: 'Bad call', kind: 'call-mos-below', params: { mos: 3.5 }, channels: { email: { to: ['quality@example.test'] } },
    });
    const socket = ioClient(collector.webUrl, { transports: ['websocket'], forceNew: true });
    const pushed: Array<{ firing: number }> = [];
    socket.on('alerts', (m: { firing: number }) => pushed.push(m));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const now = Date.now();
    const publish = buildVqPublish({
      report: {
        style: 'audiocodes', callId: 'bad-mos-1@127.0.0.1', localId: '<sip:1000@pbx.example.com>', remoteId: '<sip:2000@pbx.example.com>',
        localAddr: { ip: '127.0.0.1', port: 6000, ssrc: 0x11223344 }, remoteAddr: { ip: '10.0.0.9', port: 6002, ssrc: 0x55667788 },
        startMs: now - 120_000, stopMs: now - 30_000, local: { mosLq: 2.8, lossPct: 9 },
      },
      collector: '127.0.0.1', source: { ip: '127.0.0.1', port: 5062 }, publishCallId: 'pub-bad-mos-1@127.0.0.1',
    });
    await sendUdp(sipPort, [publish]);
    const [episode] = await waitFor(async () => episodes(`?ruleId=${body.rule.id}`), (e) => e.length > 0, 10_000);
    const calls = await api<{ calls: Array<{ id: number; avgMos: number }> }>('GET', `/api/calls?q=${encodeURIComponent('bad-mos-1@127.0.0.1')}`);
    const call = calls.body.calls[0]!;
    expect(call.avgMos).toBeLessThan(3.5);
    expect(episode).toMatchObject({ key: `call=${call.id}`, state: 'firing', link: `#/calls/${call.id}`, lastValue: call.avgMos });
    expect(episode!.message).toMatch(new RegExp(`^Call ${call.id} (of \\S+ )?ended with an average MOS of ${call.avgMos} \\(below 3\\.5\\)\\.$`));
    const mail = await waitFor(async () => mails.find((m) => subjectOf(m) === `[ipp-collector] FIRING: Bad call call=${call.id}`), (m) => m !== undefined, 10_000);
    expect(mail!.to).toEqual(['quality@example.test']);
    expect(decoded(mail!.raw)).toContain(`${PUBLIC_URL}#/calls/${call.id}`);
    // Browsers hear that an episode opened, with how many fire now.
    const live = await waitFor(async () => pushed, (p) => p.length > 0, 5000);
    socket.close();
    expect(live[0]!.firing).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await episodes(`?ruleId=${body.rule.id}`)).toHaveLength(1);
  }, 30_000);

  it('resolves with news when a rule is switched off, and without news when it is deleted', async () => {
    const { body: { rules } } = await api<{ rules: Array<{ id: number; name: string }> }>('GET', '/api/alerts/rules');
    const poor = rules.find((r) => r.name === 'Poor calls')!;
    const bad = rules.find((r) => r.name === 'Bad call')!;
    const hitsBefore = flaky.hits.length;
    const off = await api<{ rule: { enabled: boolean; channels: { webhook: { hasSecret: boolean } } } }>('PATCH', `/api/alerts/rules/${poor.id}`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body.rule).toMatchObject({ enabled: false, channels: { webhook: { hasSecret: true } } });
    const resolved = await waitFor(async () => flaky.hits.slice(hitsBefore), (h) => h.length > 0, 10_000);
    expect(resolved[0]!.headers['x-ipp-event']).toBe('resolved');
    // Still signed with the stored secret: the change left it out.
    expect(resolved[0]!.headers['x-ipp-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(resolved[0]!.body).digest('hex')}`);
    expect((JSON.parse(resolved[0]!.body) as { episode: AlertEpisode }).episode).toMatchObject({ key: 'site=Paris', state: 'resolved', resolvedAt: expect.any(Number) });
    await waitFor(async () => mails.find((m) => subjectOf(m) === '[ipp-collector] RESOLVED: Poor calls site=Paris'), (m) => m !== undefined, 10_000);

    expect((await api('DELETE', `/api/alerts/rules/${bad.id}`)).status).toBe(204);
    const [ended] = await waitFor(async () => episodes(`?ruleId=${bad.id}`), (e) => e[0]?.state === 'resolved', 10_000);
    expect(ended).toMatchObject({ state: 'resolved' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(mails.filter((m) => subjectOf(m).startsWith('[ipp-collector] RESOLVED: Bad call'))).toHaveLength(0);
    expect((await api<{ error: string }>('DELETE', `/api/alerts/rules/${bad.id}`)).status).toBe(404);
    const noEnd = await api<{ error: string }>('POST', '/api/alerts/silences', { ruleId: poor.id });
    expect(noEnd).toEqual({ status: 400, body: { error: 'endsAt: a silence needs an end' } });
  }, 30_000);
});

describe('a restart', () => {
  it('resumes a delivery still being retried: the same delivery arrives once, after the collector comes back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-alerts-restart-'));
    await seedQualityFleet(dir, Date.now());
    // Nothing listens on the port yet: every attempt is refused until the receiver starts.
    const port = (await freePorts(1, 0)).tcp[0]!;
    // No loop: passes run only when asked, so each one's answer is known.
    const args = ['--data-dir', dir, '--sites', FLEET_SITES, '--alert-interval', '0', '--public-url', PUBLIC_URL];
    const first = await spawnCollector(args);
    const late = { hits: [] as Hit[], server: null as http.Server | null, port: 0 };
    let second: RunningCollector | null = null;
    try {
      const rule = await fetch(`${first.webUrl}/api/alerts/rules`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Poor calls', kind: 'poor-call-rate', params: { thresholdPct: 30, windowMin: 1440, by: 'site' }, channels: { webhook: { url: `http://127.0.0.1:${port}/` } } }),
      });
      expect(rule.status).toBe(201);
      const evaluate = async (url: string) => ((await (await fetch(`${url}/api/alerts/evaluate`, { method: 'POST' })).json()) as { episodes: AlertEpisode[] }).episodes;
      expect((await evaluate(first.webUrl)).map((e) => [e.key, e.state])).toEqual([['site=Paris', 'firing']]);
      expect(await evaluate(first.webUrl)).toEqual([]);
      const retrying = await waitFor(async () => ((await (await fetch(`${first.webUrl}/api/alerts/deliveries`)).json()) as { deliveries: AlertDelivery[] }).deliveries,
        (d) => d.length === 1 && d[0]!.state === 'retrying' && d[0]!.attempts >= 2, 10_000);
      expect(retrying[0]!.lastError).toBe('ECONNREFUSED');
      await first.kill('SIGTERM');
      rmSync(first.dataDir, { recursive: true, force: true });

      await new Promise<void>((resolve) => {
        late.server = http.createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => { late.hits.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: 200 }); res.end('ok'); });
        }).listen(port, '127.0.0.1', () => resolve());
      });
      second = await spawnCollector(args);
      expect(await evaluate(second.webUrl)).toEqual([]);
      const hits = await waitFor(async () => late.hits, (h) => h.length > 0, 15_000);
      expect(hits[0]!.headers['x-ipp-delivery']).toBe(String(retrying[0]!.id));
      const { deliveries: after } = (await (await fetch(`${second.webUrl}/api/alerts/deliveries`)).json()) as { deliveries: AlertDelivery[] };
      expect(after.map((d) => [d.id, d.state])).toEqual([[retrying[0]!.id, 'delivered']]);
      expect(after[0]!.attempts).toBeGreaterThan(retrying[0]!.attempts);
      // The episode survived the restart: no second one, no second delivery.
      await new Promise((r) => setTimeout(r, 1500));
      expect(late.hits).toHaveLength(1);
    } finally {
      await second?.stop();
      await first.stop();
      late.server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 50_000);
});
