/**
 * Groups ACDR debug-recording datagrams into recorded calls and streams. One tracker serves live
 * ingest (arrival = collector clock) and `ipp-collector analyze` (arrival = capture time), so the
 * grouping exists once.
 *
 * Calls: per sender (phone address) and ACDR session id (`board:reset:session`); media and debug
 * records without a session go to the sender's `none` session. Streams: trace point, direction,
 * SSRC and far end (spec §7). Every record of a call is tallied by recording kind
 * (parsers/acdr/recording-kind.ts); the PCM kinds become streams like RTP when their payload is
 * RTP-framed. A call ends when no datagram came for the inactivity time, or shortly after an RTCP
 * BYE. Per datagram the work is O(1) and nothing per packet is kept: the sink decides what to do
 * with the bytes (the live ingest batches them to the store).
 */
import { decodeAcdr, type AcdrRecord } from '../../../parsers/acdr.js';
import { ACDR_RECORDING_KINDS, acdrRecordingKind, isCallScopedKind, type AcdrRecordingKind } from '../../../parsers/acdr/recording-kind.js';
import type { IdSource } from '../../store/ids.js';
import { isDecodeError, type DecodeError } from '../../../parsers/decode-error.js';
import { decodeRtcp } from '../../../parsers/rtcp.js';
import { decodeRtp } from '../../../parsers/rtp.js';
import type { StreamDirection } from '../../calls/model.js';
import { RecordedCall } from './recorded-call.js';
import { SenderState } from './sender-state.js';
import type { StreamIdentity } from './recorded-stream.js';
import type { CallEndReason } from './types.js';

/** After an RTCP BYE the call still takes the last packets in flight for this long. */
export const BYE_GRACE_MS = 2000;
const NO_SESSION = 'none';
/** Board/reset key of records without a session (real ones are 0..2^32). */
const NO_SESSION_KEY = -1;

/** Trace points whose records the phone received ('rx'); spec §2.5 (in-layout) plus Dsp2Tdm (to the handset). */
const RX_TRACE_POINTS = new Set([0, 4, 9, 18, 20, 27, 35]);

export interface RecordingSink {
  /** A datagram that belongs to a call (bytes are the exact datagram, valid only during the call). */
  datagram(callId: number, arrivalMs: number, srcPort: number, bytes: Uint8Array): void;
  /** Something about the call changed (coalesce: this fires per datagram). */
  callChanged(call: RecordedCall): void;
  callEnded(call: RecordedCall): void;
}

export interface TrackerOptions {
  readonly inactivityMs: number;
  readonly callIds: IdSource;
  readonly streamIds: IdSource;
  readonly sink: RecordingSink;
  /** The collector's device id for a sender address, when it knows one. */
  readonly deviceId?: (address: string) => number | null;
}

/** 'over-capacity': a new call past MAX_ACTIVE_CALLS (e.g. a flood of made-up sessions) is not tracked. */
export type TrackResult = 'call' | 'no-call' | 'over-capacity' | DecodeError;

/** Calls in progress at most: ten times the load the collector is built for (1,000 recorded calls). */
export const MAX_ACTIVE_CALLS = 10_000;
/** A sender (phone) with no call in progress is forgotten after this long; its recording gaps stay counted. */
const SENDER_FORGET_MS = 3_600_000;

export class RecordingTracker {
  private readonly senders = new Map<string, SenderState>();
  private readonly calls = new Map<string, RecordedCall>();
  private readonly byId = new Map<number, RecordedCall>();
  private forgottenGaps = 0;
  private readonly newStreamId = () => this.o.streamIds.next();

  constructor(private readonly o: TrackerOptions) {}

