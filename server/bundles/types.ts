/**
 * Ticket bundles: what a bundle is about (scope), how it is made (options), and what it says of
 * itself (status, manifest). Times are ms since the epoch inside the server, ISO in files and JSON.
 */

/** One call; one device over a window; or a window over some devices (all when none are named). */
export type BundleScope =
  | { readonly callId: number }
  | { readonly device: string; readonly fromMs: number; readonly toMs: number }
  | { readonly devices?: readonly string[]; readonly fromMs: number; readonly toMs: number };

export type BundleFormat = 'zip' | 'tar.gz';

export interface BundleOptions {
  /** Replace phone numbers, SIP URIs, user names and IP addresses by consistent tokens. */
  readonly redact: boolean;
  readonly format: BundleFormat;
  /** The finished file's size limit; past it audio, then original, then plain captures are left out. */
  readonly maxBytes: number;
  /** WAV of decodable streams; when redacting, only if asked for explicitly (voice is personal data). */
  readonly includeAudio?: boolean;
}

/** Parts of a bundle the size limit may drop, in the order they are dropped. */
export const DROPPABLE_KINDS = ['audio', 'pcap-original', 'pcap-plain'] as const;
export type DroppableKind = (typeof DROPPABLE_KINDS)[number];

export type BundleState = 'queued' | 'running' | 'done' | 'failed';

export interface BundleStatus {
  readonly id: string;
  readonly state: BundleState;
  /** 0–1. */
  readonly progress: number;
  /** What is being done now, in words. */
  readonly step: string;
  readonly scope: BundleScope;
  readonly options: BundleOptions;
  /** The download's file name, from the scope (sanitised; no addresses when redacting). */
  readonly fileName: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  /** The finished archive's size. */
  readonly bytes: number | null;
  /** Every file's size before packing. */
  readonly contentBytes: number | null;
  readonly files: number | null;
  /** Parts left out, each with why (size limit, redaction). */
  readonly dropped: readonly DroppedPart[];
  /** True when the bundle is still over the limit with everything droppable dropped. */
  readonly overLimit: boolean;
  readonly error: string | null;
}

export interface DroppedPart {
  readonly what: string;
  readonly files: number;
  readonly bytes: number;
  readonly reason: string;
}

export interface ManifestFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly kind: string;
  readonly description: string;
}
