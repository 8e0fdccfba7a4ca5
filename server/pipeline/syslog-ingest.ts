/**
 * From a syslog datagram or TCP frame to stored and pushed lines: decode, tie to the device,
 * classify by phone module, then hand to the store writer and the live hub.
 */
import type { ClockSkewEstimator } from '../calls/clock-skew.js';
import { extractDeviceFacts } from '../../parsers/device-facts.js';
import type { IdSource } from '../store/ids.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { classifyModule } from '../../parsers/phone-module.js';
import { decodeSyslog } from '../../parsers/syslog.js';
import type { Counters } from '../counters.js';
import type { LiveHub } from '../live/hub.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { LogRecord, LogSource } from '../store/types.js';
import type { DeviceRegistry } from './device-registry.js';

export interface SyslogIngestDeps {
  readonly devices: DeviceRegistry;
  readonly writer: BatchWriter;
  readonly live: LiveHub | null;
  readonly counters: Counters;
  readonly logIds: IdSource;
  readonly now: () => number;
  /** Each live line's timestamp against its receive time measures the phone's clock. */
  readonly clocks?: ClockSkewEstimator;
}

export class SyslogIngest {
  constructor(private readonly deps: SyslogIngestDeps) {}

  /** The highest id handed out so far (0 before the first line of an empty store). */
  get lastLogId(): number {
    return this.deps.logIds.last;
  }

  /**
   * @param from an imported capture: its id and the packet's capture time, which stands in for the
   * receive time; such lines are stored but not pushed to the live tail.
   */
  handle(source: LogSource, bytes: Buffer, address: string, from?: { importId: number; capturedAt: number }): void {
    const { counters, devices, writer, live } = this.deps;
    const receivedAt = from ? from.capturedAt : this.deps.now();
    const c = counters.source(source);
    c.received++;
    c.bytes += bytes.length;
    if (writer.full) {
      // Decoded now, its lines would be dropped at the queue all the same. Dropped unread, as the
      // receiver thread drops when this thread is behind, the CPU goes to the store that is behind:
      // at a sustained 100,000 lines/s, decoding lines only to drop them starved the store further.
      c.dropped++;
      return;
    }
    const decoded = decodeSyslog(bytes, { referenceMs: receivedAt });
    if (isDecodeError(decoded)) {
      counters.malformed(source, address, decoded.message, bytes, receivedAt);
      return;
    }
    const device = devices.touch(address, receivedAt);
    const liveHub = !from && live?.wantsLogs ? live : null;
    // A capture's frame time is not when the phone wrote the line, so only live lines measure its clock.
    const clocks = from ? undefined : this.deps.clocks;
    for (const m of decoded) {
      c.parsed++;
      if (clocks && m.timestampMs !== null) clocks.note(device.id, 'syslog', m.timestampMs, receivedAt);
      const module = classifyModule(m.app, m.message);
      devices.noteLine(device, module, m.seq, m.hostname, extractDeviceFacts(m.message));
      const record: LogRecord = {
        id: this.deps.logIds.next(),
        receivedAt,
        deviceId: device.id,
        source,
        format: m.format,
        facility: m.facility,
        severity: m.severity,
        deviceTime: m.timestamp,
        deviceTs: m.timestampMs,
        hostname: m.hostname,
        app: m.app,
        pid: m.pid,
        msgid: m.msgid,
        module,
        seq: m.seq,
        sid: m.sid,
        message: m.message,
        // A view into the datagram: the store packs the bytes once, on their way to the worker.
        raw: m.raw,
        messageAt: m.messageAt,
        structuredData: m.structuredData,
        warnings: m.warnings,
        importId: from ? from.importId : null,
      };
      if (writer.enqueue(record) && liveHub) liveHub.publishLog(record, address);
    }
  }
}
