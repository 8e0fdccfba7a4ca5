/**
 * Bundle jobs for the API: one at a time (a bundle reads the whole store for its window; two at
 * once would only share the disk), each with a status that the dashboard polls or hears about
 * (`bundles:update`). Files live at `<dataDir>/bundles/<id>.<ext>`, the path built from the id
 * only; a finished job's status is kept beside it (`<id>.json`) so downloads survive a restart.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBundle } from './build.js';
import type { BundleSources } from './gather.js';
import type { BundleOptions, BundleScope, BundleStatus } from './types.js';

const ID_PATTERN = /^[0-9a-f]{16}$/;
/** Progress pushes at most this often per job: a busy hour's logs would otherwise emit thousands. */
const PROGRESS_PUSH_INTERVAL_MS = 250;
/** Jobs kept in memory (finished ones are also on disk). */
const MAX_JOBS_IN_MEMORY = 200;

export interface BundleJobsOptions {
  readonly dataDir: string;
  readonly sources: BundleSources;
  readonly now: () => number;
  readonly onUpdate?: (status: BundleStatus) => void;
}

export class BundleJobs {
  private readonly jobs = new Map<string, BundleStatus>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: BundleJobsOptions) {}

  get dir(): string {
    return path.join(this.o.dataDir, 'bundles');
  }

  /** The bundle's path, from the id alone; null for anything that is not one of our ids. */
  filePath(id: string, format: BundleOptions['format']): string | null {
    if (!ID_PATTERN.test(id)) return null;
    return path.join(this.dir, `${id}.${format === 'zip' ? 'zip' : 'tar.gz'}`);
  }

  submit(scope: BundleScope, options: BundleOptions): BundleStatus {
    const id = randomBytes(8).toString('hex');
    const status: BundleStatus = {
      id, state: 'queued', progress: 0, step: 'waiting for the bundle before it', scope, options,
      fileName: bundleFileName(scope, options, this.o.now()),
      createdAt: new Date(this.o.now()).toISOString(), finishedAt: null, bytes: null, contentBytes: null, files: null,
      dropped: [], overLimit: false, error: null,
    };
    this.set(status);
    const run = this.queue.then(() => this.run(id));
    this.queue = run.catch(() => undefined);
    return status;
  }

  async get(id: string): Promise<BundleStatus | null> {
    if (!ID_PATTERN.test(id)) return null;
    const live = this.jobs.get(id);
    if (live) return live;
    const file = path.join(this.dir, `${id}.json`);
    if (!existsSync(file)) return null;
    return JSON.parse(await readFile(file, 'utf8')) as BundleStatus;
  }

  /**
   * Deletes finished bundles (file and status) older than `maxAgeMs`. Runs in the job queue, so a
   * bundle being built is never touched; only names of our own id pattern are considered.
   */
  enforceRetention(maxAgeMs: number): Promise<{ deletedBundles: number }> {
    const run = this.queue.then(async () => {
      const names = await readdir(this.dir).catch(() => [] as string[]);
      const cutoff = this.o.now() - maxAgeMs;
      let deletedBundles = 0;
      for (const name of names) {
        const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
        if (!ID_PATTERN.test(id)) continue;
        const status = await this.get(id);
        if (!status?.finishedAt || Date.parse(status.finishedAt) >= cutoff) continue;
        await rm(this.filePath(id, status.options.format)!, { force: true });
        await rm(path.join(this.dir, `${id}.parts`), { recursive: true, force: true });
        await rm(path.join(this.dir, name), { force: true });
        this.jobs.delete(id);
        deletedBundles++;
      }
      return { deletedBundles };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves when every job submitted so far has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async run(id: string): Promise<void> {
    const job = this.jobs.get(id)!;
    const outPath = this.filePath(id, job.options.format)!;
    await mkdir(this.dir, { recursive: true });
    let lastPush = 0;
    this.set({ ...job, state: 'running', step: 'starting' });
    try {
      const result = await buildBundle(this.o.sources, job.scope, job.options, {
        workDir: path.join(this.dir, `${id}.parts`),
        outPath,
        now: this.o.now,
        onProgress: (progress, step) => {
          const now = this.o.now();
          const current = this.jobs.get(id)!;
          if (now - lastPush < PROGRESS_PUSH_INTERVAL_MS && step === current.step) {
            this.jobs.set(id, { ...current, progress });
            return;
          }
          lastPush = now;
          this.set({ ...current, progress, step });
        },
      });
      await this.finish({ ...this.jobs.get(id)!, state: 'done', progress: 1, step: 'done', finishedAt: new Date(this.o.now()).toISOString(), ...result });
    } catch (err) {
      await this.finish({ ...this.jobs.get(id)!, state: 'failed', step: 'failed', finishedAt: new Date(this.o.now()).toISOString(), error: (err as Error).message });
    }
  }

  private async finish(status: BundleStatus): Promise<void> {
    this.set(status);
    await writeFile(path.join(this.dir, `${status.id}.json`), JSON.stringify(status));
  }

  private set(status: BundleStatus): void {
    this.jobs.set(status.id, status);
    if (this.jobs.size > MAX_JOBS_IN_MEMORY) {
      const oldest = [...this.jobs.values()].find((j) => j.state === 'done' || j.state === 'failed');
      if (oldest) this.jobs.delete(oldest.id);
    }
    this.o.onUpdate?.(status);
  }
}

/**
 * `ipp-bundle-call-18-20260101T100000Z.zip`, `ipp-bundle-10.0.0.5-….zip`: from the scope, only
 * [A-Za-z0-9._-]; a redacted bundle names devices by nothing but "device" (its address is redacted).
 */
export function bundleFileName(scope: BundleScope, options: Pick<BundleOptions, 'redact' | 'format'>, nowMs: number): string {
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let what: string;
  if ('callId' in scope) what = `call-${scope.callId}`;
  else if ('device' in scope) what = `${options.redact ? 'device' : scope.device}-${stamp(scope.fromMs)}-${stamp(scope.toMs)}`;
  else what = `${scope.devices?.length ? (options.redact ? `${scope.devices.length}-devices` : scope.devices.join('_')) : 'all-devices'}-${stamp(scope.fromMs)}-${stamp(scope.toMs)}`;
  const clean = `ipp-bundle-${what}${options.redact ? '-redacted' : ''}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  return `${clean}${'callId' in scope ? `-${stamp(nowMs)}` : ''}.${options.format === 'zip' ? 'zip' : 'tar.gz'}`;
}
