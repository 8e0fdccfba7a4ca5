/**
 * SIP message decoder (RFC 3261 §7, §20) and response builder, for the collector's SIP listener that
 * receives vq-rtcpxr PUBLISHes and MS QoE SERVICEs.
 *
 * Field names follow Wireshark's `sip` dissector so the oracle test reads like a table:
 *
 * | ours                          | tshark                                   |
 * |-------------------------------|------------------------------------------|
 * | method / requestUri           | sip.Method / sip.r-uri                   |
 * | status / reason               | sip.Status-Code / (Status-Line)          |
 * | callId                        | sip.Call-ID                              |
 * | cseq.seq / cseq.method        | sip.CSeq.seq / sip.CSeq.method           |
 * | from.uri / from.tag           | sip.from.addr / sip.from.tag             |
 * | to.uri / to.tag               | sip.to.addr / sip.to.tag                 |
 * | via[i].transport              | sip.Via.transport                        |
 * | via[i].host / via[i].port     | sip.Via.sent-by.address / .sent-by.port  |
 * | via[i].branch/received/rport  | sip.Via.branch / .received / .rport      |
 * | contentLength                 | sip.Content-Length                       |
 * | header('Event'), ...          | sip.Event, sip.Content-Type, ...         |
 */
import { createHash } from 'node:crypto';
import { decodeError, isDecodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'sip';

/** Header section bound: real PUBLISH/SERVICE headers are under 2 KiB; 16 KiB leaves room for long Via chains. */
export const MAX_SIP_HEADER_BYTES = 16 * 1024;
export const MAX_SIP_HEADER_COUNT = 128;
/** MS-QoE's own front end rejects QoE bodies over 300 KB (413), so nothing legitimate is larger. */
export const MAX_SIP_BODY_BYTES = 300 * 1024;

/** RFC 3261 §7.3.3 compact forms plus those registered later (RFC 3265, 3515, 3892, 4028, 3841, 4474). */
const COMPACT_HEADER_NAMES: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

export interface SipHeader {
  /** The name as written on the wire (`v`, `VIA`, `Via`). */
  readonly rawName: string;
  /** Long form, as written when it was long, else the canonical expansion of the compact form. */
  readonly name: string;
  /** Value with folded continuation lines joined by one space. */
  readonly value: string;
}

export interface SipVia {
  /** `UDP`, `TCP`, `TLS`, ... (sip.Via.transport) */
  readonly transport: string;
  /** sent-by host; an IPv6 address without its brackets. */
  readonly host: string;
  readonly port?: number;
  readonly branch?: string;
  readonly received?: string;
  /** RFC 3581: `true` when present without a value (a request asking for it), else the port. */
  readonly rport?: number | true;
  readonly params: Readonly<Record<string, string>>;
  readonly raw: string;
}

export interface SipNameAddr {
  readonly display?: string;
  readonly uri: string;
  readonly tag?: string;
  /** Header parameters (after `>` or after the addr-spec), lower-cased names. */
  readonly params: Readonly<Record<string, string>>;
}

export interface SipCSeq {
  readonly seq: number;
  readonly method: string;
}

interface SipMessageBase {
  readonly version: string;
  readonly headers: readonly SipHeader[];
  readonly via: readonly SipVia[];
  readonly from?: SipNameAddr;
  readonly to?: SipNameAddr;
  readonly callId?: string;
  readonly cseq?: SipCSeq;
  readonly contentLength?: number;
  readonly contentType?: string;
  readonly body: Uint8Array;
  /** What was tolerated: missing Content-Length, bytes after the body, malformed optional headers. */
  readonly warnings: readonly string[];
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly requestUri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

const CRLF = '\r\n';

/** The long form for a header name, so lookups don't care about case or compact forms. */
export function canonicalHeaderName(name: string): string {
  const compact = name.length === 1 ? COMPACT_HEADER_NAMES[name.toLowerCase()] : undefined;
  return compact ?? name;
}

/** All values of a header, in wire order; case-insensitive, compact forms included. */
export function sipHeaders(msg: Pick<SipMessage, 'headers'>, name: string): string[] {
  const wanted = canonicalHeaderName(name).toLowerCase();
  return msg.headers.filter((h) => h.name.toLowerCase() === wanted).map((h) => h.value);
}

/** The first value of a header, or undefined. */
export function sipHeader(msg: Pick<SipMessage, 'headers'>, name: string): string | undefined {
  return sipHeaders(msg, name)[0];
}

/** Where the header section ends: index of the empty line and the index where the body starts. */
export function findHeaderEnd(bytes: Uint8Array, from = 0): { headerEnd: number; bodyStart: number } | undefined {
  for (let i = from; i < bytes.length - 1; i++) {
    if (bytes[i] !== 0x0a) continue;
    // LF LF is tolerated because hand-written test tools and some logs drop the CRs.
    if (bytes[i + 1] === 0x0a) return { headerEnd: i - (bytes[i - 1] === 0x0d ? 1 : 0), bodyStart: i + 2 };
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return { headerEnd: i - (bytes[i - 1] === 0x0d ? 1 : 0), bodyStart: i + 3 };
  }
  return undefined;
}

/**
 * Splits a header section (no start line) into headers, unfolding continuation lines. Shared with
 * the TCP framer, which needs Content-Length before the body has arrived.
 */
export function parseHeaderLines(text: string): SipHeader[] | DecodeError {
  const headers: SipHeader[] = [];
  let current: { rawName: string; value: string } | undefined;
  const flush = (): void => {
    if (!current) return;
    headers.push({ rawName: current.rawName, name: canonicalHeaderName(current.rawName), value: current.value.trim() });
    current = undefined;
  };
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (!current) return decodeError(FORMAT, `header line ${index + 1} is a continuation with nothing to continue`);
      current.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const rawName = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(rawName)) {
      return decodeError(FORMAT, `header line ${index + 1} is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`);
    }
    flush();
    if (headers.length >= MAX_SIP_HEADER_COUNT) {
      return decodeError(FORMAT, `more than ${MAX_SIP_HEADER_COUNT} headers`);
    }
    current = { rawName, value: line.slice(colon + 1) };
  }
  flush();
  return headers;
}

