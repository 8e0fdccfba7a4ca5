/**
 * Starts the voice-quality report intake: the SIP listeners (UDP and TCP on one port) and the
 * receiver behind them, with devices resolved from the reports and persisted soon after; and the
 * HEP listeners (`--hep-port`), whose SIP goes to the same receiver as from the agent's sender
 * (original address and capture time) and whose log lines go to `onHepLog`.
 */
import type { ClockSkewEstimator } from '../../calls/clock-skew.js';
import type { CallCorrelator } from '../../calls/correlator.js';
import type { CollectorConfig } from '../../config.js';
import type { Counters } from '../../counters.js';
import { disabledListener, type Listener } from '../../sources/listener.js';
import { startHepListeners } from '../../sources/hep-listeners.js';
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
  /** A log line a HEP agent sent (HEP type 100), from the address it names. */
  readonly onHepLog?: (bytes: Buffer, address: string) => void;
  /** Phone clocks, measured by every report (see calls/clock-skew.ts). */
  readonly clocks?: ClockSkewEstimator;
}

const HEP_SIP = 1;
const HEP_LOG = 100;

export async function startQualityReports(d: QualityReportDeps): Promise<Listener[]> {
  const hepOff = [disabledListener('hep-udp', 'udp'), disabledListener('hep-tcp', 'tcp')];
  if (d.config.sipPort === 0 && d.config.hepPort === 0) return [disabledListener('sip-udp', 'udp'), disabledListener('sip-tcp', 'tcp'), ...hepOff];
  let flushTimer: NodeJS.Timeout | null = null;
  const receiver = new SipReportReceiver({
    correlator: d.correlator,
    counters: d.counters,
    now: d.now,
    ...(d.clocks ? { clocks: d.clocks } : {}),
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
  const sipListeners = d.config.sipPort === 0 ? [disabledListener('sip-udp', 'udp'), disabledListener('sip-tcp', 'tcp')] : await startSipListeners({
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
  const hepListeners = d.config.hepPort === 0 ? hepOff : await startHepListeners({
    bind: d.config.bind,
    port: d.config.hepPort,
    receiveBufferBytes: d.config.udpReceiveBufferBytes,
    ...(d.guardFor ? { guardFor: d.guardFor } : {}),
    onPacket: (hep, from, listener) => {
      const c = d.counters.source(listener);
      c.received++;
      c.bytes += hep.payload?.length ?? 0;
      if (!hep.payload || hep.compressed) return;
      const address = hep.src ?? from;
      if (hep.protocolType === HEP_SIP) {
        const atMs = hep.timeSec === null ? undefined : hep.timeSec * 1000 + (hep.timeUsec ?? 0) / 1000;
        // The agent wants no answer; the receiver counts the message under sip-hep.
        void receiver.handle('sip-hep', hep.payload, { address, port: hep.srcPort ?? 0, ...(atMs !== undefined ? { atMs } : {}) }).catch(() => undefined);
      } else if (hep.protocolType === HEP_LOG && d.onHepLog) {
        d.onHepLog(Buffer.from(hep.payload), address);
      } else {
        // RTCP, RTCP-XR JSON and the rest: counted, not taken in by the live collector yet.
        c.dropped++;
      }
    },
    onMalformed: (listener, reason, from, head) => {
      d.counters.source(listener).received++;
      d.counters.malformed(listener, from, reason, head, d.now());
    },
  });
  const listeners = [...sipListeners, ...hepListeners];
  return listeners.map((l) => ({
    status: l.status,
    close: async () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      await l.close();
    },
  }));
}
