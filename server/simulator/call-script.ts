/**
 * What a phone logs and reports about one call, on the call's timeline: SIP signalling through the
 * SIP stack (full INVITE / 200 OK over many lines), MTF (SIP Call Control) state changes, the DSP
 * channel, the UI, a DSP warning at each impairment, and the report(s) after hang-up or hold.
 * Signalling itself goes to the PBX, not to the collector: the collector sees it only in syslog.
 */
import type { CallMedia } from './media.js';
import type { SimCall } from './plan.js';
import { qoeService, SIP_DOMAIN, vqPublish, type ReportSegment } from './reports.js';
import type { Datagram, PhoneRuntime } from './runtime.js';
import { ScriptSource, type ScriptEvent } from './script.js';
import { sipLogLine, sipSummaryLine, syslogDatagram, type LogLine } from './syslog.js';
import { buildSipRequest } from './wire/sip.js';

/** The PBX / registrar all signalling goes through. */
export const PROXY = '192.0.2.1:5060';
const TRYING_AFTER_MS = 60;
const RINGING_AFTER_MS = 250;
/** The DSP notices missing packets after about three frames. */
const LOSS_DETECTED_AFTER_MS = 60;
const QUIET_REPORTED_AFTER_MS = 3000;
const REPORT_AFTER_HANGUP_MS = 400;
const LINE = 1;

function sdp(call: SimCall, codec: string, pt: number, direction = 'sendrecv'): string {
  return [
    'v=0', `o=AudiocodesIPPhone ${call.session} ${call.session} IN IP4 ${call.phone.addr}`, 's=Phone-Call',
    `c=IN IP4 ${call.phone.addr}`, 't=0 0', `m=audio ${call.localRtpPort} RTP/AVP ${pt} 101`,
    `a=rtpmap:${pt} ${codec}/8000`, 'a=rtpmap:101 telephone-event/8000', 'a=ptime:20', `a=${direction}`, '',
  ].join('\r\n');
}

function invite(call: SimCall, rt: PhoneRuntime, codec: string, pt: number, cseq: number, direction?: string): string {
  const phoneUri = `<sip:${call.phone.extension}@${SIP_DOMAIN}>`;
  const remoteUri = `<sip:${call.remoteNumber}@${SIP_DOMAIN}>`;
  return buildSipRequest({
    method: 'INVITE',
    requestUri: `sip:${call.outgoing ? call.remoteNumber : call.phone.extension}@${SIP_DOMAIN}`,
    from: call.outgoing ? phoneUri : remoteUri,
    fromTag: call.fromTag,
    to: call.outgoing ? remoteUri : phoneUri,
    ...(cseq > 1 ? { toTag: call.toTag } : {}),
    callId: call.sipCallId,
    cseq,
    source: { ip: call.outgoing ? call.phone.addr : PROXY.split(':')[0]!, port: call.outgoing ? rt.sipPort : 5060 },
    headers: [['User-Agent', `AUDC-IPPhone/${call.phone.firmware}`], ['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY, UPDATE']],
    contentType: 'application/sdp',
    body: sdp(call, codec, pt, direction),
  });
}

function ok(call: SimCall, codec: string, pt: number): string {
  const body = sdp(call, codec, pt);
  return [
    'SIP/2.0 200 OK', `Call-ID: ${call.sipCallId}`, `From: <sip:${call.phone.extension}@${SIP_DOMAIN}>;tag=${call.fromTag}`,
    `To: <sip:${call.remoteNumber}@${SIP_DOMAIN}>;tag=${call.toTag}`, 'CSeq: 1 INVITE', 'Content-Type: application/sdp',
    `Content-Length: ${body.length}`, '', body,
  ].join('\r\n');
}

const mtf = (text: string, severity: LogLine['severity'] = 'info'): LogLine => ({ process: 'voip_task', severity, text: `MTF: line ${LINE} ${text}` });
const dsp = (text: string, severity: LogLine['severity'] = 'info'): LogLine => ({ process: 'voip_task', severity, text: `DSP: channel ${LINE} ${text}` });
const ui = (text: string): LogLine => ({ process: 'nxphone', severity: 'info', text });