/**
 * The declared body length: undefined when absent, an error when not a number, over the limit, or
 * declared twice with different values (a request-smuggling trick; the framer and the decoder must
 * never disagree on where a message ends). The message text in errors has no offset; callers add it.
 */
export function declaredContentLength(headers: readonly SipHeader[]): number | undefined | string {
  const values = [...new Set(sipHeaders({ headers }, 'Content-Length'))];
  if (values.length > 1) return `conflicting Content-Length values: ${values.slice(0, 3).map((v) => JSON.stringify(v.slice(0, 20))).join(', ')}`;
  const text = values[0];
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text)) return `Content-Length is not a number: ${JSON.stringify(text.slice(0, 20))}`;
  const length = Number(text);
  return length > MAX_SIP_BODY_BYTES ? `Content-Length ${length} exceeds limit ${MAX_SIP_BODY_BYTES}` : length;
}

/** Splits on `sep` outside double quotes and angle brackets (Via and Contact may hold lists). */
function splitOutsideQuotes(value: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === sep) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseParams(parts: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (key === '' || key in params) continue;
    params[key] = eq < 0 ? '' : part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return params;
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** `SIP/2.0/UDP host:port;branch=...` (spaces around `/` are legal, RFC 3261 §25.1 SLASH). */
export function parseVia(raw: string): SipVia | undefined {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9-]+)\s+(\[[0-9A-Fa-f:.]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?\s*(;.*)?$/.exec(raw.trim());
  if (!m) return undefined;
  const params = parseParams(splitOutsideQuotes(m[4] ?? '', ';'));
  const port = parsePort(m[3]);
  const rportText = params['rport'];
  const rport = rportText === undefined ? undefined : rportText === '' ? true : parsePort(rportText);
  return {
    transport: m[1]!.toUpperCase(),
    // Brackets are IPv6 reference syntax, not part of the address (tshark strips them too).
    host: m[2]!.replace(/^\[(.*)\]$/, '$1'),
    ...(port !== undefined ? { port } : {}),
    ...(params['branch'] !== undefined ? { branch: params['branch'] } : {}),
    ...(params['received'] !== undefined ? { received: params['received'] } : {}),
    ...(rport !== undefined ? { rport } : {}),
    params,
    raw: raw.trim(),
  };
}

/**
 * From/To/Contact value. Without angle brackets, `;params` belong to the header, not the URI
 * (RFC 3261 §20.10), which is why `sip:a@b;tag=1` has tag 1 and URI `sip:a@b`.
 */
export function parseNameAddr(raw: string): SipNameAddr | undefined {
  const value = raw.trim();
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    if (gt < 0) return undefined;
    const displayRaw = value.slice(0, lt).trim();
    const display = displayRaw.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
    const params = parseParams(splitOutsideQuotes(value.slice(gt + 1), ';'));
    return {
      ...(display !== '' ? { display } : {}),
      uri: value.slice(lt + 1, gt).trim(),
      ...(params['tag'] !== undefined ? { tag: params['tag'] } : {}),
      params,
    };
  }
  const [uri = '', ...rest] = splitOutsideQuotes(value, ';');
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) return undefined;
  const params = parseParams(rest);
  return { uri, ...(params['tag'] !== undefined ? { tag: params['tag'] } : {}), params };
}

