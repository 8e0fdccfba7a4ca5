/**
 * Starts the voice-quality report intake: the SIP listeners (UDP and TCP on one port) and the
 * receiver behind them, with devices resolved from the reports and persisted soon after.
 */
import type { CallCorrelator } from '../../calls/correlator.js';
import type { CollectorConfig } from '../../config.js';
import type { Counters } from '../../counters.js';
import { disabledListener, type Listener } from '../../sources/listener.js';
import { startSipListeners } from '../../sources/sip-listeners.js';
import type { SourceGuard } from '../../sources/source-guard.js';
import type { BatchWriter } from '../../store/batch-writer.js';
import type { DeviceRegistry } from '../device-registry.js';
import { SipReportReceiver } from './sip-receiver.js';

/** Devices first heard of through a report are written this soon, even when no syslog line comes. */
const DEVICE_FLUSH_DELAY_MS = 1000;

export interface QualityReportDeps {
  readonly config: CollectorConfig;
  readonly correlator: CallCorrelator;
  readonly devices: DeviceRegistry;
  readonly writer: BatchWriter;
  readonly counters: Counters;
  readonly now: () => number;
  /** Allow-list and rate limit per listener (see sources/source-guard.ts). */
  readonly guardFor?: (listener: string) => SourceGuard;
}

export async function startQualityReports(d: QualityReportDeps): Promise<Listener[]> {
  if (d.config.sipPort === 0) return [disabledListener('sip-udp', 'udp'), disabledListener('sip-tcp', 'tcp')];
  let flushTimer: NodeJS.Timeout | null = null;
  const receiver = new SipReportReceiver({
    correlator: d.correlator,
    counters: d.counters,
    now: d.now,
    deviceFor: (fromAddress, localMac, nowMs) => {
      const known = localMac === undefined ? undefined : d.devices.byMac(localMac);
      const device = d.devices.touch(known?.address ?? fromAddress, nowMs);
      if (localMac !== undefined) d.devices.learnMac(device.id, localMac);
      flushTimer ??= setTimeout(() => {
        flushTimer = null;
        d.writer.flush().catch(() => undefined);
      }, DEVICE_FLUSH_DELAY_MS);
      return device.id;
    },
  });
  const listeners = await startSipListeners({
    bind: d.config.bind,
    port: d.config.sipPort,
    receiveBufferBytes: d.config.udpReceiveBufferBytes,
    receiver,
    ...(d.guardFor ? { guardFor: d.guardFor } : {}),
    onFramingError: (reason, from, head) => {
      d.counters.source('sip-tcp').received++;
      d.counters.malformed('sip-tcp', from, reason, head, d.now());
    },
  });
  return listeners.map((l) => ({
    status: l.status,
    close: async () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      await l.close();
    },
  }));
}
