/**
 * Syslog datagram/frame decoder: RFC 5424, RFC 3164 (with the usual embedded-Linux deviations) and
 * the AudioCodes "time : address : SEVERITY : text" console form.
 *
 * One datagram may hold several messages (a phone at Detailed level batches them) and one message
 * may span several lines (SIP messages are logged line by line). A line that starts with `<PRI>`,
 * or that carries its own RFC 3164 header, starts a new message; any other line continues the one
 * before it. Every message keeps the exact bytes it was decoded from.
 *
 * Field names follow tshark's `syslog.*` where it has one (syslog.facility, syslog.level,
 * syslog.timestamp, syslog.hostname, syslog.appname, syslog.procid, syslog.msgid, syslog.msg).
 */
import { decodeError, type DecodeError } from './decode-error.js';

export type SyslogFormat = 'rfc5424' | 'rfc3164' | 'audiocodes' | 'raw';

export interface SdElement {
  readonly id: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface SyslogMessage {
  readonly format: SyslogFormat;
  /** syslog.facility; null when the line had no PRI. */
  readonly facility: number | null;
  /** syslog.level (0 emerg … 7 debug); null when neither PRI nor a severity word was present. */
  readonly severity: number | null;
  /** The timestamp exactly as the device wrote it. */
  readonly timestamp: string | null;
  /** The same instant in ms since the epoch; zone-less times are read as UTC, year-less ones get the year of `referenceMs`. */
  readonly timestampMs: number | null;
  readonly hostname: string | null;
  readonly app: string | null;
  readonly pid: string | null;
  readonly msgid: string | null;
  readonly structuredData: readonly SdElement[] | null;
  /** The text, with `#012`-style escapes turned back into the characters they stand for. */
  readonly message: string;
  /** AudioCodes per-device sequence number `[S=n]`, used to find lost datagrams. */
  readonly seq: number | null;
  /** AudioCodes session/board id (`[SID:…]`, `[BID=…]`), MAC-tail:resets[:session]. */
  readonly sid: string | null;
  /** The bytes this message was decoded from, exactly as received (line separators excluded). */
  readonly raw: Uint8Array;
  /**
   * Where `message` begins in `raw` when it is exactly raw's bytes from there to the end (ASCII,
   * nothing unescaped): a store can then keep the text once; null when the text must be kept apart.
   */
  readonly messageAt: number | null;
  /** What the decoder had to tolerate; empty for a clean message. */
  readonly warnings: readonly string[];
}

export const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

const FORMAT = 'syslog';
const MAX_PRI = 191;
/** Share of control bytes above which a datagram is binary garbage, not text. */
const MAX_CONTROL_BYTE_RATIO = 0.1;
const BOM = '\uFEFF';
const MEAN_YEAR_MS = 31_556_952_000;
/** `decode()` without `stream` keeps no state between calls, so one decoder serves every datagram. */
const UTF8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
/** Control characters that do not occur in text (tab, LF, CR and ESC do). */
const CONTROL_CHAR = /[\x01-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]/;
const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const SEVERITY_WORDS: Readonly<Record<string, number>> = {
  EMERGENCY: 0, EMERG: 0, ALERT: 1, CRITICAL: 2, CRIT: 2, ERROR: 3, ERR: 3, WARNING: 4, WARN: 4,
  NOTICE: 5, INFO: 6, INFORMATIONAL: 6, DEBUG: 7,
};

const PRI_START = /^<\d{1,3}>/;
const RFC3164_TIME = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(?= |$)/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?(?= |$)/;
const AUDIOCODES_HEAD = /^(\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) : (\S+) : ([A-Z]+) ?: ?/;
const TAG = /^([^\s[\]:]{1,64})(?:\[([^\]\s]{1,32})\])?:(?: |$)/;
// Mediant firmware writes `[S=123]`; some versions and relays put spaces around the `=`.
const SEQ = /\[S *= *(\d{1,10})\]/;
const SID = /\[(?:SID|BID) *[:=] *([0-9a-fA-F]{1,12}:\d{1,10}(?::\d{1,10})?)\]/;
/** A relay (rsyslog, syslog-ng) that forwards without stripping puts its own header before the phone's. */
const MAX_RELAY_DEPTH = 2;
/** A relay that writes only its host before the phone's line (`relay-1 <134>Dec  6 …`). */
const RELAY_HOST = /^([A-Za-z0-9][A-Za-z0-9.\-_]*) +/;
/** Mediant SBC/gateway lines carry no process tag: they open with the sequence tag, then `( task)(n)`. */
export const GATEWAY_HEAD = /^ *\[S *= *\d{1,10}\]/;
/** RFC 5424 SD-NAME: printable ASCII but `=`, space, `]` and `"`; so `[S=590]` in the SD position is text, not an element. */
const SD_NAME = /^[!#-<>-\\^-~]{1,32}$/;
const ESCAPED_CONTROL = /#(0[0-3][0-7])/g;

export interface DecodeSyslogOptions {
  /** Receive time (ms since the epoch): gives year-less RFC 3164 timestamps their year. */
  readonly referenceMs: number;
}

/**
 * Decodes one UDP datagram or one TCP frame. Returns an error only for input that is not text at
 * all (empty, binary); anything textual becomes at least one message, tolerated oddities listed
 * in `warnings`, so that no line a phone sent is ever thrown away.
 */
export function decodeSyslog(bytes: Uint8Array, options: DecodeSyslogOptions): SyslogMessage[] | DecodeError {
  if (bytes.length === 0) return decodeError(FORMAT, 'empty datagram', 0);
  const text = UTF8.decode(bytes);
  const garbageAt = binaryGarbageOffset(bytes, text);
  if (garbageAt !== -1) {
    return decodeError(FORMAT, `not syslog text: binary bytes (first NUL or control byte at offset ${garbageAt})`, garbageAt);
  }
  // Pure ASCII (the common case) lets string offsets stand for byte offsets; otherwise each line
  // is decoded from its own bytes so `raw` stays exact.
  const ascii = text.length === bytes.length;
  const messages: SyslogMessage[] = [];
  let current: MessageDraft | null = null;
  let start = 0;
  const n = bytes.length;
  while (start < n) {
    let lf = bytes.indexOf(0x0a, start);
    if (lf === -1) lf = n;
    let end = lf;
    while (end > start && (bytes[end - 1] === 0x0d || bytes[end - 1] === 0x00)) end--;
    if (end > start) {
      const line = ascii ? text.slice(start, end) : UTF8.decode(bytes.subarray(start, end));
      if (line.trim() !== '') {
        if (current === null || PRI_START.test(line) || RFC3164_TIME.test(line) || AUDIOCODES_HEAD.test(line)) {
          if (current) messages.push(finish(current, bytes, ascii ? text : null));
          current = parseHeader(line, options.referenceMs, current, start, end);
        } else {
          current.text += '\n' + line;
          current.rawEnd = end;
        }
      }
    }
    start = lf + 1;
  }
  if (current) messages.push(finish(current, bytes, ascii ? text : null));
  if (messages.length === 0) return decodeError(FORMAT, 'datagram holds only white space', 0);
  return messages;
}

/** Offset of the first byte that makes this binary rather than text, or -1. */
function binaryGarbageOffset(bytes: Uint8Array, text: string): number {
  const nul = bytes.indexOf(0);
  // A trailing NUL terminator is common from C senders; anything else is binary.
  if (nul !== -1 && nul < bytes.length - 2) return nul;
  if (!CONTROL_CHAR.test(text)) return -1;
  let control = 0;
  let first = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== 0x00 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1b) {
      control++;
      if (first === -1) first = i;
    }
  }
  return control > bytes.length * MAX_CONTROL_BYTE_RATIO ? first : -1;
}

