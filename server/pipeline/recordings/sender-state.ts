/**
 * Per-sender (phone) state of a recording feed: its device clock put on the wall clock, and gaps in
 * the ACDR sequence number (acdr.seq), which is recording loss between the phone and us, not
 * network loss of the recorded media.
 */
import type { RecordedCall } from './recorded-call.js';

const TIMESTAMP_MODULO_US = 2 ** 32;
const TIMESTAMP_HALF_RANGE_US = 2 ** 31;
const SEQ_MODULO = 0x1_0000;
const SEQ_HALF_RANGE = 0x8000;
/**
 * When the device clock and the arrival clock disagree by more than this since the anchor, the
 * phone restarted (or reset its clock): anchor again rather than place packets hours off.
 */
const REANCHOR_DISAGREEMENT_MS = 60_000;

export class SenderState {
  private lastTimestampUs = -1;
  private wrapsUs = 0;
  private anchorWallMs = Number.NaN;
  private anchorDeviceUs = 0;
  private expectedSeq = -1;
  /** This sender's calls in progress by board/reset key, then session number. */
  readonly calls = new Map<number, Map<number, RecordedCall>>();
  /** Arrival time of its latest datagram. */
  lastArrivalMs = 0;
  /** Datagrams missing from this sender's ACDR sequence, all calls together. */
  recordingGaps = 0;

  constructor(readonly address: string) {}

  /**
   * The record's device time as ms since the epoch. v>=4 timestamps are 32-bit µs and wrap every
   * ~71.6 minutes (spec §7), so they are unwrapped against the previous one; v<=3 carry 48 bits.
   */
  deviceTimeMs(version: number, timestampUs: number, arrivalMs: number): number {
    let deviceUs = timestampUs;
    if (version >= 4) {
      if (this.lastTimestampUs >= 0) {
        const back = this.lastTimestampUs - timestampUs;
        if (back > TIMESTAMP_HALF_RANGE_US) this.wrapsUs++;
        else if (back < -TIMESTAMP_HALF_RANGE_US && this.wrapsUs > 0) {
          // A late record from before the last wrap.
          return this.place((this.wrapsUs - 1) * TIMESTAMP_MODULO_US + timestampUs, arrivalMs);
        }
      }
      this.lastTimestampUs = timestampUs;
      deviceUs = this.wrapsUs * TIMESTAMP_MODULO_US + timestampUs;
    }
    return this.place(deviceUs, arrivalMs);
  }

  private place(deviceUs: number, arrivalMs: number): number {
    if (Number.isNaN(this.anchorWallMs)) this.anchor(deviceUs, arrivalMs);
    let wallMs = this.anchorWallMs + (deviceUs - this.anchorDeviceUs) / 1000;
    if (Math.abs(wallMs - arrivalMs) > REANCHOR_DISAGREEMENT_MS) {
      this.anchor(deviceUs, arrivalMs);
      wallMs = arrivalMs;
    }
    return wallMs;
  }

  private anchor(deviceUs: number, arrivalMs: number): void {
    this.anchorWallMs = arrivalMs;
    this.anchorDeviceUs = deviceUs;
  }

  /**
   * Notes a v>=4 ACDR sequence number; returns how many datagrams went missing just before it.
   * A late or repeated datagram moves nothing (recording gaps are counted once, when seen).
   */
  noteSequence(seq: number): number {
    if (this.expectedSeq < 0) {
      this.expectedSeq = (seq + 1) % SEQ_MODULO;
      return 0;
    }
    const ahead = (seq - this.expectedSeq + SEQ_MODULO) % SEQ_MODULO;
    if (ahead >= SEQ_HALF_RANGE) return 0;
    this.expectedSeq = (seq + 1) % SEQ_MODULO;
    this.recordingGaps += ahead;
    return ahead;
  }
}
