/** The pipeline pieces an import needs, opened on a data directory without the rest of the collector (the CLI). */
import { DEFAULT_VERDICT_THRESHOLDS } from '../analysis/e-model.js';
import { CallCorrelator } from '../calls/correlator.js';
import type { CollectorConfig } from '../config.js';
import { Counters } from '../counters.js';
import { DeviceRegistry } from '../pipeline/device-registry.js';
import { SyslogIngest } from '../pipeline/syslog-ingest.js';
import { BatchWriter } from '../store/batch-writer.js';
import { openStore } from '../store/open-store.js';
import type { ImportServices } from './run-import.js';

export async function openImportServices(config: CollectorConfig, now: () => number = Date.now): Promise<ImportServices & { close(): Promise<void> }> {
  const store = await openStore({ dataDir: config.dataDir, store: config.store, collectorId: config.collectorId, now });
  const [ids, knownDevices] = await Promise.all([store.rowIds(), store.loadDevices()]);
  const counters = new Counters();
  const devices = new DeviceRegistry(knownDevices, ids.newDeviceId);
  const writer = new BatchWriter(store, devices, counters, {
    batchSize: config.storeBatchSize, flushIntervalMs: config.storeFlushIntervalMs, maxQueued: config.storeMaxQueuedLines,
    maxQueuedBytes: config.storeMaxQueuedMb * 1024 * 1024,
  });
  writer.lastStoredId = ids.log.last;
  const syslog = new SyslogIngest({ devices, writer, live: null, counters, logIds: ids.log, now });
  const correlator = new CallCorrelator(store, { ...DEFAULT_VERDICT_THRESHOLDS, ...config }, now);
  return {
    store, ids, devices, writer, syslog, correlator, now,
    close: async () => {
      await writer.close();
      await store.close();
    },
  };
}
