/**
 * The C sender (bench/blast.c), compiled once per bench run: a Node sender cost a third of a core
 * at 100k datagrams/s, which the collector under test then lacked. Without a C compiler the bench
 * falls back to the Node senders and says so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.js';
import type { SendResult } from './harness.js';

export interface Blaster {
  /** Sends `count` datagrams to 127.0.0.1:port at `rate`/s from `pool` (a file of syslog templates, or `acdr:CALLS`). */
  send(port: number, count: number, rate: number, pool: string, start: number): Promise<SendResult>;
  /** Writes syslog line templates for `send`; SEQ_MARK in a template becomes the line's sequence number. */
  writePool(templates: readonly string[]): string;
}

export const SEQ_MARK = '\u0001';

let compiled: Blaster | null | undefined;

export function blaster(): Blaster | null {
  if (compiled !== undefined) return compiled;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-blast-'));
  const binary = path.join(dir, 'blast');
  try {
    execFileSync('gcc', ['-O2', '-o', binary, path.join(PACKAGE_ROOT, 'bench', 'blast.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    compiled = null;
    return null;
  }
  let pools = 0;
  compiled = {
    send: (port, count, rate, pool, start) => new Promise((resolve, reject) => {
      const child = spawn(binary, [String(port), String(count), String(rate), pool, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (d) => { out += d; });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as SendResult) : reject(new Error(`blast exited ${code}`))));
    }),
    writePool: (templates) => {
      const file = path.join(dir, `pool-${pools++}.bin`);
      writeFileSync(file, templates.join('\0') + '\0');
      return file;
    },
  };
  return compiled;
}