function parseCSeq(raw: string): SipCSeq | undefined {
  const m = /^(\d{1,10})\s+([A-Za-z0-9!%*_+`'~.-]+)$/.exec(raw.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  // RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer.
  return seq <= 0xffffffff ? { seq, method: m[2]! } : undefined;
}

type StartLine =
  | { kind: 'request'; method: string; requestUri: string; version: string }
  | { kind: 'response'; version: string; status: number; reason: string };

function parseStartLine(line: string): StartLine | DecodeError {
  const response = /^(SIP\/\d+\.\d+) (\d{3})(?: (.*))?$/.exec(line);
  if (response) return { kind: 'response', version: response[1]!, status: Number(response[2]), reason: response[3] ?? '' };
  const request = /^([A-Za-z0-9!%*_+`'~.-]+) (\S+) (SIP\/\d+\.\d+)$/.exec(line);
  if (request) return { kind: 'request', method: request[1]!, requestUri: request[2]!, version: request[3]! };
  return decodeError(FORMAT, `start line is neither a request nor a status line: ${JSON.stringify(line.slice(0, 80))}`, 0);
}

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

/**
 * Decodes one SIP message (one UDP datagram, or one message cut out by `SipStreamFramer`).
 * The body is exactly Content-Length bytes; without Content-Length (legal on UDP) it is the rest.
 */
export function decodeSip(input: Uint8Array | string): SipMessage | DecodeError {
  const bytes = toBytes(input);
  // Leading CRLFs are keep-alives or stray line ends (RFC 3261 §7.5: SHOULD ignore them).
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x0d || bytes[start] === 0x0a)) start++;
  if (start === bytes.length) return decodeError(FORMAT, 'empty message', 0);
  const end = findHeaderEnd(bytes, start);
  const headerEnd = end?.headerEnd ?? bytes.length;
  if (headerEnd - start > MAX_SIP_HEADER_BYTES) {
    return decodeError(FORMAT, `header section is ${headerEnd - start} bytes, limit ${MAX_SIP_HEADER_BYTES}`, start);
  }
  const warnings: string[] = [];
  if (!end) warnings.push('no empty line after the headers; treated the message as headers only');
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerEnd - start).toString('utf8');
  const firstBreak = headerText.search(/\r?\n/);
  const startLineText = firstBreak < 0 ? headerText : headerText.slice(0, firstBreak);
  const startLine = parseStartLine(startLineText);
  if (isDecodeError(startLine)) return startLine;
  const headers = parseHeaderLines(firstBreak < 0 ? '' : headerText.slice(firstBreak));
  if (!Array.isArray(headers)) return headers;

  const msg = { headers };
  const via: SipVia[] = [];
  for (const value of sipHeaders(msg, 'Via')) {
    for (const part of splitOutsideQuotes(value, ',')) {
      const parsed = parseVia(part);
      if (parsed) via.push(parsed);
      else warnings.push(`unparsable Via: ${JSON.stringify(part.slice(0, 80))}`);
    }
  }
  const nameAddr = (name: string): SipNameAddr | undefined => {
    const value = sipHeader(msg, name);
    if (value === undefined) return undefined;
    const parsed = parseNameAddr(value);
    if (!parsed) warnings.push(`unparsable ${name}: ${JSON.stringify(value.slice(0, 80))}`);
    return parsed;
  };
  const from = nameAddr('From');
  const to = nameAddr('To');
  const cseqText = sipHeader(msg, 'CSeq');
  const cseq = cseqText === undefined ? undefined : parseCSeq(cseqText);
  if (cseqText !== undefined && !cseq) warnings.push(`unparsable CSeq: ${JSON.stringify(cseqText.slice(0, 80))}`);
  const callId = sipHeader(msg, 'Call-ID');
  const contentType = sipHeader(msg, 'Content-Type');

  const available = end ? bytes.length - end.bodyStart : 0;
  const bodyStart = end?.bodyStart ?? bytes.length;
  const contentLength = declaredContentLength(headers);
  if (typeof contentLength === 'string') return decodeError(FORMAT, contentLength, start);
  if (contentLength !== undefined) {
    if (contentLength > available) {
      return decodeError(FORMAT, `body truncated: ${available} of ${contentLength} bytes (Content-Length)`, bodyStart);
    }
    // RFC 3261 §18.3: bytes past Content-Length in a datagram are discarded.
    if (contentLength < available) warnings.push(`${available - contentLength} bytes after the body ignored`);
  } else if (available > MAX_SIP_BODY_BYTES) {
    return decodeError(FORMAT, `body of ${available} bytes exceeds limit ${MAX_SIP_BODY_BYTES}`, bodyStart);
  }
  const body = bytes.subarray(bodyStart, bodyStart + (contentLength ?? available));

  const base: SipMessageBase = {
    version: startLine.version,
    headers,
    via,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(callId !== undefined ? { callId } : {}),
    ...(cseq ? { cseq } : {}),
    ...(contentLength !== undefined ? { contentLength } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    body,
    warnings,
  };
  return startLine.kind === 'request'
    ? { kind: 'request', method: startLine.method, requestUri: startLine.requestUri, ...base }
    : { kind: 'response', status: startLine.status, reason: startLine.reason, ...base };
}

