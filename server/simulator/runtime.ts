/**
 * What the generator hands to a sink, and the per-phone counters that change as traffic goes out
 * (syslog `[S=n]`, ACDR sequence, SIP CSeq). Counters advance in emission order, which the engine
 * makes deterministic, so they are part of the reproducible output.
 */
import type { SimPhone } from './plan.js';

/** Which collector port a datagram goes to. */
export type TargetPort = 'syslog' | 'recording' | 'sip';
/** `acdr-<kind>`: the other debug recordings (recording-kinds.ts), one count each. */
export type DatagramKind = 'syslog' | 'acdr-rtp' | 'acdr-rtcp' | 'sip-publish' | 'sip-service'
  | 'acdr-network' | 'acdr-tdm' | 'acdr-dsp-pcm' | 'acdr-dsp' | 'acdr-dsp-event' | 'acdr-ec-debug' | 'acdr-cng-debug' | 'acdr-nr-debug';

export const DATAGRAM_KINDS: readonly DatagramKind[] = ['syslog', 'acdr-rtp', 'acdr-rtcp', 'sip-publish', 'sip-service',
  'acdr-network', 'acdr-tdm', 'acdr-dsp-pcm', 'acdr-dsp', 'acdr-dsp-event', 'acdr-ec-debug', 'acdr-cng-debug', 'acdr-nr-debug'];

export interface Datagram {
  /** Virtual ms from the simulation start. */
  readonly atMs: number;
  readonly phone: SimPhone;
  readonly port: TargetPort;
  readonly kind: DatagramKind;
  readonly bytes: Uint8Array;
}

/** A producer of datagrams in time order; the engine merges all of them by `at`. */
export interface Source {
  /** Time of the next step; Infinity when done. */
  at: number;
  /** Appends what happens at `at` (possibly nothing) and moves `at` on. */
  step(out: Datagram[]): void;
}

export class PhoneRuntime {
  private syslogSeq = 0;
  private acdrSeq = 0;
  private sipCseq = 0;

  /** `sipPort`: the port the phone's SIP reports come from (Via, Contact, vq-rtcpxr). */
  constructor(readonly phone: SimPhone, readonly sipPort: number) {}

  nextSyslogSeq(): number {
    return ++this.syslogSeq;
  }

  nextAcdrSeq(): number {
    this.acdrSeq = (this.acdrSeq + 1) & 0xffff;
    return this.acdrSeq;
  }

  nextCseq(): number {
    return ++this.sipCseq;
  }

  /** The ACDR header clock: µs since the phone booted, wrapping at 32 bits (acdr spec §2.3). */
  deviceClockUs(atMs: number): number {
    return Math.round((atMs - this.phone.bootAtMs) * 1000) % 0x1_0000_0000;
  }
}
