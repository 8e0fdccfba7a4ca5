/**
 * One imported capture through the live pipeline: every frame is unwrapped (link layer, IP with
 * fragment reassembly, UDP, TCP with stream reassembly), and each payload goes where the same bytes
 * would go live: syslog to SyslogIngest (capture time as receive time, marked with the import id),
 * ACDR recordings to a RecordingTracker whose calls are stored with the import id and handed to the
 * call correlator, SIP quality reports to the correlator, and RTP/RTCP on the wire to WireMedia.
 * Ports are the import's (configurable); content decides where a port says nothing.
 */
import { looksLikeAcdr } from '../../parsers/acdr.js';
import type { IdSource } from '../store/ids.js';
import { decodeHep, looksLikeHep } from '../../parsers/hep.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { undecodedKind } from '../../parsers/ip-udp.js';
import { decodeTransport } from '../../parsers/link-layer.js';
import { decodeSip, type SipMessage } from '../../parsers/sip.js';
import { SipStreamFramer } from '../../parsers/sip-stream.js';
import { SyslogFramer } from '../../parsers/syslog-framing.js';
import type { CallCorrelator } from '../calls/correlator.js';
import type { CallRecord } from '../calls/model.js';
import type { CaptureFrame } from '../capture/capture-frame.js';
import { udpOfFrame, type CapturedUdp } from '../capture/pcap-reader.js';
import { HEP_PORT, hepInner } from '../capture/udp-records.js';
import { FragmentReassembler } from '../capture/reassembly.js';
import { TcpReassembler, type TcpEvent } from '../capture/tcp-reassembly.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import { decodeSipReport, isRefusal, reportToCallRecords } from '../pipeline/quality/report-records.js';
import { recordedCallRecord } from '../pipeline/recordings/call-record.js';
import { DatagramBatch } from '../pipeline/recordings/datagram-batch.js';
import { RecordingTracker } from '../pipeline/recordings/tracker.js';
import type { SyslogIngest } from '../pipeline/syslog-ingest.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { RecordingStore } from '../store/recording-store.js';

import type { ImportIssue } from '../store/import-store.js';
import { WireMedia } from './wire-media.js';

export interface ImportPorts {
  readonly syslog: number;
  readonly recording: number;
  readonly sip: number;
}

export interface CaptureImportDeps {
  readonly importId: number;
  readonly ports: ImportPorts;
  readonly syslog: SyslogIngest;
  readonly writer: BatchWriter;
  readonly correlator: CallCorrelator;
  readonly recordings: RecordingStore;
  /** Numbering of the capture's recorded calls (RowIds.forImport). */
  readonly recordingIds: { readonly call: IdSource; readonly stream: IdSource };
  readonly devices: DeviceRegistry;
  readonly inactivityMs: number;
}

export interface ImportSummary {
  readonly frames: number;
  readonly bytes: number;
  /** Frames (or TCP messages) per protocol: syslog, acdr, sip, rtp, rtcp, udp, tcp, other. */
  readonly protocols: Readonly<Record<string, number>>;
  /** Frames counted as `other`, per kind in words ("ARP (ethertype 0x0806)": 3), so none vanish unnamed. */
  readonly undecoded: Readonly<Record<string, number>>;
  /** Addresses that sent syslog, recordings or reports. */
  readonly devices: readonly string[];
  readonly calls: number;
  /** The calls' ids (the first MAX_SUMMARY_CALL_IDS), for links. */
  readonly callIds: readonly number[];
  readonly recordedCalls: number;
  readonly reports: number;
  readonly logs: number;
  readonly rtpStreams: number;
  readonly crashes: number;
  readonly malformed: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
}

