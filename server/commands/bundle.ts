/**
 * `ipp-collector bundle --call ID | --device ADDR --from T --to T [--redact] … -o FILE`: the ticket
 * bundle the dashboard makes, from the command line, reading the data folder's store directly
 * (a running collector may keep writing: SQLite's WAL lets both work).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_VERDICT_THRESHOLDS } from '../analysis/e-model.js';
import { buildBundle } from '../bundles/build.js';
import { ScopeError } from '../bundles/gather.js';
import { DEFAULT_BUNDLE_MAX_BYTES, parseOptions, parseScope } from '../bundles/request.js';
import { DEFAULT_CONFIG } from '../config.js';
import { Counters } from '../counters.js';
import { CrashService } from '../crashes/service.js';
import { DEFAULT_UNWRAP_LIMITS } from '../crashes/unwrap.js';
import { PACKAGE_VERSION } from '../package-root.js';
import { DeviceRegistry } from '../pipeline/device-registry.js';
import { checkStoreUrl, openStore } from '../store/open-store.js';
import { fail } from './fail.js';

const BYTES_PER_MB = 1024 * 1024;

interface BundleFlags {
  call?: string; device?: string; devices?: string; from?: string; to?: string; redact?: boolean; audio?: boolean;
  format: string; maxMb: string; output: string; dataDir: string; store: string; recordingPort: string;
}

export function registerBundle(program: Command): void {
  program.command('bundle')
    .description('write a ticket bundle (report.html, logs, captures, audio, crashes, manifest) for a call, a device or a time window')
    .option('--call <id>', 'one call (its id in the calls list)')
    .option('--device <ref>', 'one device (id, address or MAC) over --from … --to')
    .option('--devices <refs>', 'comma-separated devices over --from … --to (leave out both for all devices)')
    .option('--from <time>', 'window start (ISO 8601 or ms since the epoch)')
    .option('--to <time>', 'window end')
    .option('--redact', 'replace addresses, URIs, numbers and user names by tokens (for sending outside the company)')
    .option('--audio', 'include WAV audio even when redacting')
    .option('--no-audio', 'leave WAV audio out')
    .option('--format <format>', 'zip or tar.gz', 'zip')
    .option('--max-mb <mb>', 'size limit: past it audio, then original, then plain captures are left out', String(DEFAULT_BUNDLE_MAX_BYTES / BYTES_PER_MB))
    .requiredOption('-o, --output <file>', 'where to write the bundle')
    .option('--data-dir <dir>', 'the collector\'s data folder', process.env.IPP_DATA_DIR ?? DEFAULT_CONFIG.dataDir)
    .option('--store <url>', 'the fleet store the collectors write to (clickhouse://…); default: the data folder\'s own', process.env.IPP_STORE ?? '')
    .option('--recording-port <port>', 'the port recordings were sent to (for the original captures)', String(DEFAULT_CONFIG.recordingPort))
    .action(async (flags: BundleFlags) => {
      const bad = (m: string) => new Error(m);
      let scope;
      let options;
      try {
        scope = parseScope(flags.call !== undefined ? { callId: Number(flags.call) }
          : { ...(flags.device !== undefined ? { device: flags.device } : {}), ...(flags.devices !== undefined ? { devices: flags.devices.split(',').map((d) => d.trim()).filter(Boolean) } : {}), from: flags.from, to: flags.to }, bad);
        const maxMb = Number(flags.maxMb);
        options = parseOptions({
          redact: flags.redact ?? false, format: flags.format, maxBytes: Number.isFinite(maxMb) ? Math.round(maxMb * BYTES_PER_MB) : NaN,
          // commander sets audio=true by default because of --no-audio; only an explicit flag counts.
          ...(process.argv.includes('--audio') ? { includeAudio: true } : process.argv.includes('--no-audio') ? { includeAudio: false } : {}),
        }, DEFAULT_BUNDLE_MAX_BYTES, bad);
      } catch (err) {
        fail((err as Error).message.replace(/^scope\.?|^options\./, '').trim() || 'bad arguments');
      }
      const dataDir = path.resolve(flags.dataDir);
      if (flags.store) {
        try {
          checkStoreUrl(flags.store);
        } catch (err) {
          fail((err as Error).message);
        }
      }
      const store = await openStore({ dataDir, store: flags.store });
      try {
        const ids = await store.rowIds();
        const devices = new DeviceRegistry(await store.fleetDevices(), ids.newDeviceId);
        const crashes = new CrashService({ dataDir, store, devices, counters: new Counters(), limits: DEFAULT_UNWRAP_LIMITS, now: Date.now });
        const outPath = path.resolve(flags.output);
        const result = await buildBundle({
          store, devices, dumpPath: (sha) => crashes.filePath(sha), recordingPort: Number(flags.recordingPort), collectorAddr: '',
          thresholds: DEFAULT_VERDICT_THRESHOLDS, version: PACKAGE_VERSION,
        }, scope, options, { workDir: await mkdtemp(path.join(os.tmpdir(), 'ipp-bundle-')), outPath, now: Date.now });
        process.stdout.write(`${outPath}: ${result.bytes} bytes, ${result.files} files${result.dropped.length ? `; left out: ${result.dropped.map((d) => `${d.what} (${d.reason})`).join('; ')}` : ''}${result.overLimit ? '; still over the size limit' : ''}\n`);
      } catch (err) {
        if (err instanceof ScopeError) fail(err.message);
        throw err;
      } finally {
        await store.close();
      }
    });
}
