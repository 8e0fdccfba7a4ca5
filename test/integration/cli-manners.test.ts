/**
 * The command line's manners: output into a pipe whose reader has gone ends quietly with status 0,
 * every command's --help shows an example, and `decode -` reads standard input. Runs the built CLI
 * (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile } from '../../server/export/pcap-writer.js';

const CLI = fileURLToPath(new URL('../../bin/ipp-collector.js', import.meta.url));
const COMMANDS = ['serve', 'decode', 'analyze', 'import', 'simulate', 'demo', 'bundle'];
const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-cli-'));
const capture = path.join(dir, 'many.pcap');
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0) / 1000;
writeFileSync(capture, pcapFile(LINKTYPE_ETHERNET, Array.from({ length: 5000 }, (_, i) => ({
  tsSec: T0 + i, tsUsec: 0,
  data: ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 40000, dstAddr: '192.0.2.1', dstPort: 514 }, Buffer.from(`<134>Dec  5 09:00:00 phone line ${i} ${'x'.repeat(200)}`))),
}))));

describe('CLI manners', () => {
  it('ends quietly with status 0 when its output pipe closes (decode --json FILE | head -1)', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${JSON.stringify(CLI)} decode --json ${JSON.stringify(capture)} | head -1 > /dev/null`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('gives an example under every command\'s --help', () => {
    for (const command of COMMANDS) {
      const r = spawnSync('node', [CLI, command, '--help'], { encoding: 'utf8', timeout: 30_000 });
      expect([command, r.status]).toEqual([command, 0]);
      expect(r.stdout).toMatch(new RegExp(`Example:\\n  ipp-collector ${command}`));
    }
  });

  it('decodes standard input given as -, the same as the file', () => {
    const fromFile = spawnSync('node', [CLI, 'decode', '--json', capture], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    const fromStdin = spawnSync('node', [CLI, 'decode', '--json', '-'], { input: readFileSync(capture), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stdout.split('\n').length).toBeGreaterThan(5000);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    const junk = spawnSync('node', [CLI, 'decode', '--json', '-'], { input: 'not a capture', encoding: 'utf8', timeout: 30_000 });
    expect(junk.status).toBe(2);
    expect(junk.stderr).toMatch(/^ipp-collector: standard input: unknown file type/);
  });
});