const RECORDING_BATCH_DATAGRAMS = 20_000;
const SWEEP_EVERY_MS = 1000;
/** Correlator writes in flight before the reader waits for them. */
const MAX_PENDING_CALL_WRITES = 2000;
const MAX_ISSUES = 1000;
const MAX_SUMMARY_CALL_IDS = 1000;
const SIP_START = /^(?:[A-Z]{3,16} \S+ SIP\/2\.0\r?\n|SIP\/2\.0 \d{3} )/;
const SYSLOG_START = /^<\d{1,3}>/;

type StreamConsumer = { kind: 'sip'; framer: SipStreamFramer } | { kind: 'syslog'; framer: SyslogFramer } | { kind: 'other' };

export class CaptureImport {
  private readonly fragments = new FragmentReassembler();
  private readonly tcp = new TcpReassembler((e) => this.tcpEvent(e));
  private readonly tcpConsumers = new Map<string, StreamConsumer>();
  private readonly media = new WireMedia();
  private readonly tracker: RecordingTracker;
  private batch = new DatagramBatch();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly devices = new Set<string>();
  private readonly protocols: Record<string, number> = {};
  private readonly undecoded: Record<string, number> = {};
  private readonly callIds = new Set<number>();
  private nextSweepMs = Number.NEGATIVE_INFINITY;
  private frames = 0;
  private bytes = 0;
  private malformed = 0;
  private reports = 0;
  private logs = 0;
  private recordedCalls = 0;
  private firstMs: number | null = null;
  private lastMs: number | null = null;
  readonly issues: ImportIssue[] = [];
  private issuesLeftOut = 0;
  private failure: Error | null = null;

  constructor(private readonly d: CaptureImportDeps) {
    this.tracker = new RecordingTracker({
      inactivityMs: d.inactivityMs,
      callIds: d.recordingIds.call,
      streamIds: d.recordingIds.stream,
      deviceId: (address) => d.devices.get(address)?.id ?? null,
      sink: {
        datagram: (callId, arrivalMs, srcPort, bytes) => {
          this.batch.add(callId, arrivalMs, srcPort, bytes);
          if (this.batch.n >= RECORDING_BATCH_DATAGRAMS) this.writeBatch();
        },
        callChanged: () => undefined,
        callEnded: (call) => {
          this.recordedCalls++;
          const summary = call.summary();
          const series = call.series();
          this.writeBatch();
          this.track(d.recordings.saveCalls([{ summary, series, importId: d.importId }]));
          const record = recordedCallRecord(summary, series);
          this.ingestCall({ ...record, info: { ...record.info, importId: d.importId } });
        },
      },
    });
  }

