/**
 * `npm run demo` as a newcomer runs it: the built CLI's demo command prints the dashboard URL,
 * logs, recorded calls and a poor call show up through the API, and SIGTERM stops both collector
 * and simulator cleanly and removes the throwaway data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/senders.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Four simulated seconds per real one, so the first poor call comes within the test's patience. */
const SPEED = '4';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function get<T>(url: string): Promise<T | null> {
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

describe('npm run demo', () => {
  it('is the demo command of the built CLI', () => {
    const pkg = JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['demo']).toContain('bin/ipp-collector.js demo');
  });

  it('shows logs, calls and a poor call, then stops cleanly on SIGTERM and removes its data', async () => {
    const child = spawn(process.execPath, ['bin/ipp-collector.js', 'demo', '--web-port', '0', '--speed', SPEED], { cwd: REPO });
    started.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const url = (await waitFor(async () => /dashboard: (http:\/\/\S+?)\/?\n/.exec(out)?.[1], (u) => u !== undefined, 20_000))!;
    const dataDir = /data in (\S+)/.exec(out)![1]!;
    expect(existsSync(dataDir)).toBe(true);

    const logs = await waitFor(() => get<{ logs: Array<{ module: string }> }>(`${url}/api/logs?limit=1000`), (r) => r?.logs.some((l) => l.module === 'sip_call_control') ?? false, 30_000);
    for (const module of ['kernel', 'control_center', 'sip_stack', 'sip_call_control']) expect(logs!.logs.map((l) => l.module)).toContain(module);
    const recorded = await waitFor(() => get<{ calls: unknown[] }>(`${url}/api/recordings/calls`), (r) => (r?.calls.length ?? 0) > 0, 30_000);
    expect(recorded!.calls.length).toBeGreaterThan(0);
    const calls = await waitFor(() => get<{ calls: Array<{ verdict: string }> }>(`${url}/api/calls?limit=500`), (r) => r?.calls.some((c) => c.verdict === 'poor') ?? false, 45_000);
    expect(calls!.calls.some((c) => c.verdict === 'poor')).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('demo stopped cleanly');
    expect(existsSync(dataDir)).toBe(false);
  }, 120_000);
});
