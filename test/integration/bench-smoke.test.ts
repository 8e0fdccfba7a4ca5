/**
 * `npm run bench -- --smoke` runs every benchmark case for about a second, so the suite cannot rot
 * between the (long, on-demand) full runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface Report { smoke: boolean; machine: { cpus: number }; cases: Array<{ name: string; load: string; result: Record<string, unknown>; peakRssMb: number | null }> }

describe('benchmark suite', () => {
  it('runs every case in smoke mode and reports load, results and memory', { timeout: 240_000 }, () => {
    execFileSync(process.execPath, ['dist/bench/run.js', '--smoke'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], timeout: 230_000 });
    const report = JSON.parse(readFileSync(`${REPO}test/artifacts/bench-smoke.json`, 'utf8')) as Report;
    expect(report.smoke).toBe(true);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.cases.map((c) => c.name)).toEqual(expect.arrayContaining(['syslog', 'recordings', 'reports']));
    for (const c of report.cases) {
      expect(c.load.length, c.name).toBeGreaterThan(10);
      expect(Object.values(c.result).some((v) => typeof v === 'number' && v > 0), `${c.name} has a positive figure`).toBe(true);
      expect(c.peakRssMb, c.name).toBeGreaterThan(0);
    }
  });
});
