// Every route the running collector registers is decided by the policy table (auth/policy.ts):
// a new route cannot slip through unreviewed, and anything that hands out raw data needs an analyst.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requiredAccess } from '../../server/auth/policy.js';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { freePorts } from '../../bench/free-ports.js';

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** METHOD + path of every route, sub-routers included (their mount path is the layer's rawPath). */
function routesOf(stack: readonly Layer[], prefix = ''): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const layer of stack) {
    if (layer.route) {
      const p = layer.route.path;
      for (const m of Object.keys(layer.route.methods)) out.push({ method: m.toUpperCase(), path: typeof p === 'string' ? prefix + p : `${prefix}${String(p)}` });
    } else if (layer.handle?.stack) {
      out.push(...routesOf(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' ? layer.rawPath : '')));
    }
  }
  return out;
}

/** A concrete URL for a route pattern, so the policy sees what a request would carry. */
const example = (p: string) => p.replace(/:[A-Za-z_]+/g, '7').replace(/\*[A-Za-z_]*$/, 'x.wav');

let collector: RunningCollector;
let dataDir: string;

beforeAll(async () => {
  const p = await freePorts(1, 0);
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-routes-'));
  collector = await startCollector({ ...DEFAULT_CONFIG, auth: 'off', dataDir, bind: '127.0.0.1', webPort: p.tcp[0]!, syslogPort: 0, syslogTcpPort: 0, recordingPort: 0, sipPort: 0 });
});

afterAll(async () => {
  await collector?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the route policy', () => {
  it('decides every registered API route by a rule or a default, and downloads of raw data need at least an analyst', () => {
    const stack = (collector.httpApp as unknown as { router: { stack: Layer[] } }).router.stack;
    const api = routesOf(stack).filter((r) => r.path.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(20);
    const table = api.map((r) => ({ ...r, ...requiredAccess(r.method, example(r.path)) }));
    for (const r of table) {
      expect(['public', 'viewer', 'analyst', 'admin'], `${r.method} ${r.path}`).toContain(r.access);
      if (r.method !== 'GET' && r.rule === null) expect(r.access, `${r.method} ${r.path} writes: admin unless a rule says otherwise`).toBe('admin');
      if (/\/(raw|audio|pcap|wav|bundles?|download)\b/.test(r.path)) expect(['analyst', 'admin'], `${r.method} ${r.path} hands out raw data`).toContain(r.access);
      if (r.access === 'public') expect(r.path, 'only the login routes are public').toMatch(/^\/api\/auth\//);
    }
    const deletes = table.filter((r) => r.method === 'DELETE');
    for (const d of deletes) expect(d.access).toBe('admin');
  });

  it('matches the brief\'s examples', () => {
    expect(requiredAccess('GET', '/api/recordings/calls/12/audio/far-end.wav').access).toBe('analyst');
    expect(requiredAccess('HEAD', '/api/dumps/3/raw').access).toBe('analyst');
    expect(requiredAccess('DELETE', '/api/anything/at/all').access).toBe('admin');
    expect(requiredAccess('POST', '/api/dumps').access).toBe('analyst');
    expect(requiredAccess('POST', '/api/imports').access).toBe('analyst');
    expect(requiredAccess('POST', '/api/bundles').access).toBe('analyst');
    expect(requiredAccess('GET', '/api/users/x').access).toBe('admin');
    expect(requiredAccess('GET', '/api/calls').access).toBe('viewer');
    expect(requiredAccess('PUT', '/api/something-new').access).toBe('admin');
    // A pattern segment never spans a slash.
    expect(requiredAccess('GET', '/api/dumps/3/x/raw').access).toBe('viewer');
  });
});
