/**
 * Runs one import from a capture file already on disk: status and progress in the `imports`
 * domain (and to `onUpdate`, for the live push and the CLI's progress bar), the file's SHA-256,
 * every frame through CaptureImport, and the summary at the end. A file that cannot be read at all
 * ends as `failed` with the reason; damage inside it is listed with offsets and the rest imported.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { CallCorrelator } from '../calls/correlator.js';
import { openCapture } from '../capture/open-capture.js';
import { CaptureError } from '../capture/pcap-reader.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import type { SyslogIngest } from '../pipeline/syslog-ingest.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { ImportRow } from '../store/import-store.js';
import type { RowIds, Store } from '../store/types.js';
import { CaptureImport, type ImportPorts } from './capture-import.js';

/** Progress is written and pushed at most this often. */
const PROGRESS_INTERVAL_MS = 250;

export interface ImportServices {
  readonly store: Store;
  readonly ids: RowIds;
  readonly devices: DeviceRegistry;
  readonly writer: BatchWriter;
  readonly syslog: SyslogIngest;
  readonly correlator: CallCorrelator;
  readonly now: () => number;
}

export interface RunImportOptions {
  readonly ports: ImportPorts;
  readonly inactivityMs: number;
  readonly onUpdate?: (row: ImportRow) => void;
}

export async function runImport(s: ImportServices, importId: number, file: string, o: RunImportOptions): Promise<ImportRow> {
  const imports = s.store.imports;
  const publish = (row: ImportRow | null) => { if (row) o.onUpdate?.(row); };
  publish(await imports.update(importId, { status: 'reading' }));
  const sha = sha256Of(file);
  const imp = new CaptureImport({
    importId, ports: o.ports, syslog: s.syslog, writer: s.writer, correlator: s.correlator,
    recordings: s.store.recordings, recordingIds: s.ids.forImport(importId), devices: s.devices, inactivityMs: o.inactivityMs,
  });
  let lastProgressMs = 0;
  try {
    for await (const f of openCapture(file, (i) => imp.issue(i.offset, i.message))) {
      const slow = imp.frame(f);
      if (slow) await slow;
      const now = s.now();
      if (now - lastProgressMs >= PROGRESS_INTERVAL_MS) {
        lastProgressMs = now;
        publish(await imports.update(importId, { progressBytes: f.offset }));
      }
    }
    const summary = await imp.finish();
    const row = await imports.update(importId, { status: 'done', progressBytes: (await imports.get(importId))?.size ?? 0, summary, errors: imp.issues, sha256: await sha, finishedMs: s.now() });
    publish(row);
    return row!;
  } catch (err) {
    const message = err instanceof CaptureError ? err.message.replace(file, 'the file') : (err as Error).message;
    const row = await imports.update(importId, { status: 'failed', errors: [...imp.issues, { offset: null, message }], sha256: await sha.catch(() => ''), finishedMs: s.now() });
    publish(row);
    return row!;
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
