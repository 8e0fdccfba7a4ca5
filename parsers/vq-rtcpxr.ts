/**
 * RFC 6035 `application/vq-rtcpxr` report bodies (SIP PUBLISH/NOTIFY, Event: vq-rtcpxr).
 *
 * tshark has no dissector for these bodies (it shows them as text lines), so field names follow
 * the RFC's parameter names, with units in ours:
 *
 * | RFC 6035          | ours                                                                |
 * |-------------------|---------------------------------------------------------------------|
 * | SessionDesc       | PT payloadType, PD payloadDesc, SR sampleRateHz, FD frameDurationMs, |
 * |                   | FO frameOctets, FPP framesPerPacket, PPS packetsPerSecond, FMTP fmtp,|
 * |                   | PLC plc, SSUP silenceSuppression                                     |
 * | JitterBuffer      | JBA adaptive, JBR rate, JBN nominalMs, JBM maxMs, JBX absMaxMs       |
 * | PacketLoss        | NLR networkLossPct, JDR jbDiscardPct  (percent, not /256)           |
 * | BurstGapLoss      | BLD burstDensityPct, BD burstDurationMs, GLD gapDensityPct,          |
 * |                   | GD gapDurationMs, GMIN gmin                                          |
 * | Delay             | RTD roundTripMs, ESD endSystemMs, OWD oneWayMs, SOWD symmOneWayMs,   |
 * |                   | IAJ interArrivalJitterMs, MAJ meanAbsJitterMs                        |
 * | Signal            | SL signalLevelDb, NL noiseLevelDb, RERL rerlDb  (dBm0 / dB)          |
 * | QualityEst        | RLQ, RCQ, EXTRI, EXTRO (R factors), MOSLQ mosLq, MOSCQ mosCq, *EstAlg |
 *
 * Tolerant by design (see the spec's §3.5): real devices fold lines, write `CallID=` for
 * `CallID:`, send bare-hex SSRCs, empty group lines, `Port=` for `PORT=`, missing spaces between
 * parameters, and sentinels (127, 65535) that RFC 6035 says to omit. Each tolerance is recorded in
 * `warnings`; sentinels become `null` ("sent, but unavailable"), absent values stay `undefined`.
 */