  /** 'no-call' for valid records that belong to no call (system messages without a session). */
  handle(bytes: Uint8Array, arrivalMs: number, fromAddr: string, fromPort: number): TrackResult {
    const rec = decodeAcdr(bytes);
    if (isDecodeError(rec)) return rec;
    const kind = acdrRecordingKind(rec.mediaType, rec.tracePoint);
    // Debug recordings without a session (v<5 has none) join the sender's `none` call like media, so they are kept.
    if (!isCallScopedKind(kind) && rec.session === null) return 'no-call';

    let sender = this.senders.get(fromAddr);
    if (!sender) {
      sender = new SenderState(fromAddr);
      this.senders.set(fromAddr, sender);
    }
    sender.lastArrivalMs = arrivalMs;
    const gap = rec.sequence === null ? 0 : sender.noteSequence(rec.sequence);
    const deviceMs = sender.deviceTimeMs(rec.version, rec.timestampUs, arrivalMs);
    const call = this.callFor(sender, rec, arrivalMs);
    if (call === null) return 'over-capacity';
    call.recordingGaps += gap;
    call.noteTime(deviceMs, arrivalMs, bytes.length);
    const tally = call.tally(kind, rec.mediaType, bytes.length);
    this.o.sink.datagram(call.id, arrivalMs, fromPort, bytes);

    if (rec.payloadKind === 'rtcp') this.rtcp(call, rec, deviceMs, arrivalMs);
    else if (isRtpFramed(rec, kind)) {
      if (!this.rtp(call, rec, deviceMs, kind)) {
        if (ACDR_RECORDING_KINDS[kind].pcm) tally.undecoded++;
        else call.undecodedMedia++;
      }
    } else call.countOther(rec.mediaTypeName);
    this.o.sink.callChanged(call);
    return 'call';
  }

  /** Ends the calls that went quiet; `nowMs` on the same clock as the arrival times. */
  sweep(nowMs: number): void {
    for (const call of this.calls.values()) {
      const idle = nowMs - call.lastArrivalMs;
      if (call.rtcp.byeSeen && idle > BYE_GRACE_MS) this.end(call, 'bye');
      else if (idle > this.o.inactivityMs) this.end(call, 'inactivity');
    }
    for (const [address, sender] of this.senders) {
      if (sender.calls.size > 0 || nowMs - sender.lastArrivalMs <= SENDER_FORGET_MS) continue;
      this.forgottenGaps += sender.recordingGaps;
      this.senders.delete(address);
    }
  }

  /** Ends every call in progress (shutdown, end of a capture). */
  endAll(reason: CallEndReason): void {
    for (const call of [...this.calls.values()]) this.end(call, reason);
  }

  activeCalls(): RecordedCall[] {
    return [...this.calls.values()];
  }

  activeCall(id: number): RecordedCall | undefined {
    return this.byId.get(id);
  }

  get activeCount(): number {
    return this.calls.size;
  }

  /** Recording loss over all senders. */
  recordingGaps(): number {
    let n = this.forgottenGaps;
    for (const s of this.senders.values()) n += s.recordingGaps;
    return n;
  }

  private end(call: RecordedCall, reason: CallEndReason): void {
    call.endReason = reason;
    for (const [head, bySession] of call.sender.calls) {
      for (const [number, c] of bySession) if (c === call) bySession.delete(number);
      if (bySession.size === 0) call.sender.calls.delete(head);
    }
    this.calls.delete(call.key);
    this.byId.delete(call.id);
    this.o.sink.callEnded(call);
  }

  private callFor(sender: SenderState, rec: AcdrRecord, arrivalMs: number): RecordedCall | null {
    // Number keys (board/reset, then session number) are hashed far cheaper than a fresh string per datagram.
    const s = rec.session;
    const head = s === null ? NO_SESSION_KEY : (s.boardId ?? 0) * 256 + (s.resetCounter ?? 0);
    const number = s === null ? 0 : s.sessionId;
    let call = sender.calls.get(head)?.get(number);
    if (!call) {
      if (this.calls.size >= MAX_ACTIVE_CALLS) return null;
      const sessionId = s?.fullSessionId ?? NO_SESSION;
      call = new RecordedCall(this.o.callIds.next(), `${sender.address}|${sessionId}`, sessionId, sender, this.o.deviceId?.(sender.address) ?? null);
      call.lastArrivalMs = arrivalMs;
      let bySession = sender.calls.get(head);
      if (!bySession) {
        bySession = new Map();
        sender.calls.set(head, bySession);
      }
      bySession.set(number, call);
      this.calls.set(call.key, call);
      this.byId.set(call.id, call);
    }
    return call;
  }

