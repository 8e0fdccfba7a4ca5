/**
 * End-of-segment voice-quality reports (rtcp-xr-and-qoe.md §0): generic-SIP firmware PUBLISHes an
 * RFC 6035 vq-rtcpxr VQSessionReport at hang-up and when the call goes on hold; Skype-for-Business
 * firmware sends an MS-QoE XML report by SIP SERVICE at the end of the call. Both carry the same
 * receiver numbers the call's RTCP XR carried, so every source agrees about one call.
 */
import type { SimCall, SimPhone } from './plan.js';
import { END_SYSTEM_DELAY_MS, JB_ABS_MAX_MS, JB_MAX_MS, JB_NOMINAL_MS, ROUND_TRIP_MS, type DerivedQuality } from './quality.js';
import type { PhoneRuntime } from './runtime.js';
import { branchFor, buildQoeService, buildVqPublish } from './wire/sip.js';
import { rFromMos } from '../analysis/e-model.js';
import { phoneHostname } from './syslog.js';

export const SIP_DOMAIN = 'pbx.example.com';
/** What the far end (a healthy gateway) reported back: no loss, the toll-quality ceiling. */
const REMOTE_MOS = 4.4;

export interface ReportSegment {
  readonly startMs: number;
  readonly endMs: number;
  readonly codec: string;
  readonly payloadType: number;
  readonly quality: DerivedQuality;
  readonly txPackets: number;
}

export function userAgent(phone: SimPhone): string {
  return `AUDC-IPPhone/${phone.firmware.replace(/^UC_/, '')} (${phone.model}-Rev1; ${phone.mac.replace(/:/g, '').toUpperCase()})`;
}

const encoder = new TextEncoder();

export function vqPublish(rt: PhoneRuntime, call: SimCall, seg: ReportSegment, epochMs: number, collectorHost: string): Uint8Array {
  const q = seg.quality;
  const cseq = rt.nextCseq();
  const localUri = `<sip:${call.phone.extension}@${SIP_DOMAIN}>`;
  const remoteUri = `<sip:${call.remoteNumber}@${SIP_DOMAIN}>`;
  const rlq = Math.round(rFromMos(q.mosLq));
  const text = buildVqPublish({
    report: {
      style: 'audiocodes',
      callId: call.sipCallId,
      localId: localUri,
      remoteId: remoteUri,
      origId: call.outgoing ? localUri : remoteUri,
      localAddr: { ip: call.phone.addr, port: call.localRtpPort, ssrc: call.ssrcTx },
      remoteAddr: { ip: call.remoteAddr, port: call.remoteRtpPort, ssrc: call.ssrcRx },
      localMac: call.phone.mac,
      startMs: epochMs + seg.startMs,
      stopMs: epochMs + seg.endMs,
      local: {
        payloadType: seg.payloadType, codec: seg.codec, jbNominalMs: JB_NOMINAL_MS, jbMaxMs: JB_MAX_MS, jbAbsMaxMs: JB_ABS_MAX_MS,
        lossPct: q.lossPct, discardPct: q.discardPct, burstDensityPct: q.burstDensityPct, burstDurationMs: q.burstDurationMs,
        gapDensityPct: q.gapDensityPct, gapDurationMs: q.gapDurationMs, rttMs: ROUND_TRIP_MS, esdMs: END_SYSTEM_DELAY_MS,
        iajMs: Math.round(q.jitterMs), signalDbm0: -20, noiseDbm0: -70, rerlDb: 52,
        rlq, rcq: q.rFactor, mosLq: q.mosLq, mosCq: q.mosCq,
      },
      remote: { payloadType: seg.payloadType, codec: seg.codec, rttMs: ROUND_TRIP_MS, mosLq: REMOTE_MOS, mosCq: REMOTE_MOS, rlq: 93, rcq: 92 },
      dialog: { fromTag: call.fromTag, toTag: call.toTag },
    },
    collector: collectorHost,
    source: { ip: call.phone.addr, port: rt.sipPort },
    publishCallId: `${branchFor(call.sipCallId, cseq).slice(7)}-vq@${call.phone.addr}`,
    cseq,
    userAgent: userAgent(call.phone),
  });
  return encoder.encode(text);
}

export function qoeService(rt: PhoneRuntime, call: SimCall, seg: ReportSegment, epochMs: number): Uint8Array {
  const q = seg.quality;
  const cseq = rt.nextCseq();
  const phoneUri = `sip:${call.phone.extension}@${SIP_DOMAIN}`;
  const remoteUri = `sip:${call.remoteNumber}@${SIP_DOMAIN}`;
  const text = buildQoeService({
    report: {
      version: 3,
      callId: call.sipCallId,
      fromTag: call.fromTag,
      toTag: call.toTag,
      startMs: epochMs + seg.startMs,
      endMs: epochMs + seg.endMs,
      caller: call.outgoing,
      fromUri: call.outgoing ? phoneUri : remoteUri,
      toUri: call.outgoing ? remoteUri : phoneUri,
      localUserAgent: userAgent(call.phone),
      remoteUserAgent: 'UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)',
      endpointName: phoneHostname(call.phone),
      localAddr: { ip: call.phone.addr, port: call.localRtpPort },
      remoteAddr: { ip: call.remoteAddr, port: call.remoteRtpPort },
      inbound: {
        jitterMs: Math.round(q.jitterMs), jitterMaxMs: Math.round(q.jitterMaxMs), lossRate: q.lossPct / 100, lossRateMax: q.lossPct / 100,
        burstDensity: q.burstDensityPct / 100, burstDurationMs: q.burstDurationMs, gapDensity: q.gapDensityPct / 100, gapDurationMs: q.gapDurationMs,
        packets: q.packetsReceived, payloadType: seg.payloadType, codec: seg.codec, sampleRateHz: 8000,
        recvListenMos: q.mosLq, networkMosAvg: q.mosLq, networkMosMin: q.mosLq, degradationAvg: Math.round((REMOTE_MOS - q.mosLq) * 100) / 100,
      },
      outbound: { roundTripMs: ROUND_TRIP_MS, roundTripMaxMs: ROUND_TRIP_MS, packets: seg.txPackets, sendListenMos: REMOTE_MOS },
    },
    requestUri: `sip:${call.phone.extension}@${SIP_DOMAIN};gruu;opaque=app:qoe`,
    source: { ip: call.phone.addr, port: rt.sipPort },
    serviceCallId: `${branchFor(call.sipCallId, cseq).slice(7)}-qoe@${call.phone.addr}`,
    cseq,
  });
  return encoder.encode(text);
}