interface MessageDraft {
  format: SyslogFormat;
  facility: number | null;
  severity: number | null;
  timestamp: string | null;
  timestampMs: number | null;
  hostname: string | null;
  app: string | null;
  pid: string | null;
  msgid: string | null;
  structuredData: SdElement[] | null;
  text: string;
  warnings: string[];
  rawStart: number;
  rawEnd: number;
}

/** @param asciiText the whole datagram as text when it is pure ASCII, so string offsets are byte offsets. */
function finish(d: MessageDraft, bytes: Uint8Array, asciiText: string | null): SyslogMessage {
  let message = d.text;
  if (message.includes('#0')) message = message.replace(ESCAPED_CONTROL, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  if (message.startsWith(BOM)) message = message.slice(1);
  const at = d.rawEnd - message.length;
  const messageAt = asciiText !== null && at >= d.rawStart && asciiText.startsWith(message, at) ? at - d.rawStart : null;
  const seqMatch = message.indexOf('[S') !== -1 ? SEQ.exec(message) : null;
  const sidMatch = message.indexOf('ID') !== -1 ? SID.exec(message) : null;
  return {
    format: d.format,
    facility: d.facility,
    severity: d.severity,
    timestamp: d.timestamp,
    timestampMs: d.timestampMs,
    hostname: d.hostname,
    app: d.app,
    pid: d.pid,
    msgid: d.msgid,
    structuredData: d.structuredData,
    message,
    seq: seqMatch ? Number(seqMatch[1]) : null,
    sid: sidMatch ? sidMatch[1]!.toLowerCase() : null,
    raw: bytes.subarray(d.rawStart, d.rawEnd),
    messageAt,
    warnings: d.warnings,
  };
}

type Header = MessageDraft;

function parseHeader(line: string, referenceMs: number, previous: MessageDraft | null, rawStart: number, rawEnd: number, depth = 0): Header {
  const h: Header = {
    format: 'raw', facility: null, severity: null, timestamp: null, timestampMs: null, hostname: null,
    app: null, pid: null, msgid: null, structuredData: null, text: line, warnings: [], rawStart, rawEnd,
  };
  let rest = line;
  let hasPri = false;
  if (rest.charCodeAt(0) === 0x3c) {
    const close = rest.indexOf('>');
    const digits = close > 1 && close <= 4 ? rest.slice(1, close) : '';
    const pri = /^\d{1,3}$/.test(digits) ? Number(digits) : NaN;
    if (Number.isInteger(pri) && pri <= MAX_PRI) {
      h.facility = pri >> 3;
      h.severity = pri & 7;
      rest = rest.slice(close + 1);
      hasPri = true;
    } else {
      h.warnings.push('invalid PRI: kept as text');
    }
  } else if (previous && previous.facility !== null && RFC3164_TIME.test(rest)) {
    // A header-only line inside a batch: the phone wrote PRI once for the whole datagram.
    h.facility = previous.facility;
    h.severity = previous.severity;
    h.warnings.push('no PRI: inherited from the previous message of the datagram');
  } else {
    h.warnings.push('no PRI');
  }

  const relayedFrom = (relayHost: string | null, text: string): Header | null =>
    depth < MAX_RELAY_DEPTH && startsWithHeader(text) ? relayed(h, relayHost, parseHeader(text, referenceMs, null, rawStart, rawEnd, depth + 1)) : null;

  if (hasPri && /^1 /.test(rest)) {
    parse5424(rest.slice(2), h);
    // A relay that wraps the phone's whole line, PRI included, as its RFC 5424 message.
    return (PRI_START.test(h.text) && relayedFrom(h.hostname, h.text)) || h;
  }

  const ac = AUDIOCODES_HEAD.exec(rest);
  if (ac) {
    h.format = 'audiocodes';
    h.timestamp = ac[1]!;
    h.hostname = ac[2]!;
    const word = SEVERITY_WORDS[ac[3]!];
    if (word !== undefined && h.severity === null) h.severity = word;
    h.text = rest.slice(ac[0].length);
    parseAudiocodesTag(h);
    return h;
  }

  const time3164 = RFC3164_TIME.exec(rest);
  const timeIso = time3164 ? null : ISO_TIME.exec(rest);
  if (time3164) {
    h.timestamp = time3164[0];
    h.timestampMs = rfc3164Ms(time3164, referenceMs);
    rest = rest.slice(time3164[0].length).replace(/^ +/, '');
  } else if (timeIso) {
    h.timestamp = timeIso[0];
    h.timestampMs = isoMs(timeIso[0]);
    rest = rest.slice(timeIso[0].length).replace(/^ +/, '');
  } else if (hasPri) {
    h.warnings.push('no timestamp');
  }
  if (hasPri || time3164 || timeIso) h.format = 'rfc3164';
  const hostOnly = time3164 || timeIso ? null : RELAY_HOST.exec(rest);
  const behindRelay = time3164 || timeIso ? relayedFrom(null, rest) : hostOnly ? relayedFrom(hostOnly[1]!, rest.slice(hostOnly[0].length)) : null;
  if (behindRelay) return behindRelay;

  // Busybox syslogd leaves the hostname out: the first token is then already the tag.
  let tag = TAG.exec(rest);
  if (!tag && (time3164 || timeIso)) {
    const space = rest.indexOf(' ');
    const host = space > 0 ? rest.slice(0, space) : '';
    if (host && !host.endsWith(':')) {
      const afterHost = rest.slice(space + 1);
      const tagAfterHost = TAG.exec(afterHost);
      if (tagAfterHost) {
        h.hostname = host;
        rest = afterHost;
        tag = tagAfterHost;
      } else if (/^[A-Za-z0-9][A-Za-z0-9.\-_]*$/.test(host)) {
        h.hostname = host;
        rest = afterHost;
      }
    }
  }
  if (!tag && h.hostname !== null) {
    const behindHost = relayedFrom(h.hostname, rest);
    if (behindHost) return behindHost;
  }
  if (tag) {
    h.app = tag[1]!;
    h.pid = tag[2] ?? null;
    rest = rest.slice(tag[0].length);
  }
  h.text = rest;
  if (!tag && GATEWAY_HEAD.test(rest)) parseAudiocodesTag(h);
  return h;
}

function startsWithHeader(text: string): boolean {
  return PRI_START.test(text) || RFC3164_TIME.test(text) || ISO_TIME.test(text) || AUDIOCODES_HEAD.test(text);
}

/** The phone's own header wins; the relay's PRI and time fill what the phone's lacks, and the relay is named in a warning. */
function relayed(outer: Header, relayHost: string | null, inner: Header): Header {
  // What one header lacks and the other has is no longer worth a warning.
  const moot = (w: string, other: Header): boolean => (w === 'no PRI' && other.facility !== null) || (w === 'no timestamp' && other.timestamp !== null);
  return {
    ...inner,
    facility: inner.facility ?? outer.facility,
    // The severity word of an AudioCodes console line is the phone's own, even without a PRI.
    severity: inner.severity ?? outer.severity,
    // The time as written and its instant go together, so a console line's zone-less time keeps its null instant.
    ...(inner.timestamp !== null ? {} : { timestamp: outer.timestamp, timestampMs: outer.timestampMs }),
    structuredData: inner.structuredData ?? outer.structuredData,
    format: inner.format === 'raw' ? outer.format : inner.format,
    warnings: [
      ...outer.warnings.filter((w) => !moot(w, inner)),
      `relay header removed (${relayHost ?? 'no host'}, ${outer.timestamp ?? 'no time'})`,
      ...inner.warnings.filter((w) => !moot(w, outer)),
    ],
  };
}

/** `(lgr_flow)(63)` / `( lgr_flow)( 63)` style process tags of AudioCodes console and Mediant lines name the task. */
function parseAudiocodesTag(h: Header): void {
  const m = /\(\s*([A-Za-z_][\w.-]{0,40})\s*\)\s*\(\s*(\d+)\s*\)/.exec(h.text);
  if (m) {
    h.app = m[1]!;
    h.pid = m[2]!;
  }
}

function parse5424(rest: string, h: Header): Header {
  h.format = 'rfc5424';
  const fields: string[] = [];
  let pos = 0;
  for (let i = 0; i < 5; i++) {
    const space = rest.indexOf(' ', pos);
    if (space === -1) {
      fields.push(rest.slice(pos));
      pos = rest.length;
      h.warnings.push('RFC 5424 header truncated');
      break;
    }
    fields.push(rest.slice(pos, space));
    pos = space + 1;
  }
  const nil = (v: string | undefined): string | null => (v === undefined || v === '-' || v === '' ? null : v);
  h.timestamp = nil(fields[0]);
  if (h.timestamp) {
    h.timestampMs = isoMs(h.timestamp);
    if (h.timestampMs === null) h.warnings.push('unreadable timestamp');
  }
  h.hostname = nil(fields[1]);
  h.app = nil(fields[2]);
  h.pid = nil(fields[3]);
  h.msgid = nil(fields[4]);
  let body = rest.slice(pos);
  if (body.startsWith('-')) {
    body = body.slice(body.startsWith('- ') ? 2 : 1);
  } else if (body.startsWith('[')) {
    const sd = parseStructuredData(body);
    if (sd) {
      h.structuredData = sd.elements;
      body = body.slice(sd.length).replace(/^ /, '');
    } else {
      h.warnings.push('malformed structured data: kept in the message');
    }
  }
  h.text = body;
  return h;
}

function parseStructuredData(s: string): { elements: SdElement[]; length: number } | null {
  const elements: SdElement[] = [];
  let i = 0;
  while (s[i] === '[') {
    i++;
    const idEnd = s.slice(i).search(/[ \]]/);
    if (idEnd <= 0) return null;
    const id = s.slice(i, i + idEnd);
    if (!SD_NAME.test(id)) return null;
    i += idEnd;
    const params: Record<string, string> = {};
    while (s[i] === ' ') {
      i++;
      const eq = s.indexOf('="', i);
      if (eq === -1) return null;
      const name = s.slice(i, eq);
      if (!SD_NAME.test(name)) return null;
      i = eq + 2;
      let value = '';
      for (; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\' || s[i + 1] === ']')) i++;
        value += s[i];
      }
      if (s[i] !== '"') return null;
      i++;
      params[name] = value;
    }
    if (s[i] !== ']') return null;
    i++;
    elements.push({ id, params });
  }
  return { elements, length: i };
}

