/**
 * The simulator's own account of what it did, written next to a capture (or where `--events`
 * says): every phone, every call with its keys, every impairment with when and what it cost, and
 * the datagram counts per kind. Tests and people compare the collector's findings with this.
 */
import type { CallObservation } from './engine.js';
import { recordingSession, type SimPlan } from './plan.js';
import type { DatagramKind } from './runtime.js';

export interface EventLog {
  readonly seed: number;
  readonly scenario: string;
  readonly start: string;
  readonly durationMs: number;
  readonly target: { readonly host: string; readonly syslogPort: number; readonly recordingPort: number; readonly sipPort: number };
  readonly counts: Readonly<Record<DatagramKind, number>>;
  readonly phones: ReadonlyArray<{ index: number; addr: string; mac: string; model: string; firmware: string; sfb: boolean; clockSkewMs: number }>;
  readonly calls: ReadonlyArray<{
    index: number; phone: number; sipCallId: string; recordingSession: string; outgoing: boolean; codec: string;
    localRtpPort: number; remoteAddr: string; remoteRtpPort: number; ssrcTx: number; ssrcRx: number;
    invite: string; answer: string; end: string; answerMs: number; endMs: number; rxExpected: number; rxReceived: number;
  }>;
  readonly impairments: ReadonlyArray<{
    call: number; sipCallId: string; recordingSession: string; stream: string; kind: string;
    start: string; end: string; startMs: number; endMs: number;
    lossPct?: number; maxDelayMs?: number; toCodec?: string;
    lostPackets?: number; firstSeq?: number; lastSeq?: number;
  }>;
}

export function eventLog(
  plan: SimPlan,
  target: EventLog['target'],
  counts: Readonly<Record<DatagramKind, number>>,
  observed: ReadonlyMap<number, CallObservation>,
): EventLog {
  const o = plan.options;
  const iso = (ms: number): string => new Date(o.startMs + ms).toISOString();
  const started = plan.calls.filter((c) => observed.has(c.index));
  return {
    seed: o.seed,
    scenario: o.scenario,
    start: iso(0),
    durationMs: o.durationMs,
    target,
    counts,
    phones: plan.phones.map((p) => ({ index: p.index, addr: p.addr, mac: p.mac, model: p.model, firmware: p.firmware, sfb: p.sfb, clockSkewMs: p.clockSkewMs })),
    calls: started.map((c) => {
      const rx = observed.get(c.index)!.rx;
      return {
        index: c.index, phone: c.phone.index, sipCallId: c.sipCallId, recordingSession: recordingSession(c), outgoing: c.outgoing, codec: c.codec,
        localRtpPort: c.localRtpPort, remoteAddr: c.remoteAddr, remoteRtpPort: c.remoteRtpPort, ssrcTx: c.ssrcTx, ssrcRx: c.ssrcRx,
        invite: iso(c.inviteMs), answer: iso(c.answerMs), end: iso(c.endMs), answerMs: c.answerMs, endMs: c.endMs,
        rxExpected: rx.expected, rxReceived: rx.received,
      };
    }),
    impairments: started.flatMap((c) => c.impairments.map((i) => {
      const burst = observed.get(c.index)!.bursts.find((b) => b.impairment === i);
      return {
        call: c.index, sipCallId: c.sipCallId, recordingSession: recordingSession(c), stream: i.stream, kind: i.kind,
        start: iso(i.startMs), end: iso(i.endMs), startMs: i.startMs, endMs: i.endMs,
        ...(i.lossPct !== undefined ? { lossPct: i.lossPct } : {}),
        ...(i.maxDelayMs !== undefined ? { maxDelayMs: i.maxDelayMs } : {}),
        ...(i.toCodec !== undefined ? { toCodec: i.toCodec } : {}),
        ...(burst ? { lostPackets: burst.lost, firstSeq: burst.firstSeq, lastSeq: burst.lastSeq } : {}),
      };
    })),
  };
}
