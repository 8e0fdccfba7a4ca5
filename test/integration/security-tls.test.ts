// HTTPS on the web port and syslog over TLS (RFC 5425, octet-counted) with a certificate the test
// makes with openssl; and the first start with auth on, which prints the admin's one-time password.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-tls-'));
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
let collector: RunningCollector;
let tlsPort: number;

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca: readFileSync(cert), headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function post(url: string, body: string): Promise<{ status: number; setCookie: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca: readFileSync(cert), headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  tlsPort = (await freePorts(1, 0)).tcp[0]!;
  collector = await spawnCollector(['--auth', 'on', '--tls-cert', cert, '--tls-key', key, '--syslog-tls-port', String(tlsPort)]);
}, 30_000);

afterAll(async () => {
  await collector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS and the first admin', () => {
  it('serves the API over HTTPS with Secure session cookies, after a login with the printed one-time password', async () => {
    const password = /one-time password (\S+)/.exec(collector.stderr())?.[1];
    expect(password, collector.stderr()).toBeTruthy();
    const base = `https://127.0.0.1:${collector.ports.web}`;
    expect((await get(`${base}/api/logs`)).status).toBe(401);
    const login = await post(`${base}/api/auth/login`, JSON.stringify({ user: 'admin', password }));
    expect(login.status).toBe(200);
    const session = login.setCookie.find((c) => c.startsWith('ipp_session='))!;
    expect(session).toMatch(/; Secure/);
    const health = await get(`${base}/api/health`, { cookie: session.split(';')[0]! });
    expect(health.status).toBe(200);
    const listeners = (JSON.parse(health.body) as { listeners: Array<{ name: string; state: string }> }).listeners;
    expect(listeners.find((l) => l.name === 'syslog-tls')?.state).toBe('listening');
  });

  it('receives octet-counted syslog over TLS', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: tlsPort, ca: readFileSync(cert), servername: 'localhost' });
    await new Promise<void>((r, j) => { socket.once('secureConnect', () => r()); socket.once('error', j); });
    const msgs = ['<14>1 2026-11-26T10:00:00Z phone app - - - over tls one', '<14>1 2026-11-26T10:00:01Z phone app - - - over tls two'];
    socket.end(msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join(''));
    await new Promise((r) => socket.once('close', r));
    const password = /one-time password (\S+)/.exec(collector.stderr())![1]!;
    const base = `https://127.0.0.1:${collector.ports.web}`;
    const cookie = (await post(`${base}/api/auth/login`, JSON.stringify({ user: 'admin', password }))).setCookie.find((c) => c.startsWith('ipp_session='))!.split(';')[0]!;
    let stored = 0;
    for (let i = 0; i < 50 && stored < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      stored = (JSON.parse((await get(`${base}/api/health`, { cookie })).body) as { counters: Record<string, { stored: number }> }).counters['syslog-tls']?.stored ?? 0;
    }
    expect(stored).toBe(2);
  });
});