export function callScript(call: SimCall, rt: PhoneRuntime, media: CallMedia, epochMs: number, collectorHost: string): ScriptSource {
  const events: ScriptEvent[] = [];
  // Log lines and reports carry the phone's own clock (perhaps wrong); media keeps the true one.
  const phoneEpochMs = epochMs + call.phone.clockSkewMs;
  const log = (atMs: number, lines: () => LogLine[]): void => {
    events.push({ atMs, run: (out: Datagram[]) => out.push({ atMs, phone: call.phone, port: 'syslog', kind: 'syslog', bytes: syslogDatagram(rt, phoneEpochMs + atMs, lines()) }) });
  };
  const pt = media.payloadType(call.codec);
  const peer = PROXY;
  const dir = call.outgoing ? 'out' : 'in';
  const back = call.outgoing ? 'in' : 'out';

  // Setup.
  if (call.outgoing) {
    log(call.inviteMs, () => [ui(`Dialing ${call.remoteNumber}`), mtf(`state IDLE -> DIALING, dest ${call.remoteNumber}`)]);
    log(call.inviteMs, () => [sipLogLine('out', peer, invite(call, rt, call.codec, pt, 1))]);
    log(call.inviteMs + TRYING_AFTER_MS, () => [sipSummaryLine('in', peer, 'SIP/2.0 100 Trying')]);
    log(call.inviteMs + RINGING_AFTER_MS, () => [sipSummaryLine('in', peer, 'SIP/2.0 180 Ringing'), mtf('state DIALING -> RINGBACK')]);
  } else {
    log(call.inviteMs, () => [sipLogLine('in', peer, invite(call, rt, call.codec, pt, 1))]);
    log(call.inviteMs + TRYING_AFTER_MS, () => [mtf(`state IDLE -> ALERTING, from ${call.remoteNumber}`), ui(`Incoming call from ${call.remoteNumber}`), sipSummaryLine('out', peer, 'SIP/2.0 180 Ringing')]);
  }
  log(call.answerMs, () => [
    ...(call.outgoing ? [] : [ui('Call answered (off-hook)')]),
    sipLogLine(back === 'in' ? 'in' : 'out', peer, ok(call, call.codec, pt)),
  ]);
  log(call.answerMs, () => [
    mtf(`state ${call.outgoing ? 'RINGBACK' : 'ALERTING'} -> CONNECTED, session ${call.session}`),
    dsp(`open: codec ${call.codec} ptime 20 ms, local port ${call.localRtpPort}, remote ${call.remoteAddr}:${call.remoteRtpPort}, SSRC tx 0x${call.ssrcTx.toString(16)}`),
    sipSummaryLine(dir, peer, `ACK sip:${call.outgoing ? call.remoteNumber : call.phone.extension}@${SIP_DOMAIN} SIP/2.0`),
  ]);

  // One DSP line per impairment, when the phone would notice it.
  const segments: Array<{ startMs: number; endMs: number }> = [];
  let segStart = call.answerMs;
  for (const imp of call.impairments) {
    switch (imp.kind) {
      case 'loss-burst': {
        log(imp.startMs + LOSS_DETECTED_AFTER_MS, () => [dsp('voice packets missing, packet loss concealment active', 'warning')]);
        log(imp.endMs + LOSS_DETECTED_AFTER_MS, () => {
          const b = media.bursts.find((x) => x.impairment === imp);
          const what = b && b.lost > 0 ? `${b.lost} packets lost (seq ${b.firstSeq}-${b.lastSeq})` : 'no packets lost';
          return [dsp(`packet loss burst ended: ${what} in ${imp.endMs - imp.startMs} ms`, 'warning')];
        });
        break;
      }
      case 'jitter-spike':
        log(imp.startMs + LOSS_DETECTED_AFTER_MS, () => [dsp(`jitter buffer: late packets, delay variation up to ${imp.maxDelayMs} ms, adapting`, 'warning')]);
        log(imp.endMs + LOSS_DETECTED_AFTER_MS, () => [dsp('jitter buffer: back to nominal 40 ms', 'notice')]);
        break;
      case 'one-way':
        log(imp.startMs + QUIET_REPORTED_AFTER_MS, () => [dsp(`no RTP received for ${QUIET_REPORTED_AFTER_MS} ms from ${call.remoteAddr}:${call.remoteRtpPort} (one-way audio?)`, 'warning')]);
        break;
      case 'random-loss':
        break;
      case 'hold':
        log(imp.startMs, () => [ui('Hold'), mtf('state CONNECTED -> HOLD'), sipSummaryLine('out', peer, `INVITE sip:${call.remoteNumber}@${SIP_DOMAIN} SIP/2.0 (a=sendonly)`)]);
        log(imp.endMs, () => [ui('Resume'), mtf('state HOLD -> CONNECTED'), sipSummaryLine('out', peer, `INVITE sip:${call.remoteNumber}@${SIP_DOMAIN} SIP/2.0 (a=sendrecv)`)]);
        segments.push({ startMs: segStart, endMs: imp.startMs });
        segStart = imp.endMs;
        break;
      case 'codec-change': {
        const to = imp.toCodec!;
        log(imp.startMs, () => [
          sipLogLine('in', peer, invite(call, rt, to, media.payloadType(to), 2)),
          dsp(`codec changed ${call.codec} -> ${to} (re-INVITE)`, 'notice'),
        ]);
        break;
      }
    }
  }
  segments.push({ startMs: segStart, endMs: call.endMs });

  // Teardown.
  const byeLine = `BYE sip:${call.outgoing ? call.remoteNumber : call.phone.extension}@${SIP_DOMAIN} SIP/2.0`;
  log(call.endMs, () => [
    sipSummaryLine(call.outgoing ? 'out' : 'in', peer, byeLine),
    mtf('state CONNECTED -> IDLE'),
    dsp(`closed: rx ${media.rx.received} packets, ${media.rx.expected - media.rx.received} lost, tx ${media.txPackets} packets`),
    ui(`Call with ${call.remoteNumber} ended, ${Math.round((call.endMs - call.answerMs) / 1000)} s`),
  ]);

  // Reports: generic-SIP firmware per segment (hang-up and hold), SfB firmware once at the end.
  const report = (atMs: number, segStartMs: number, segEndMs: number, final: boolean): void => {
    events.push({
      atMs,
      run: (out) => {
        // SfB firmware reports the whole call once, so its counters are not cut at a hold.
        if (call.phone.sfb && !final) return;
        const codec = media.codecAt(segEndMs - 1);
        const seg: ReportSegment = {
          startMs: call.phone.sfb ? call.answerMs : segStartMs, endMs: segEndMs, codec, payloadType: media.payloadType(codec),
          quality: media.closeSegment(segEndMs), txPackets: media.txPackets,
        };
        out.push(call.phone.sfb
          ? { atMs, phone: call.phone, port: 'sip', kind: 'sip-service', bytes: qoeService(rt, call, seg, phoneEpochMs) }
          : { atMs, phone: call.phone, port: 'sip', kind: 'sip-publish', bytes: vqPublish(rt, call, seg, phoneEpochMs, collectorHost) });
      },
    });
  };
  segments.forEach((s, i) => report(s.endMs + REPORT_AFTER_HANGUP_MS, s.startMs, s.endMs, i === segments.length - 1));
  return new ScriptSource(events);
}