function rfc3164Ms(m: RegExpExecArray, referenceMs: number): number | null {
  const month = MONTHS[m[1]!];
  if (month === undefined) return null;
  const day = Number(m[2]);
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6])];
  const frac = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  // An approximate year is enough: the half-year correction below puts a boundary case right,
  // and it spares a Date object per line.
  const approxYear = 1970 + Math.floor(referenceMs / MEAN_YEAR_MS);
  let year = m[3] ? Number(m[3]) : approxYear;
  let t = Date.UTC(year, month, day, hh, mm, ss, frac);
  // A December line received in January belongs to last year, and the reverse.
  if (!m[3]) {
    const HALF_YEAR_MS = 183 * 86_400_000;
    if (t - referenceMs > HALF_YEAR_MS) t = Date.UTC(--year, month, day, hh, mm, ss, frac);
    else if (referenceMs - t > HALF_YEAR_MS) t = Date.UTC(++year, month, day, hh, mm, ss, frac);
  }
  return Number.isFinite(t) ? t : null;
}

function isoMs(s: string): number | null {
  const m = ISO_TIME.exec(s);
  if (!m) return null;
  const frac = m[7] ? Math.round(Number(m[7].slice(0, 4)) * 1000) : 0;
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), frac);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return Number.isFinite(t) ? t : null;
}