/** The body as text (vq-rtcpxr and QoE bodies are UTF-8). */
export function sipBodyText(msg: Pick<SipMessage, 'body'>): string {
  return Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength).toString('utf8');
}

export const DEFAULT_SERVER_HEADER = 'ipp-collector';

export interface SipResponseOptions {
  /** Where the request came from; fills `received`/`rport` on the top Via (RFC 3261 §18.2.1, RFC 3581). */
  readonly source?: { readonly address: string; readonly port: number };
  /** Overrides the derived To tag. */
  readonly toTag?: string;
}

/**
 * A To tag derived from the request's identity, so a retransmitted request gets a byte-identical
 * response (what RFC 3261 §17.2.1 wants) without keeping state or reading a clock.
 */
function deriveToTag(request: SipRequest): string {
  const key = [request.callId ?? '', request.from?.tag ?? '', request.via[0]?.branch ?? '', String(request.cseq?.seq ?? '')].join('\n');
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function topViaForResponse(raw: string, source: SipResponseOptions['source']): string {
  if (!source) return raw;
  const via = parseVia(raw);
  if (!via) return raw;
  let out = raw;
  if (via.host !== source.address && via.received === undefined) out += `;received=${source.address}`;
  if (via.rport === true) out = out.replace(/;\s*rport(?=;|$)/i, `;rport=${source.port}`);
  return out;
}

/**
 * Builds the response a UAS sends to `request` (RFC 3261 §8.2.6): all Vias in order, From, To (with
 * a tag added when the request had none, except for 100), Call-ID, CSeq, then `extraHeaders`,
 * Server (unless given) and `Content-Length: 0`.
 */
export function buildSipResponse(
  request: SipRequest,
  status: number,
  reason: string,
  extraHeaders: readonly (readonly [string, string])[] = [],
  options: SipResponseOptions = {},
): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  // One Via per line (equivalent to a comma list, RFC 3261 §7.3.1), copied raw so even a Via we
  // could not parse goes back to the hop that added it.
  const vias = sipHeaders(request, 'Via').flatMap((value) => splitOutsideQuotes(value, ','));
  vias.forEach((via, i) => lines.push(`Via: ${i === 0 ? topViaForResponse(via, options.source) : via}`));
  const from = sipHeader(request, 'From');
  if (from !== undefined) lines.push(`From: ${from}`);
  const to = sipHeader(request, 'To');
  if (to !== undefined) {
    const needsTag = status !== 100 && request.to?.tag === undefined;
    lines.push(`To: ${to}${needsTag ? `;tag=${options.toTag ?? deriveToTag(request)}` : ''}`);
  }
  if (request.callId !== undefined) lines.push(`Call-ID: ${request.callId}`);
  const cseq = sipHeader(request, 'CSeq');
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  for (const [name, value] of extraHeaders) {
    if (/[\r\n]/.test(name + value)) throw new RangeError(`header ${JSON.stringify(name)} contains a line break`);
    lines.push(`${name}: ${value}`);
  }
  if (!extraHeaders.some(([name]) => name.toLowerCase() === 'server')) lines.push(`Server: ${DEFAULT_SERVER_HEADER}`);
  lines.push('Content-Length: 0');
  return lines.join(CRLF) + CRLF + CRLF;
}
