/**
 * The collector as a SIP endpoint for voice-quality reports: decides the answer to each request
 * (RFC 3261 §8.2), stores what the reports say through the call correlator, and counts everything.
 * Transport-free: the UDP and TCP listeners hand it messages and send back what it returns.
 *
 * - PUBLISH / NOTIFY with `Event: vq-rtcpxr` → 200 OK (PUBLISH: SIP-ETag and Expires, RFC 3903),
 *   SERVICE with MS-QoE XML → 200 OK, once the report is stored.
 * - A broken body → 400 whose reason phrase says what is wrong; wrong Content-Type → 415 with
 *   Accept; another event package → 489 with Allow-Events (RFC 6665 §8.3.2). All counted.
 * - OPTIONS → 200 with Allow (monitoring pings). ACK → nothing (it has no response).
 * - Other RFC methods → 405 with Allow; methods we don't know → 501 (RFC 3261 §8.2.1).
 * - Responses are never answered (RFC 3261 §8.1.3.2: a stray response is dropped).
 * - A retransmission (same bytes within a while) gets the same answer and is stored once.
 */
import { createHash } from 'node:crypto';
import { isDecodeError } from '../../../parsers/decode-error.js';
import { buildSipResponse, decodeSip, sipHeader, type SipRequest } from '../../../parsers/sip.js';
import { onReceiveClock, type ClockSkewEstimator } from '../../calls/clock-skew.js';
import type { CallCorrelator } from '../../calls/correlator.js';
import type { Counters } from '../../counters.js';
import { decodeSipReport, isRefusal, reportDeviceTimes, reportToCallRecords } from './report-records.js';

export const ALLOWED_METHODS = 'OPTIONS, PUBLISH, NOTIFY, SERVICE';
/** Methods of RFC 3261 and its extensions that we know and refuse with 405 rather than 501. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE', 'SERVICE',
]);
/** Expires we grant a publication (RFC 3903 §4.1.1); AudioCodes asks for 3600. */
const MAX_PUBLISH_EXPIRES_S = 3600;
/** Requests remembered for retransmission detection: RFC 3261 Timer F is 32 s; a burst stays well under this. */
const MAX_REMEMBERED_REQUESTS = 8192;
const MAX_REASON_CHARS = 160;

export type SipSourceName = 'sip-udp' | 'sip-tcp' | 'sip-hep';

export interface SipPeer {
  readonly address: string;
  readonly port: number;
  /** When the message was seen, if not now: a HEP agent's capture time. */
  readonly atMs?: number;
}

export interface SipReportReceiverOptions {
  readonly correlator: CallCorrelator;
  readonly counters: Counters;
  /** The device a report comes from: by the MAC it names, else by the sender's address. */
  readonly deviceFor: (fromAddress: string, localMac: string | undefined, nowMs: number) => number;
  readonly now: () => number;
  /** Phone clocks: each report is a measurement, and a wrong clock's times are put on the receive clock. */
  readonly clocks?: ClockSkewEstimator;
}

export class SipReportReceiver {
  /** Answers by request fingerprint, so a retransmission is answered alike and stored once. */
  private readonly answered = new Map<string, Promise<string | null>>();

  constructor(private readonly o: SipReportReceiverOptions) {}

  /**
   * One SIP message in, the response text to send back (or null: send nothing). Resolves once a
   * report in it is stored, so a 200 OK means the report is safe.
   */
  handle(source: SipSourceName, bytes: Uint8Array, from: SipPeer): Promise<string | null> {
    const c = this.o.counters.source(source);
    c.received++;
    c.bytes += bytes.length;
    const key = createHash('sha1').update(bytes).digest('base64');
    const earlier = this.answered.get(key);
    if (earlier) return earlier;
    const answer = this.answer(source, bytes, from).then((text) => {
      // A report we failed to store must be tried again when the phone retransmits it.
      if (text?.startsWith('SIP/2.0 500 ')) this.answered.delete(key);
      return text;
    });
    this.answered.set(key, answer);
    if (this.answered.size > MAX_REMEMBERED_REQUESTS) this.answered.delete(this.answered.keys().next().value!);
    return answer;
  }