import { isIP } from 'node:net';
import { decodeError, isDecodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'vq-rtcpxr';

/** Real bodies are 0.8-2 KB; 64 KiB is far past any device and still cheap to scan. */
export const MAX_VQ_BODY_BYTES = 64 * 1024;
/** Past this, further warnings are counted, not listed, so a hostile body can't inflate the result. */
export const MAX_VQ_WARNINGS = 50;

export type VqReportType = 'VQSessionReport' | 'VQIntervalReport' | 'VQAlertReport';

export interface VqAlert {
  /** The metric that crossed its threshold (`MOSLQ`, `NLR`, ...). */
  readonly type?: string;
  /** `Warning`, `Critical` or `Clear` in practice. */
  readonly severity?: string;
  /** `local` or `remote`. */
  readonly direction?: string;
}

export interface VqAddress {
  readonly ip?: string;
  readonly port?: number;
  readonly ssrc?: number;
  /** Every parameter as written, keys upper-cased. */
  readonly params: Readonly<Record<string, string>>;
}

export interface VqDialogId {
  readonly callId: string;
  readonly toTag?: string;
  readonly fromTag?: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface VqTimestamps {
  readonly start?: string;
  readonly stop?: string;
  readonly startMs?: number;
  readonly stopMs?: number;
}

export interface VqSessionDesc {
  readonly payloadType?: number;
  readonly payloadDesc?: string;
  readonly sampleRateHz?: number;
  readonly frameDurationMs?: number;
  readonly frameOctets?: number;
  readonly framesPerPacket?: number;
  readonly packetsPerSecond?: number;
  readonly fmtp?: string;
  /** 0 unspecified, 1 disabled, 2 enhanced, 3 standard (RTCP XR RX config bits 7-6). */
  readonly plc?: number;
  readonly silenceSuppression?: boolean;
}

export interface VqJitterBuffer {
  /** 0 unknown, 1 reserved, 2 non-adaptive, 3 adaptive. */
  readonly adaptive?: number;
  readonly rate?: number;
  readonly nominalMs?: number | null;
  readonly maxMs?: number | null;
  readonly absMaxMs?: number | null;
}

export interface VqPacketLoss {
  readonly networkLossPct?: number;
  readonly jbDiscardPct?: number;
}

export interface VqBurstGapLoss {
  readonly burstDensityPct?: number;
  readonly burstDurationMs?: number;
  readonly gapDensityPct?: number;
  readonly gapDurationMs?: number;
  readonly gmin?: number;
}

export interface VqDelay {
  readonly roundTripMs?: number;
  readonly endSystemMs?: number;
  readonly oneWayMs?: number;
  readonly symmOneWayMs?: number;
  readonly interArrivalJitterMs?: number;
  readonly meanAbsJitterMs?: number;
}

export interface VqSignal {
  readonly signalLevelDb?: number | null;
  readonly noiseLevelDb?: number | null;
  readonly rerlDb?: number | null;
}

export interface VqQualityEst {
  readonly rlq?: number | null;
  readonly rlqEstAlg?: string;
  readonly rcq?: number | null;
  readonly rcqEstAlg?: string;
  readonly extri?: number | null;
  readonly extriEstAlg?: string;
  readonly extro?: number | null;
  readonly extroEstAlg?: string;
  readonly mosLq?: number | null;
  readonly mosLqEstAlg?: string;
  readonly mosCq?: number | null;
  readonly mosCqEstAlg?: string;
  readonly qoeEstAlg?: string;
}

export interface VqMetrics {
  readonly timestamps?: VqTimestamps;
  readonly sessionDesc?: VqSessionDesc;
  readonly jitterBuffer?: VqJitterBuffer;
  readonly packetLoss?: VqPacketLoss;
  readonly burstGapLoss?: VqBurstGapLoss;
  readonly delay?: VqDelay;
  readonly signal?: VqSignal;
  readonly qualityEst?: VqQualityEst;
  /** Every metric line's parameters as written (vendor extensions included), by line tag. */
  readonly lines: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface VqExtension {
  readonly tag: string;
  readonly value: string;
}

export interface VqReport {
  readonly type: VqReportType;
  /** `VQSessionReport: CallTerm`, the end-of-call form. */
  readonly callTerm: boolean;
  readonly alert?: VqAlert;
  /** Call-ID of the reported call (not the PUBLISH's own). */
  readonly callId?: string;
  readonly localId?: string;
  readonly remoteId?: string;
  readonly origId?: string;
  readonly localGroup?: string;
  readonly remoteGroup?: string;
  readonly localAddr?: VqAddress;
  readonly remoteAddr?: VqAddress;
  /** Lower-case, colon-separated when it has 12 hex digits; as written otherwise. */
  readonly localMac?: string;
  readonly remoteMac?: string;
  readonly dialogId?: VqDialogId;
  /** What the reporter measured on what it received. */
  readonly localMetrics?: VqMetrics;
  /** What the peer reported back (via RTCP XR). */
  readonly remoteMetrics?: VqMetrics;
  /** Lines we don't model (`x-UserAgent`, snom's `FromID`/`ToID`, ...), in order. */
  readonly extensions: readonly VqExtension[];
  /** Lines that are not `Tag: value` at all, and lines before the body's first report line: whole, in order, each with a warning. */
  readonly unparsedLines: readonly string[];
  readonly warnings: readonly string[];
}

class Warnings {
  readonly list: string[] = [];
  private dropped = 0;
  add(message: string): void {
    if (this.list.length < MAX_VQ_WARNINGS) this.list.push(message);
    else this.dropped++;
  }
  done(): string[] {
    return this.dropped > 0 ? [...this.list, `${this.dropped} more warnings not listed`] : this.list;
  }
}

// ---------------------------------------------------------------------------------------------
// Lines

interface Line {
  readonly number: number;
  readonly text: string;
}

const TAGGED_LINE = /^([A-Za-z][\w-]*)\s*:(.*)$/;
/** AudioCodes writes `CallID=...`; we accept `=` for the two id lines only (spec §3.5 rule 3). */
const EQUALS_TAGGED_LINE = /^(CallID|DialogID)\s*=(.*)$/i;
const BARE_PARAM_LINE = /^[A-Za-z][\w-]*=/;

/** Joins folded lines (indented, or a bare `KEY=` line after a metric line) of one report. */
function logicalLines(rawLines: readonly Line[], warnings: Warnings): Line[] {
  const lines: { number: number; text: string }[] = [];
  for (const { number, text: raw } of rawLines) {
    const previous = lines[lines.length - 1];
    if (raw.trim() === '') continue;
    if ((raw[0] === ' ' || raw[0] === '\t') && previous) {
      previous.text += ' ' + raw.trim();
      continue;
    }
    const trimmed = raw.trim();
    if (previous && lines.length > 1 && !TAGGED_LINE.test(trimmed) && !EQUALS_TAGGED_LINE.test(trimmed) && BARE_PARAM_LINE.test(trimmed)) {
      warnings.add(`line ${number}: unindented continuation joined to line ${previous.number}`);
      previous.text += ' ' + trimmed;
      continue;
    }
    lines.push({ number, text: trimmed });
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Parameters

/**
 * `KEY=value KEY="quoted value" ...`; keys split even without a space after a number (snom's
 * `JBM=20JBX=240`) or, given the line's `keys`, after any short value (`IP=10.0.0.1PORT=5004`).
 * Index-based with sticky regexes so a hostile 64 KiB line stays linear.
 */
function tokenizeParams(text: string, where: string, warnings: Warnings, keys?: RegExp): [string, string][] {
  const params: [string, string][] = [];
  const key = /([A-Za-z][\w-]*)=/y;
  const nonSpace = /\S*/y;
  const space = /\s*/y;
  const glued = /-?\d+(?:\.\d+)?(?=[A-Za-z][\w-]*=)/y;
  const skip = (re: RegExp, at: number): number => {
    re.lastIndex = at;
    re.exec(text);
    return re.lastIndex;
  };
  let pos = skip(space, 0);
  while (pos < text.length) {
    key.lastIndex = pos;
    const k = key.exec(text);
    if (!k) {
      const end = skip(nonSpace, pos);
      warnings.add(`${where}: ignored ${JSON.stringify(text.slice(pos, Math.min(end, pos + 40)))} (not KEY=value)`);
      pos = skip(space, end);
      continue;
    }
    pos = key.lastIndex;
    if (text[pos] === '"') {
      const close = text.indexOf('"', pos + 1);
      if (close < 0) warnings.add(`${where}: unterminated quote in ${k[1]}`);
      params.push([k[1]!, text.slice(pos + 1, close < 0 ? text.length : close)]);
      pos = close < 0 ? text.length : skip(space, close + 1);
      continue;
    }
    // `IP= 10.0.0.1`: a space after `=` and a value that is not the next KEY= belongs to this key.
    if (text[pos] === ' ' || text[pos] === '\t') {
      const valueAt = skip(space, pos);
      key.lastIndex = valueAt;
      if (valueAt < text.length && !key.exec(text)) {
        warnings.add(`${where}: space after ${k[1]}=`);
        pos = valueAt;
      }
    }
    // Before the number rule, which would cut `SSRC=0x0a0b0c0dPORT=9` after its first 0.
    const cut = keys && !FREE_FORM_KEYS.has(k[1]!.toUpperCase()) ? gluedKeyAt(text, pos, keys) : -1;
    glued.lastIndex = pos;
    const g = cut < 0 ? glued.exec(text) : null;
    const valueEnd = cut >= 0 ? cut : g ? glued.lastIndex : -1;
    if (valueEnd >= 0) {
      warnings.add(`${where}: missing space after ${k[1]}=${text.slice(pos, Math.min(valueEnd, pos + 40))}`);
      params.push([k[1]!, text.slice(pos, valueEnd)]);
      pos = valueEnd;
      continue;
    }
    const end = skip(nonSpace, pos);
    params.push([k[1]!, text.slice(pos, end)]);
    pos = skip(space, end);
  }
  return params;
}

/** fmtp values carry their own `key=value` pairs (`apt=96`), which are not the line's keys. */
const FREE_FORM_KEYS: ReadonlySet<string> = new Set(['FMTP']);
/** A whole value of at most 200 characters: values run together are short, and the bound keeps the scan linear. */
const SHORT_VALUE = /\S{0,200}(?!\S)/y;

/** Where one of the line's `keys` starts inside the value at `pos` (`10.0.0.1PORT=5004`), or -1. */
function gluedKeyAt(text: string, pos: number, keys: RegExp): number {
  SHORT_VALUE.lastIndex = pos;
  const value = SHORT_VALUE.exec(text)?.[0] ?? '';
  const at = value.slice(1).search(keys);
  return at < 0 ? -1 : pos + 1 + at;
}

/** The `KEY=` of any of `keys`, case-insensitively, for `tokenizeParams`. */
function keyPattern(keys: readonly string[]): RegExp {
  return new RegExp(`(?:${keys.join('|')})=`, 'i');
}

/** Params by upper-cased key; a repeated key keeps its first value, with a warning. */
function paramMap(text: string, where: string, warnings: Warnings, keys?: RegExp): Map<string, { key: string; value: string }> {
  const map = new Map<string, { key: string; value: string }>();
  for (const [key, value] of tokenizeParams(text, where, warnings, keys)) {
    const upper = key.toUpperCase();
    if (map.has(upper)) warnings.add(`${where}: repeated ${key}, kept the first`);
    else map.set(upper, { key, value });
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// Value types

type Parse = (value: string, where: string, warnings: Warnings) => number | string | boolean | null | undefined;

function number(pattern: RegExp, min: number, max: number, sentinel?: (n: number) => boolean): Parse {
  return (value, where, warnings) => {
    if (!pattern.test(value)) {
      warnings.add(`${where}: ${JSON.stringify(value.slice(0, 20))} is not a valid number`);
      return undefined;
    }
    const n = Number(value);
    if (sentinel?.(n)) return null;
    if (n < min || n > max) {
      warnings.add(`${where}: ${value} is outside ${min}..${max}`);
      return undefined;
    }
    return n;
  };
}

const UINT = /^\d{1,10}$/;
const DECIMAL = /^\d{1,10}(?:\.\d+)?$/;
const SIGNED = /^[-+]?\d{1,5}$/;

const uint = (max: number): Parse => number(UINT, 0, max);
/** Millisecond values: RFC 6035 says digits only, some stacks send decimals; take both. */
const ms = (max: number): Parse => number(DECIMAL, 0, max);
const pct: Parse = number(DECIMAL, 0, 100);
/** JB delays: 65535 is RFC 3611's "larger than this / unavailable" that some devices copy over. */
const jbMs: Parse = number(UINT, 0, 65535, (n) => n === 65535);
/** Signal/noise (dBm0) and RERL (dB): 127 is the RTCP XR "unavailable" sentinel. */
const level: Parse = number(SIGNED, -127, 127, (n) => n === 127);
/** R factors: narrowband 0-100, wideband (G.107.1) up to 129; 127 is "unavailable". */
const rFactor: Parse = number(UINT, 0, 129, (n) => n === 127);
/** MOS 1.0-5.0 (some stacks 0-4.9); 12.7 and up is the 127 sentinel copied over raw or ÷10. */
const mos: Parse = number(DECIMAL, 0, 5, (n) => n >= 12.7);
const word: Parse = (value) => value;
const onOff: Parse = (value, where, warnings) => {
  const v = value.toLowerCase();
  if (v === 'on' || v === 'off') return v === 'on';
  warnings.add(`${where}: ${JSON.stringify(value.slice(0, 20))} is not on/off`);
  return undefined;
};

type GroupTag = 'SessionDesc' | 'JitterBuffer' | 'PacketLoss' | 'BurstGapLoss' | 'Delay' | 'Signal' | 'QualityEst';

/** Each metric line's parameters: RFC key → our field and its value type. */
const GROUPS: Record<GroupTag, { readonly field: Exclude<keyof VqMetrics, 'timestamps' | 'lines'>; readonly params: Record<string, readonly [string, Parse]> }> = {
  SessionDesc: {
    field: 'sessionDesc',
    params: {
      PT: ['payloadType', uint(127)],
      PD: ['payloadDesc', word],
      SR: ['sampleRateHz', uint(999_999)],
      FD: ['frameDurationMs', uint(9999)],
      FO: ['frameOctets', uint(99_999)],
      FPP: ['framesPerPacket', uint(99)],
      PPS: ['packetsPerSecond', uint(99_999)],
      FMTP: ['fmtp', word],
      PLC: ['plc', uint(3)],
      SSUP: ['silenceSuppression', onOff],
    },
  },
  JitterBuffer: {
    field: 'jitterBuffer',
    params: { JBA: ['adaptive', uint(3)], JBR: ['rate', uint(15)], JBN: ['nominalMs', jbMs], JBM: ['maxMs', jbMs], JBX: ['absMaxMs', jbMs] },
  },
  PacketLoss: { field: 'packetLoss', params: { NLR: ['networkLossPct', pct], JDR: ['jbDiscardPct', pct] } },
  BurstGapLoss: {
    field: 'burstGapLoss',
    params: {
      BLD: ['burstDensityPct', pct],
      BD: ['burstDurationMs', ms(3_600_000)],
      GLD: ['gapDensityPct', pct],
      GD: ['gapDurationMs', ms(3_600_000)],
      GMIN: ['gmin', uint(255)],
    },
  },
  Delay: {
    field: 'delay',
    params: {
      RTD: ['roundTripMs', ms(65535)],
      ESD: ['endSystemMs', ms(65535)],
      OWD: ['oneWayMs', ms(65535)],
      SOWD: ['symmOneWayMs', ms(65535)],
      IAJ: ['interArrivalJitterMs', ms(65535)],
      MAJ: ['meanAbsJitterMs', ms(65535)],
    },
  },
  Signal: { field: 'signal', params: { SL: ['signalLevelDb', level], NL: ['noiseLevelDb', level], RERL: ['rerlDb', level] } },
  QualityEst: {
    field: 'qualityEst',
    params: {
      RLQ: ['rlq', rFactor],
      RLQESTALG: ['rlqEstAlg', word],
      RCQ: ['rcq', rFactor],
      RCQESTALG: ['rcqEstAlg', word],
      EXTRI: ['extri', rFactor],
      EXTRIESTALG: ['extriEstAlg', word],
      EXTRO: ['extro', rFactor],
      EXTROESTALG: ['extroEstAlg', word],
      MOSLQ: ['mosLq', mos],
      MOSLQESTALG: ['mosLqEstAlg', word],
      MOSCQ: ['mosCq', mos],
      MOSCQESTALG: ['mosCqEstAlg', word],
      QOEESTALG: ['qoeEstAlg', word],
    },
  },
};

function typedGroup(tag: GroupTag, params: Map<string, { key: string; value: string }>, where: string, warnings: Warnings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [upper, { value }] of params) {
    const spec = GROUPS[tag].params[upper];
    if (!spec) continue; // vendor extension: kept in `lines`
    const parsed = spec[1](value, `${where} ${upper}`, warnings);
    if (parsed !== undefined) out[spec[0]] = parsed;
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function timestamps(params: Map<string, { key: string; value: string }>, where: string, warnings: Warnings): VqTimestamps {
  const out: { start?: string; stop?: string; startMs?: number; stopMs?: number } = {};
  for (const name of ['START', 'STOP'] as const) {
    const value = params.get(name)?.value;
    if (value === undefined) continue;
    const key = name === 'START' ? 'start' : 'stop';
    out[key] = value;
    const epochMs = RFC3339.test(value) ? Date.parse(value.replace(' ', 'T')) : NaN;
    if (Number.isNaN(epochMs)) warnings.add(`${where} ${name}: ${JSON.stringify(value.slice(0, 40))} is not an RFC 3339 time`);
    else out[`${key}Ms`] = epochMs;
  }
  if (out.startMs !== undefined && out.stopMs !== undefined && out.stopMs < out.startMs) warnings.add(`${where}: STOP is before START`);
  return out;
}

const ADDRESS_KEYS = keyPattern(['IP', 'PORT', 'SSRC']);

function address(text: string, where: string, warnings: Warnings): VqAddress {
  const params = paramMap(text, where, warnings, ADDRESS_KEYS);
  const raw = Object.fromEntries([...params].map(([upper, { value }]) => [upper, value]));
  const ipText = params.get('IP')?.value.replace(/^\[(.*)\]$/, '$1');
  if (ipText !== undefined && isIP(ipText) === 0) warnings.add(`${where} IP: ${JSON.stringify(ipText.slice(0, 40))} is not an IP address`);
  const portText = params.get('PORT')?.value;
  const port = portText === undefined ? undefined : uint(65535)(portText, `${where} PORT`, warnings);
  const ssrcText = params.get('SSRC')?.value;
  let ssrc: number | undefined;
  if (ssrcText !== undefined) {
    const prefixed = /^0x([0-9a-f]{1,8})$/i.exec(ssrcText);
    // The RFC's own example writes SSRC=1a3b5c7d; read bare digits as hex too, as the RFC means.
    const bare = !prefixed && /^[0-9a-f]{1,8}$/i.test(ssrcText);
    // Some phones write the SSRC in decimal: more than 8 digits cannot be 32-bit hex, so read those as decimal.
    const decimal = !prefixed && !bare && /^\d{9,10}$/.test(ssrcText) && Number(ssrcText) <= 0xffffffff;
    if (prefixed) ssrc = parseInt(prefixed[1]!, 16);
    else if (bare) {
      ssrc = parseInt(ssrcText, 16);
      warnings.add(`${where} SSRC: no 0x prefix, read as hex`);
    } else if (decimal) {
      ssrc = Number(ssrcText);
      warnings.add(`${where} SSRC: decimal, read as decimal`);
    } else warnings.add(`${where} SSRC: ${JSON.stringify(ssrcText.slice(0, 20))} is not a 32-bit hex value`);
  }
  return {
    ...(ipText !== undefined && ipText !== '' ? { ip: ipText } : {}),
    ...(typeof port === 'number' ? { port } : {}),
    ...(ssrc !== undefined ? { ssrc } : {}),
    params: raw,
  };
}

function mac(text: string, where: string, warnings: Warnings): string {
  const hex = text.replace(/[:.\-\s]/g, '');
  if (/^[0-9a-f]{12}$/i.test(hex)) return hex.toLowerCase().match(/../g)!.join(':');
  warnings.add(`${where}: ${JSON.stringify(text.slice(0, 30))} is not a MAC address`);
  return text;
}

function dialogId(text: string): VqDialogId {
  const [callId = '', ...rest] = text.split(';').map((p) => p.trim());
  const params: Record<string, string> = {};
  for (const part of rest) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!(key in params)) params[key] = eq < 0 ? '' : part.slice(eq + 1).trim();
  }
  return {
    callId,
    ...(params['to-tag'] !== undefined ? { toTag: params['to-tag'] } : {}),
    ...(params['from-tag'] !== undefined ? { fromTag: params['from-tag'] } : {}),
    params,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const REPORT_LINE = /^(VQSessionReport|VQIntervalReport|VQAlertReport)\s*(?::\s*(.*))?$/i;
/** The report line once folding has joined any indented lines to it (`VQAlertReport: Type=NLR` + `  Dir=local`). */
const REPORT_HEAD = /^(VQSessionReport|VQIntervalReport|VQAlertReport)\s*:?\s*(.*)$/i;
const REPORT_TYPES: Record<string, VqReportType> = { vqsessionreport: 'VQSessionReport', vqintervalreport: 'VQIntervalReport', vqalertreport: 'VQAlertReport' };

const IDENTITY_TAGS = ['CallID', 'LocalID', 'RemoteID', 'OrigID', 'LocalGroup', 'RemoteGroup', 'LocalAddr', 'RemoteAddr', 'LocalMAC', 'RemoteMAC', 'DialogID'] as const;
type IdentityTag = (typeof IDENTITY_TAGS)[number];
const CANONICAL_TAGS = new Map<string, string>(
  [...IDENTITY_TAGS, ...Object.keys(GROUPS), 'Timestamps', 'LocalMetrics', 'RemoteMetrics', 'Metrics'].map((t) => [t.toLowerCase(), t]),
);

const METRIC_LINE_KEYS: Readonly<Record<string, RegExp>> = {
  Timestamps: keyPattern(['START', 'STOP']),
  ...Object.fromEntries(Object.entries(GROUPS).map(([tag, g]) => [tag, keyPattern(Object.keys(g.params))])),
};

interface MetricsBuilder {
  timestamps?: VqTimestamps;
  groups: Partial<Record<string, Record<string, unknown>>>;
  lines: Record<string, Record<string, string>>;
}

function finishMetrics(b: MetricsBuilder): VqMetrics {
  return { ...(b.timestamps ? { timestamps: b.timestamps } : {}), ...b.groups, lines: b.lines } as VqMetrics;
}

function bodyText(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
}

interface Body {
  /** Non-blank lines before the first report line, trimmed. */
  readonly stray: readonly Line[];
  /** Each report's raw lines, its report line first; line numbers count from the top of the body. */
  readonly reports: readonly (readonly Line[])[];
}

/** Cuts the body at each report line: a PUBLISH may carry an interval and a session report, or several. */
function splitBody(input: string | Uint8Array): Body | DecodeError {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > MAX_VQ_BODY_BYTES) return decodeError(FORMAT, `body is ${size} bytes, limit ${MAX_VQ_BODY_BYTES}`);
  const stray: Line[] = [];
  const reports: Line[][] = [];
  for (const [index, text] of bodyText(input).replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).entries()) {
    const trimmed = text.trim();
    if (REPORT_LINE.test(trimmed)) reports.push([{ number: index + 1, text }]);
    else if (reports.length > 0) reports[reports.length - 1]!.push({ number: index + 1, text });
    else if (trimmed !== '') stray.push({ number: index + 1, text: trimmed });
  }
  if (reports.length === 0 && stray.length === 0) return decodeError(FORMAT, 'empty body');
  return { stray, reports };
}

function notAReport(line: Line): DecodeError {
  return decodeError(FORMAT, `line ${line.number} is not a VQSessionReport/VQIntervalReport/VQAlertReport line: ${JSON.stringify(line.text.slice(0, 60))}`, line.number);
}

/** The body's one report; a body that holds more gives its first, with a warning naming the rest. */
export function decodeVqRtcpxr(input: string | Uint8Array): VqReport | DecodeError {
  const body = splitBody(input);
  if (isDecodeError(body)) return body;
  if (body.stray.length > 0) return notAReport(body.stray[0]!);
  const [first, ...more] = body.reports;
  const note = more.length > 0 ? `line ${more[0]![0]!.number}: ${more.length} more report(s) in the body, not read here (decodeVqRtcpxrReports reads every one)` : undefined;
  return decodeReport(first!, [], note);
}

/**
 * Every report of a body. Lines before the first report line are kept raw on that report (and
 * warned about) rather than refusing the body; a body with no report line at all is refused.
 */
export function decodeVqRtcpxrReports(input: string | Uint8Array): VqReport[] | DecodeError {
  const body = splitBody(input);
  if (isDecodeError(body)) return body;
  if (body.reports.length === 0) return notAReport(body.stray[0]!);
  return body.reports.map((lines, i) => decodeReport(lines, i === 0 ? body.stray : []));
}

/** One report from its raw lines (the report line first); `stray` lines are kept raw on it, `note` added to its warnings. */
function decodeReport(rawLines: readonly Line[], stray: readonly Line[], note?: string): VqReport {
  const warnings = new Warnings();
  for (const line of stray) warnings.add(`line ${line.number}: before the first report line, kept raw: ${JSON.stringify(line.text.slice(0, 60))}`);
  const lines = logicalLines(rawLines, warnings);
  const first = lines[0]!;
  const head = REPORT_HEAD.exec(first.text)!;
  const type = REPORT_TYPES[head[1]!.toLowerCase()]!;
  const headRest = (head[2] ?? '').trim();
  let callTerm = false;
  const alertFields: { type?: string; severity?: string; direction?: string } = {};
  if (type === 'VQAlertReport') {
    const params = paramMap(headRest, `line ${first.number}`, warnings, ALERT_KEYS);
    for (const [k, { value }] of params) {
      const field = ALERT_FIELDS[k.toLowerCase()];
      if (field) alertFields[field] ??= value;
    }
  } else if (/^CallTerm$/i.test(headRest)) {
    callTerm = true;
  } else if (headRest !== '') {
    warnings.add(`line ${first.number}: unexpected ${JSON.stringify(headRest.slice(0, 40))} after ${type}`);
  }

  const identity: Partial<Record<IdentityTag, string>> = {};
  const identityLine: Partial<Record<IdentityTag, number>> = {};
  const metrics: { local?: MetricsBuilder; remote?: MetricsBuilder } = {};
  let context: 'local' | 'remote' | undefined;
  const extensions: VqExtension[] = [];
  const unparsedLines = stray.map((line) => line.text);

  for (const line of lines.slice(1)) {
    const where = `line ${line.number}`;
    const tagged = TAGGED_LINE.exec(line.text);
    const m = tagged ?? EQUALS_TAGGED_LINE.exec(line.text);
    if (!m) {
      warnings.add(`${where}: not "Tag: value": ${JSON.stringify(line.text.slice(0, 60))}`);
      unparsedLines.push(line.text);
      continue;
    }
    if (!tagged) warnings.add(`${where}: ${m[1]}= read as ${m[1]}:`);
    const tag = CANONICAL_TAGS.get(m[1]!.toLowerCase());
    const value = m[2]!.trim();
    // Some phones put the alert's Severity, Type and Direction on lines of their own.
    const alertField = type === 'VQAlertReport' && tag === undefined ? ALERT_FIELDS[m[1]!.toLowerCase()] : undefined;
    if (alertField) {
      alertFields[alertField] ??= value;
      continue;
    }
    if (tag === undefined) {
      extensions.push({ tag: m[1]!, value });
      continue;
    }
    if (tag === 'LocalMetrics' || tag === 'RemoteMetrics' || tag === 'Metrics') {
      context = tag === 'RemoteMetrics' ? 'remote' : 'local';
      if (metrics[context]) warnings.add(`${where}: second ${tag} block merged into the first`);
      metrics[context] ??= { groups: {}, lines: {} };
      if (value !== '') warnings.add(`${where}: text after ${tag}: ignored`);
      continue;
    }
    if ((IDENTITY_TAGS as readonly string[]).includes(tag)) {
      const id = tag as IdentityTag;
      if (identity[id] !== undefined) warnings.add(`${where}: repeated ${tag} (first on line ${identityLine[id]}), kept the first`);
      else {
        identity[id] = value;
        identityLine[id] = line.number;
      }
      continue;
    }
    // A metric line (Timestamps, SessionDesc, ...).
    if (context === undefined) {
      warnings.add(`${where}: ${tag} before any LocalMetrics/RemoteMetrics line, counted as local`);
      context = 'local';
      metrics.local ??= { groups: {}, lines: {} };
    }
    const block = metrics[context]!;
    const blockWhere = `${where} ${context === 'local' ? 'LocalMetrics' : 'RemoteMetrics'} ${tag}`;
    if (block.lines[tag]) {
      warnings.add(`${blockWhere}: repeated line, kept the first`);
      continue;
    }
    const params = paramMap(value, blockWhere, warnings, METRIC_LINE_KEYS[tag]);
    block.lines[tag] = Object.fromEntries([...params.values()].map(({ key, value: v }) => [key, v]));
    if (tag === 'Timestamps') block.timestamps = timestamps(params, blockWhere, warnings);
    else block.groups[GROUPS[tag as GroupTag].field] = typedGroup(tag as GroupTag, params, blockWhere, warnings);
  }

  const alert = type === 'VQAlertReport' ? checkedAlert(alertFields, `line ${first.number}`, warnings) : undefined;
  if (identity.CallID === undefined && identity.DialogID === undefined) warnings.add('no CallID line');
  if (!metrics.local) warnings.add('no LocalMetrics block');
  if (note) warnings.add(note);
  const where = (tag: IdentityTag): string => `line ${identityLine[tag]} ${tag}`;
  const text = (tag: IdentityTag): string | undefined => {
    const v = identity[tag];
    return v === undefined || v === '' ? undefined : v;
  };
  const localMac = text('LocalMAC');
  const remoteMac = text('RemoteMAC');
  const dialog = text('DialogID');
  const callId = text('CallID');
  const optional = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
  return {
    type,
    callTerm,
    ...optional('alert', alert),
    ...optional('callId', callId),
    ...optional('localId', text('LocalID')),
    ...optional('remoteId', text('RemoteID')),
    ...optional('origId', text('OrigID')),
    ...optional('localGroup', text('LocalGroup')),
    ...optional('remoteGroup', text('RemoteGroup')),
    ...optional('localAddr', identity.LocalAddr !== undefined ? address(identity.LocalAddr, where('LocalAddr'), warnings) : undefined),
    ...optional('remoteAddr', identity.RemoteAddr !== undefined ? address(identity.RemoteAddr, where('RemoteAddr'), warnings) : undefined),
    ...optional('localMac', localMac !== undefined ? mac(localMac, where('LocalMAC'), warnings) : undefined),
    ...optional('remoteMac', remoteMac !== undefined ? mac(remoteMac, where('RemoteMAC'), warnings) : undefined),
    ...optional('dialogId', dialog !== undefined ? dialogId(dialog) : undefined),
    ...optional('localMetrics', metrics.local ? finishMetrics(metrics.local) : undefined),
    ...optional('remoteMetrics', metrics.remote ? finishMetrics(metrics.remote) : undefined),
    extensions,
    unparsedLines,
    warnings: warnings.done(),
  };
}

/** `Dir` is RFC 6035's name; `Direction` is how phones that write the fields on lines of their own spell it. */
const ALERT_FIELDS: Readonly<Record<string, 'type' | 'severity' | 'direction'>> = { type: 'type', severity: 'severity', dir: 'direction', direction: 'direction' };
const ALERT_KEYS = keyPattern(Object.keys(ALERT_FIELDS));

function checkedAlert(f: { type?: string; severity?: string; direction?: string }, where: string, warnings: Warnings): VqAlert {
  if (f.type === undefined || f.severity === undefined || f.direction === undefined) warnings.add(`${where}: alert lacks Type, Severity or Dir`);
  if (f.severity !== undefined && !/^(Warning|Critical|Clear)$/i.test(f.severity)) warnings.add(`${where}: unknown alert Severity ${JSON.stringify(f.severity)}`);
  if (f.direction !== undefined && !/^(local|remote)$/i.test(f.direction)) warnings.add(`${where}: unknown alert Dir ${JSON.stringify(f.direction)}`);
  return { ...f };
}
