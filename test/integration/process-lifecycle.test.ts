/**
 * The built CLI as a process: a clean stop writes every parsed line, and a port it may not bind
 * gives one clear sentence while the other listeners still start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import { sendUdp, waitFor } from '../support/senders.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface Proc { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

const started: ChildProcess[] = [];
afterEach(() => {
  // A failed assertion must not leave a collector running.
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(args: string[], opts: { uid?: number; gid?: number } = {}): Proc {
  const child = spawn(process.execPath, ['bin/ipp-collector.js', ...args], { cwd: REPO, ...opts });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/api/health`)).ok;
  } catch {
    return false;
  }
}

describe('collector process', () => {
  it('writes every parsed line to the store on SIGTERM', async () => {
    const { tcp: [web], udp: [udp] } = await freePorts(1, 1);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-sigterm-'));
    // A long flush interval and large batches: on SIGTERM, lines are still waiting in memory.
    const p = run(['serve', '--no-auth', '--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(web), '--syslog-port', String(udp),
      '--syslog-tcp-port', '0', '--store-flush-ms', '60000', '--store-batch', '100000']);
    const url = `http://127.0.0.1:${web}`;
    await waitFor(() => healthy(url), (ok) => ok, 15_000);
    const LINES = 5000;
    for (let i = 0; i < LINES; i += 250) {
      await sendUdp(udp!, Array.from({ length: 250 }, (_, j) => `<14>Nov 26 10:00:00 voip_task: sigterm-case ${i + j}`));
    }
    const h = await waitFor(async () => (await (await fetch(`${url}/api/health`)).json()) as { counters: Record<string, { parsed: number; stored: number }> },
      (x) => (x.counters['syslog-udp']?.parsed ?? 0) >= LINES);
    const parsed = h.counters['syslog-udp']!.parsed;
    expect(parsed).toBe(LINES);
    expect(h.counters['syslog-udp']!.stored).toBe(0);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain(`syslog-udp: ${LINES} parsed, ${LINES} stored, 0 dropped`);
    const db = new Database(path.join(dataDir, 'ipp-collector.sqlite'), { readonly: true });
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM logs WHERE body LIKE 'sigterm-case %'").get() as { n: number }).n;
    db.close();
    expect(rows).toBe(LINES);
  });

  it('explains a privileged port it may not bind, in one sentence, and starts the rest', async () => {
    const isRoot = process.getuid?.() === 0;
    const { tcp: [web] } = await freePorts(1, 0);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-nonroot-'));
    chmodSync(dataDir, 0o777);
    // As root, drop to `nobody` so port 514 is really refused; otherwise we already are unprivileged.
    const p = run(['serve', '--no-auth', '--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(web), '--syslog-port', '514', '--syslog-tcp-port', '514'],
      isRoot ? { uid: 65534, gid: 65534 } : {});
    const url = `http://127.0.0.1:${web}`;
    const up = await waitFor(() => healthy(url), (ok) => ok, 15_000);
    expect(up, `collector did not come up:\n${p.stderr()}`).toBe(true);
    const health = (await (await fetch(`${url}/api/health`)).json()) as { listeners: Array<{ name: string; state: string; error?: string }> };
    const udp = health.listeners.find((l) => l.name === 'syslog-udp')!;
    expect(udp.state).toBe('failed');
    expect(udp.error).toMatch(/permission denied.*--syslog-port 5514.*setcap/);
    expect(health.listeners.find((l) => l.name === 'web')!.state).toBe('listening');
    const err = p.stderr();
    expect(err).toMatch(/syslog-udp\s+NOT listening: cannot listen on UDP port 514: permission denied/);
    expect(err).toMatch(/syslog-tcp\s+NOT listening: cannot listen on TCP port 514: permission denied/);
    expect(err).not.toMatch(/\n\s+at /);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('refuses a bad option value with one line', async () => {
    const p = run(['serve', '--web-port', '70000']);
    expect(await p.exited).toBe(2);
    expect(p.stderr().trim()).toBe('ipp-collector: webPort: "70000" is not a valid port (0-65535)');
  });

  it('documents every command and option in --help', async () => {
    const p = run(['serve', '--help']);
    await p.exited;
    for (const flag of ['--data-dir', '--web-port', '--syslog-port', '--syslog-tcp-port', '--bind', '--config', '--retention-days', '--retention-max-mb']) {
      expect(p.stdout()).toContain(flag);
    }
    expect(p.stdout()).toMatch(/flags, environment variables, the config file, defaults/);
  });
});
