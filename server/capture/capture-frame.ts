/** What every capture reader hands out, whatever the file format, and how it reports damage. */
import type { CapturedFrame } from './pcap-reader.js';

export interface CaptureFrame extends CapturedFrame {
  /** Interface index in the file (pcapng; 0 for classic pcap). */
  readonly interface: number;
  /** The packet's comments (pcapng opt_comment), joined by newlines. */
  readonly comment?: string;
  /** Byte offset of the frame's record in the file. */
  readonly offset: number;
}

/** Something wrong in a file that the reader stepped over: where and what. */
export interface CaptureIssue {
  readonly offset: number;
  readonly message: string;
}

export type IssueSink = (issue: CaptureIssue) => void;

/** A record/block longer than this is taken as a lying length field, not read. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
