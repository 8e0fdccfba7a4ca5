/**
 * How far each phone's clock is off, measured against the collector's receive clock. The admin
 * manual warns that a phone with a bad time server or offset reports wrong times; its vq-rtcpxr
 * START/STOP and its syslog timestamps are then hours off, and a report would miss its call (time
 * overlap) and land hours away on the timeline. A sample is (device timestamp − receive time) of
 * one report or log line; the skew is the median of the device's recent samples (a late datagram
 * or one odd line moves it not at all), and less than MIN_SKEW_MS is network delay and clock
 * jitter or a late report, not a wrong clock.
 *
 * Reports and syslog are kept apart: a report's timestamps carry their zone (RFC 3339), so they
 * measure the clock itself; RFC 3164 syslog times carry none (read as UTC), so a phone logging in
 * local time would look skewed by its zone. Reports win when a device sent both.
 */
import type { CallRecord, SampleRecord } from './model.js';

/**
 * Skews smaller than this are not called a wrong clock: a report can arrive a minute or more after
 * the STOP it names (SIP retransmissions, a phone that sends on its next timer tick, a queue after
 * a network outage), syslog times have whole seconds, and matching goes by Call-ID, SSRC and
 * addresses first. The clocks the manual warns about are off by hours.
 */
export const MIN_SKEW_MS = 120_000;
/** Samples kept per device and kind: the median of the newest of them is the skew. */
const SAMPLES_KEPT = 15;
/** Devices remembered at most; the longest unheard is forgotten first. */
const MAX_DEVICES = 100_000;

export type SkewEvidence = 'report' | 'syslog';

class Ring {
  private readonly values: number[] = [];
  private next = 0;

  add(v: number): void {
    if (this.values.length < SAMPLES_KEPT) this.values.push(v);
    else this.values[this.next] = v;
    this.next = (this.next + 1) % SAMPLES_KEPT;
  }

  get size(): number {
    return this.values.length;
  }

  median(): number {
    const s = [...this.values].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }
}

interface DeviceClock {
  readonly report: Ring;
  readonly syslog: Ring;
}

export class ClockSkewEstimator {
  private readonly devices = new Map<number, DeviceClock>();

  /** One measurement: a timestamp the device wrote and when we received it (both ms since the epoch). */
  note(deviceId: number, evidence: SkewEvidence, deviceMs: number, receivedMs: number): void {
    if (!Number.isFinite(deviceMs) || !Number.isFinite(receivedMs)) return;
    let d = this.devices.get(deviceId);
    if (d) {
      // Re-inserted, so the map's order is least recently heard first.
      this.devices.delete(deviceId);
    } else {
      d = { report: new Ring(), syslog: new Ring() };
      if (this.devices.size >= MAX_DEVICES) this.devices.delete(this.devices.keys().next().value!);
    }
    this.devices.set(deviceId, d);
    d[evidence].add(deviceMs - receivedMs);
  }

  /**
   * The device's clock minus the receive clock, ms (positive: the phone is ahead), rounded to the
   * second; null when it is within MIN_SKEW_MS or the device was never measured.
   */
  skewMs(deviceId: number): number | null {
    const d = this.devices.get(deviceId);
    if (!d) return null;
    const ring = d.report.size > 0 ? d.report : d.syslog;
    if (ring.size === 0) return null;
    const skew = Math.round(ring.median() / 1000) * 1000;
    return Math.abs(skew) < MIN_SKEW_MS ? null : skew;
  }
}

/**
 * The record with every time moved from the device's clock onto the receive clock, and the skew
 * it was corrected by stated in its keys (matching then allows for the estimate's error) and info
 * (stored on the call, shown on its page).
 */
export function onReceiveClock(record: CallRecord, skewMs: number): CallRecord {
  const at = (t: number) => t - skewMs;
  const sample = (s: SampleRecord): SampleRecord => ({ ...s, startMs: at(s.startMs), endMs: at(s.endMs) });
  const k = record.keys;
  return {
    keys: {
      ...k,
      ...(k.startMs !== undefined ? { startMs: at(k.startMs) } : {}),
      ...(k.endMs !== undefined ? { endMs: at(k.endMs) } : {}),
      clockSkewMs: skewMs,
    },
    info: { ...record.info, clockSkewMs: skewMs },
    segments: record.segments.map((s) => ({ ...s, startMs: at(s.startMs), endMs: s.endMs === null ? null : at(s.endMs) })),
    streams: record.streams.map((st) => ({ ...st, samples: st.samples.map(sample) })),
    callSamples: record.callSamples.map(sample),
  };
}