  /** Damage found by the reader or while decoding, with its offset. */
  issue(offset: number | null, message: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ offset, message });
    else this.issuesLeftOut++;
  }

  /** Takes one frame; await the result only when it is a promise (the pipeline asks to slow down). */
  frame(f: CaptureFrame): Promise<void> | undefined {
    this.frames++;
    this.bytes += f.data.length;
    if (f.timeMs > 0) {
      this.firstMs = this.firstMs === null ? f.timeMs : Math.min(this.firstMs, f.timeMs);
      this.lastMs = this.lastMs === null ? f.timeMs : Math.max(this.lastMs, f.timeMs);
    }
    const decoded = decodeTransport(f.linkType, f.data);
    if (isDecodeError(decoded)) {
      this.count('malformed');
      this.malformed++;
      this.issue(f.offset, `frame ${f.frame}: ${decoded.message}`);
    } else if (decoded.tcp && decoded.ip) {
      this.count('tcp');
      this.tcp.add(decoded.ip.src, decoded.ip.dst, decoded.tcp, f.timeMs);
    } else if (decoded.udp?.truncated && !decoded.ip?.moreFragments) {
      // (A first fragment's UDP length covers the whole datagram: that is reassembly's business.)
      this.count('malformed');
      this.malformed++;
      this.issue(f.offset, `frame ${f.frame}: UDP datagram cut by the snap length (${decoded.udp.payload.length} of ${decoded.udp.length - 8} bytes kept)`);
    } else {
      const kind = undecodedKind(decoded);
      const udp = udpOfFrame(f, decoded, this.fragments);
      if (udp) this.udp(udp);
      else if (kind !== null) {
        this.count('other');
        this.undecoded[kind] = (this.undecoded[kind] ?? 0) + 1;
      }
    }
    if (f.timeMs >= this.nextSweepMs) {
      this.tracker.sweep(f.timeMs);
      this.nextSweepMs = f.timeMs + SWEEP_EVERY_MS;
    }
    if (this.pending.size > MAX_PENDING_CALL_WRITES || this.d.writer.queued > 10_000) return this.settle();
    return undefined;
  }

  /** Ends what the capture left open, writes everything, and sums up. */
  async finish(): Promise<ImportSummary> {
    this.tcp.finish();
    this.tracker.endAll('end-of-capture');
    this.writeBatch();
    for (const record of this.media.finish(this.d.importId)) this.ingestCall(record);
    await this.settle();
    await this.d.writer.flush();
    if (this.issuesLeftOut > 0) this.issues.push({ offset: null, message: `${this.issuesLeftOut} more problems not listed` });
    return {
      frames: this.frames,
      bytes: this.bytes,
      protocols: { ...this.protocols },
      undecoded: { ...this.undecoded },
      devices: [...this.devices].sort(),
      calls: this.callIds.size,
      callIds: [...this.callIds].sort((a, b) => a - b).slice(0, MAX_SUMMARY_CALL_IDS),
      recordedCalls: this.recordedCalls,
      reports: this.reports,
      logs: this.logs,
      rtpStreams: this.media.streamStats().length,
      crashes: 0,
      malformed: this.malformed,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
    };
  }

  /** RTP stream stats seen on the wire (for the oracle tests and the summary). */
  rtpStreams() {
    return this.media.streamStats();
  }

  private udp(u: CapturedUdp, inHep = false): void {
    const { ports } = this.d;
    const p = u.payload;
    const head = Buffer.from(p.buffer, p.byteOffset, Math.min(p.byteLength, 64)).toString('latin1');
    if (!inHep && ((u.dstPort === HEP_PORT && looksLikeHep(p)) || head.startsWith('HEP3'))) {
      this.hep(u);
    } else if (u.srcPort === ports.sip || u.dstPort === ports.sip || SIP_START.test(head)) {
      this.sip(p, u.src, u.timeMs);
    } else if (u.dstPort === ports.recording && looksLikeAcdr(p)) {
      this.count('acdr');
      this.devices.add(u.src);
      const r = this.tracker.handle(p, u.timeMs, u.src, u.srcPort);
      if (isDecodeError(r)) this.malformed++;
    } else if (u.dstPort === ports.syslog || SYSLOG_START.test(head)) {
      this.syslog(Buffer.from(p), u.src, u.timeMs, 'syslog-udp');
    } else if (this.media.handle(u)) {
      this.count(p[1]! >= 200 && p[1]! <= 207 ? 'rtcp' : 'rtp');
    } else {
      this.count('udp');
    }
  }

  /** A Homer agent's packet: what it saw goes on as if captured there (its addresses and time). */
  private hep(u: CapturedUdp): void {
    this.count('hep');
    const hep = decodeHep(u.payload);
    if (isDecodeError(hep)) {
      this.malformed++;
      this.issue(null, `frame ${u.frame}: ${hep.message}`);
      return;
    }
    const inner = hepInner(hep, u);
    if (inner && !hep.compressed) this.udp(inner, true);
  }

  private sip(bytes: Uint8Array, src: string, timeMs: number): void {
    this.count('sip');
    const msg = decodeSip(bytes);
    if (isDecodeError(msg)) {
      this.malformed++;
      return;
    }
    this.media.noteSip(msg, src);
    this.report(msg, src, timeMs);
  }

  private report(msg: SipMessage, src: string, timeMs: number): void {
    if (msg.kind !== 'request' || !['PUBLISH', 'NOTIFY', 'SERVICE'].includes(msg.method)) return;
    const decoded = decodeSipReport(msg);
    if (decoded === null) return;
    if (isRefusal(decoded)) {
      this.malformed++;
      return;
    }
    this.reports++;
    this.devices.add(src);
    const deviceId = this.d.devices.get(src)?.id;
    for (const record of reportToCallRecords(decoded, { receivedMs: timeMs, importId: this.d.importId, ...(deviceId !== undefined ? { deviceId } : {}) })) this.ingestCall(record);
  }

  private syslog(bytes: Buffer, src: string, timeMs: number, source: 'syslog-udp' | 'syslog-tcp'): void {
    this.count('syslog');
    this.devices.add(src);
    const before = this.d.syslog.lastLogId;
    this.d.syslog.handle(source, bytes, src, { importId: this.d.importId, capturedAt: timeMs });
    this.logs += this.d.syslog.lastLogId - before;
  }

  private tcpEvent(e: TcpEvent): void {
    if (e.kind === 'end') {
      this.tcpConsumers.delete(e.flow.key);
      return;
    }
    if (e.kind === 'gap') {
      this.issue(null, `TCP ${e.flow.src}:${e.flow.srcPort} → ${e.flow.dst}:${e.flow.dstPort}: ${e.missingBytes} bytes missing from the capture`);
      this.tcpConsumers.delete(e.flow.key);
      return;
    }
    let c = this.tcpConsumers.get(e.flow.key);
    if (!c) {
      const head = Buffer.from(e.bytes.buffer, e.bytes.byteOffset, Math.min(e.bytes.byteLength, 64)).toString('latin1');
      const { ports } = this.d;
      if (e.flow.srcPort === ports.sip || e.flow.dstPort === ports.sip || SIP_START.test(head)) c = { kind: 'sip', framer: new SipStreamFramer() };
      else if (e.flow.dstPort === ports.syslog || SYSLOG_START.test(head) || /^\d{1,7} </.test(head)) c = { kind: 'syslog', framer: new SyslogFramer() };
      else c = { kind: 'other' };
      this.tcpConsumers.set(e.flow.key, c);
    }
    if (c.kind === 'sip') {
      const r = c.framer.push(e.bytes);
      for (const ev of r.events) if (ev.kind === 'message') this.sip(ev.bytes, e.flow.src, e.timeMs);
      if (r.error) this.streamError(e, r.error.message);
    } else if (c.kind === 'syslog') {
      const r = c.framer.push(e.bytes);
      for (const frame of r.frames) this.syslog(frame, e.flow.src, e.timeMs, 'syslog-tcp');
      if (r.error) this.streamError(e, r.error.message);
    }
  }

  private streamError(e: TcpEvent & { kind: 'data' }, message: string): void {
    this.malformed++;
    this.issue(null, `TCP ${e.flow.src}:${e.flow.srcPort} → ${e.flow.dst}:${e.flow.dstPort}: ${message}`);
    this.tcpConsumers.set(e.flow.key, { kind: 'other' });
  }

  private ingestCall(record: CallRecord): void {
    this.track(this.d.correlator.ingest(record).then((r) => { this.callIds.add(r.call.id); }));
  }

  private writeBatch(): void {
    if (this.batch.n === 0) return;
    this.track(this.d.recordings.writeDatagrams(this.batch.take()));
  }

  private track(p: Promise<unknown>): void {
    const done = p.then(() => undefined, (err: Error) => { this.failure ??= err; });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private async settle(): Promise<void> {
    await Promise.all([...this.pending]);
    if (this.d.writer.queued > 0) await this.d.writer.flush();
    if (this.failure) throw new Error(`storing the import failed: ${this.failure.message}`);
  }

  private count(proto: string): void {
    this.protocols[proto] = (this.protocols[proto] ?? 0) + 1;
  }
}
