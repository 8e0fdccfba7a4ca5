import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleSources } from '../../server/bundles/gather.js';
import { BundleJobs } from '../../server/bundles/jobs.js';
import type { BundleStatus } from '../../server/bundles/types.js';

const HOUR_MS = 3_600_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function finished(id: string, format: 'zip' | 'tar.gz', finishedMs: number | null): BundleStatus {
  return {
    id, state: finishedMs === null ? 'running' : 'done', progress: 1, step: 'done', scope: { callId: 1 },
    options: { format, redact: false, maxBytes: 1_000_000 }, fileName: `ipp-bundle-call-1.${format}`,
    createdAt: new Date((finishedMs ?? NOW) - 1000).toISOString(), finishedAt: finishedMs === null ? null : new Date(finishedMs).toISOString(),
    bytes: 3, contentBytes: 3, files: 1, dropped: [], overLimit: false, error: null,
  };
}

describe('bundle retention', () => {
  it('deletes finished bundles older than the limit with their status, and keeps newer ones and files that are not ours', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-retention-bundles-'));
    // Retention reads only the bundles folder; the sources are for building, which this test does not do.
    const jobs = new BundleJobs({ dataDir, now: () => NOW, sources: {} as BundleSources });
    mkdirSync(jobs.dir, { recursive: true });
    const put = (s: BundleStatus) => {
      writeFileSync(path.join(jobs.dir, `${s.id}.json`), JSON.stringify(s));
      writeFileSync(jobs.filePath(s.id, s.options.format)!, 'zip');
    };
    put(finished('00000000000000a1', 'zip', NOW - 25 * HOUR_MS));
    put(finished('00000000000000a2', 'tar.gz', NOW - 30 * HOUR_MS));
    put(finished('00000000000000b1', 'zip', NOW - 23 * HOUR_MS));
    writeFileSync(path.join(jobs.dir, 'notes.json'), '{}');

    expect(await jobs.enforceRetention(24 * HOUR_MS)).toEqual({ deletedBundles: 2 });
    expect(readdirSync(jobs.dir).sort()).toEqual(['00000000000000b1.json', '00000000000000b1.zip', 'notes.json']);
    expect(await jobs.get('00000000000000a1')).toBeNull();
    expect((await jobs.get('00000000000000b1'))?.state).toBe('done');
    expect(await jobs.enforceRetention(24 * HOUR_MS)).toEqual({ deletedBundles: 0 });
  });

  it('does nothing when no bundle was ever made', async () => {
    const jobs = new BundleJobs({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'ipp-retention-bundles-')), now: () => NOW, sources: {} as BundleSources });
    expect(await jobs.enforceRetention(24 * HOUR_MS)).toEqual({ deletedBundles: 0 });
    expect(existsSync(jobs.dir)).toBe(false);
  });
});