  /** False when the payload is not an RTP packet. */
  private rtp(call: RecordedCall, rec: AcdrRecord, deviceMs: number, kind: AcdrRecordingKind): boolean {
    const rtp = decodeRtp(rec.payload);
    if (isDecodeError(rtp)) return false;
    const direction = directionOf(rec);
    const far = farEnd(rec, direction);
    const key = farKey(rec, far);
    const stream = call.stream(rec.tracePoint, direction, rtp.ssrc >>> 0, key, far.port, this.newStreamId, (): StreamIdentity => ({
      kind: ACDR_RECORDING_KINDS[kind].pcm ? 'pcm' : 'rtp',
      recordingKind: kind,
      tracePoint: rec.tracePoint,
      tracePointName: rec.tracePointName,
      direction,
      mediaType: rec.mediaType,
      ssrc: rtp.ssrc >>> 0,
      localPort: far.localPort,
      farAddr: far.addr,
      farPort: far.port,
      farKey: key,
    }));
    stream.add({
      arrivalMs: deviceMs,
      seq: rtp.sequence,
      rtpTimestamp: rtp.timestamp,
      ssrc: rtp.ssrc,
      payloadType: rtp.payloadType,
      marker: rtp.marker,
      payloadBytes: rtp.payload.length,
    });
    return true;
  }

  private rtcp(call: RecordedCall, rec: AcdrRecord, deviceMs: number, arrivalMs: number): void {
    const compound = decodeRtcp(rec.payload);
    if (isDecodeError(compound)) {
      call.undecodedMedia++;
      return;
    }
    const direction = directionOf(rec);
    call.rtcp.add(compound, direction, deviceMs, (ssrc) => call.streamBySsrc(ssrc));
    if (call.rtcp.byeSeen) call.lastArrivalMs = arrivalMs;
  }
}

/** Longest RTP-family extension with an IPv4 far end: address 4 + ports 4 + TOS 1 + C5 flags 1. */
const IPV4_MEDIA_EXT_MAX_BYTES = 10;

/**
 * The far address as a number when the extension holds an IPv4 one: comparing it costs nothing,
 * where the decoder's address text is a fresh string per datagram that V8 must flatten to compare.
 */
function farKey(rec: AcdrRecord, far: FarEnd): number | string | null {
  const h = rec.headerExtension;
  if (rec.extension?.kind === 'media' && h !== null && h.length <= IPV4_MEDIA_EXT_MAX_BYTES) {
    return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  }
  return far.addr;
}

/**
 * Whether the payload is handed to RTP: the RTP family, and PCM kinds, which tshark reads as
 * RTP-framed samples (acdr spec §5.1) and which we take as such only when the bytes say so.
 */
export function isRtpFramed(rec: AcdrRecord, kind: AcdrRecordingKind = acdrRecordingKind(rec.mediaType, rec.tracePoint)): boolean {
  if (rec.payloadKind === 'rtp' || rec.payloadKind === 'pcm') return true;
  return ACDR_RECORDING_KINDS[kind].pcm && rec.payloadKind !== 'rtcp';
}

export function directionOf(rec: AcdrRecord): StreamDirection {
  const ext = rec.extension;
  if (ext && (ext.kind === 'media' || ext.kind === 't38-gen3')) return ext.direction === 'in' ? 'rx' : 'tx';
  return RX_TRACE_POINTS.has(rec.tracePoint) ? 'rx' : 'tx';
}

export interface FarEnd {
  readonly addr: string | null;
  readonly port: number | null;
  readonly localPort: number | null;
  /** The phone's own address when the record carries its original IP header. */
  readonly localAddr: string | null;
}

/** Far end from the header extension (spec §4.2) or, for "header added" records, the inner IP/UDP header. */
export function farEnd(rec: AcdrRecord, direction: StreamDirection): FarEnd {
  const ext = rec.extension;
  if (ext?.kind === 'media') return { addr: ext.farAddr, port: ext.farPort, localPort: ext.localPort, localAddr: null };
  const inner = rec.inner;
  if (inner) {
    return direction === 'rx'
      ? { addr: inner.srcAddr, port: inner.srcPort, localPort: inner.dstPort, localAddr: inner.dstAddr }
      : { addr: inner.dstAddr, port: inner.dstPort, localPort: inner.srcPort, localAddr: inner.srcAddr };
  }
  return { addr: null, port: null, localPort: null, localAddr: null };
}