  private async answer(source: SipSourceName, bytes: Uint8Array, from: SipPeer): Promise<string | null> {
    const now = from.atMs ?? this.o.now();
    const msg = decodeSip(bytes);
    if (isDecodeError(msg)) {
      this.o.counters.malformed(source, `${from.address}:${from.port}`, msg.message, bytes, now);
      return null;
    }
    if (msg.kind === 'response') return null;
    const reply = (status: number, reason: string, headers: readonly (readonly [string, string])[] = []) =>
      buildSipResponse(msg, status, cleanReason(reason), headers, { source: from });
    const missing = ['Via', 'From', 'To', 'Call-ID', 'CSeq'].filter((h) => sipHeader(msg, h) === undefined);
    if (missing.length > 0 || !msg.cseq || msg.cseq.method !== msg.method) {
      const why = missing.length > 0 ? `missing ${missing.join(', ')}` : msg.cseq ? `CSeq method ${msg.cseq.method} is not ${msg.method}` : 'unparsable CSeq';
      this.o.counters.malformed(source, `${from.address}:${from.port}`, `SIP request ${why}`, bytes, now);
      // Without a Via there is nowhere to send a response (RFC 3261 §18.2.2).
      return missing.includes('Via') ? null : reply(400, `Bad Request: ${why}`);
    }
    switch (msg.method) {
      case 'ACK':
        return null;
      case 'OPTIONS':
        return reply(200, 'OK', [['Allow', ALLOWED_METHODS], ['Accept', 'application/vq-rtcpxr, application/vq-rtcpxr+xml'], ['Allow-Events', 'vq-rtcpxr']]);
      case 'PUBLISH':
      case 'NOTIFY':
      case 'SERVICE':
        return this.report(source, msg, bytes, from, now, reply);
      default:
        return KNOWN_METHODS.has(msg.method) ? reply(405, 'Method Not Allowed', [['Allow', ALLOWED_METHODS]]) : reply(501, 'Not Implemented');
    }
  }

  private async report(
    source: SipSourceName, req: SipRequest, bytes: Uint8Array, from: SipPeer, now: number,
    reply: (status: number, reason: string, headers?: readonly (readonly [string, string])[]) => string,
  ): Promise<string> {
    const c = this.o.counters.source(source);
    const decoded = decodeSipReport(req);
    const ok = () => reply(200, 'OK', req.method === 'PUBLISH' ? [['SIP-ETag', etagFor(req)], ['Expires', String(publishExpires(req))]] : []);
    if (decoded === null) return ok();
    if (isRefusal(decoded)) {
      this.o.counters.malformed(source, `${from.address}:${from.port}`, decoded.reason, bytes, now);
      return reply(decoded.status, decoded.reason, decoded.headers);
    }
    c.parsed++;
    const localMac = decoded.kind === 'vq-rtcpxr' ? decoded.reports[0]?.localMac : decoded.report.sessions[0]?.mediaLines[0]?.localAddr?.mac;
    const deviceId = this.o.deviceFor(from.address, localMac, now);
    const clocks = this.o.clocks;
    for (const t of clocks ? reportDeviceTimes(decoded) : []) clocks!.note(deviceId, 'report', t, now);
    const skewMs = clocks?.skewMs(deviceId) ?? null;
    try {
      for (const record of reportToCallRecords(decoded, { receivedMs: now, deviceId })) {
        await this.o.correlator.ingest(skewMs === null ? record : onReceiveClock(record, skewMs));
      }
    } catch (err) {
      c.dropped++;
      return reply(500, `Server Internal Error: report not stored (${(err as Error).message})`, [['Retry-After', '5']]);
    }
    c.stored++;
    return ok();
  }
}

/** One publication per dialog: a refresh or a retransmission gets the same entity tag. */
function etagFor(req: SipRequest): string {
  const ifMatch = sipHeader(req, 'SIP-If-Match');
  if (ifMatch !== undefined && /^[A-Za-z0-9._~+-]{1,64}$/.test(ifMatch)) return ifMatch;
  return createHash('sha256').update(`${req.callId ?? ''}\n${req.from?.tag ?? ''}`).digest('hex').slice(0, 20);
}

function publishExpires(req: SipRequest): number {
  const asked = Number(sipHeader(req, 'Expires'));
  return Number.isInteger(asked) && asked >= 0 ? Math.min(asked, MAX_PUBLISH_EXPIRES_S) : MAX_PUBLISH_EXPIRES_S;
}

/** A reason phrase is one line of printable text (RFC 3261 §25.1 Reason-Phrase). */
function cleanReason(reason: string): string {
  const clean = reason.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return clean.length > MAX_REASON_CHARS ? `${clean.slice(0, MAX_REASON_CHARS - 1)}…` : clean;
}
