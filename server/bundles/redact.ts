/**
 * Redaction for bundles sent outside the company: IP addresses, SIP/tel URIs (and bare
 * user@host addresses of record), phone numbers and user names become tokens (`<ip-1>`,
 * `<uri-2>`, `<phone-3>`, `<user-4>`). The same value always gets the same token, in every file of
 * one bundle, so "the call from <phone-2> to <phone-5>" still reads as a story.
 *
 * Two passes: `discover` reads everything once and learns values that later show up bare (the
 * number 3456 of `sip:3456@pbx` in "Dialing 3456"); `text` then replaces patterns and learned
 * values in one regex pass, so a token is never redacted again. In captures, addresses must stay
 * addresses: `mappedAddress` gives each token a stand-in from reserved space (240.0.0.0/4, 100::/64).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { escapeRegex } from '../escape-regex.js';

export type TokenKind = 'ip' | 'uri' | 'phone' | 'user';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?!\\w|\\.\\d)`;
// A loose IPv6 shape; each match is checked with isIPv6 (times and MACs look alike and are kept).
const IPV6 = `(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\\d{1,3}\\.){3}\\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\\w:])`;
const URI = `\\b(?:sips?|tel):[^\\s<>"'\\\\,;]+`;
const AOR = `(?<![\\w.+-])[A-Za-z0-9._+-]{1,64}@(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*)(?::\\d{1,5})?`;
const E164 = `(?<![\\w+])\\+\\d{6,15}(?!\\d)`;
const PATTERNS = new RegExp(`(${URI})|(${AOR})|(${IPV6})|(${IPV4})|(${E164})`, 'g');
const IP_ONLY = new RegExp(`(${IPV6})|(${IPV4})`, 'g');

/** Where user names hide in phone logs and reports besides URIs. */
const DISPLAY_NAME = /"([^"\r\n]{2,64})"\s*<(?:sips?|tel):/g;
const USER_FIELD = /\b(?:user(?:[ _-]?name)?|login|display[ _-]?name|auth[ _-]?(?:name|id|user))\s*[=:]\s*"?([^\s",;<>]{2,64})/gi;
/** Learned values shorter than this are not replaced bare: "1" or "ab" would shred every line. */
const MIN_LITERAL_LENGTH = 3;
const PHONE_NUMBER = /^\+?\d{3,}$/;

export class Redactor {
  private readonly tokens = new Map<string, string>();
  private readonly counts: Record<TokenKind, number> = { ip: 0, uri: 0, phone: 0, user: 0 };
  private readonly literals = new Map<string, TokenKind>();
  private combined: RegExp | null = null;
  private readonly ipIndex = new Map<string, number>();

  /** Learns the users, numbers and addresses this text names, for bare mentions elsewhere. */
  discover(text: string): void {
    for (const m of text.matchAll(PATTERNS)) {
      if (m[1] !== undefined) this.learnUri(m[1].replace(/^(?:sips?|tel):/, ''));
      else if (m[2] !== undefined) this.learnUri(m[2]);
      else if (m[5] !== undefined) this.learn('phone', m[5]);
    }
    for (const m of text.matchAll(DISPLAY_NAME)) this.learn('user', m[1]!.trim());
    for (const m of text.matchAll(USER_FIELD)) this.learn(PHONE_NUMBER.test(m[1]!) ? 'phone' : 'user', m[1]!);
  }

  /** Every string inside a JSON-like value, discovered. */
  discoverDeep(value: unknown): void {
    walk(value, (s) => { this.discover(s); return s; });
  }

  text(s: string): string {
    return s.replace(this.regex(), (match, uri?: string, aor?: string, v6?: string, v4?: string, e164?: string) => {
      if (uri !== undefined || aor !== undefined) return this.token('uri', match);
      if (v6 !== undefined) return isIPv6(v6) ? this.token('ip', canonicalIp(v6)) : match;
      if (v4 !== undefined) return this.token('ip', v4);
      if (e164 !== undefined) return this.token('phone', e164);
      return this.token(this.literals.get(match) ?? 'user', match);
    });
  }

  /** A copy with every string redacted (keys are ours and kept). */
  deep<T>(value: T): T {
    return walk(value, (s) => this.text(s)) as T;
  }

  /** Text in a capture: addresses become their stand-in addresses, so SIP/SDP still parse. */
  addressesInText(s: string): string {
    return s.replace(IP_ONLY, (match, v6?: string, v4?: string) => {
      if (v6 !== undefined) return isIPv6(v6) ? this.mappedAddress(v6) : match;
      return this.mappedAddress(v4 ?? match);
    });
  }

  /**
   * Binary payload bytes with every redactable text in them overwritten in place (the length must
   * not change): by its token when the token fits, padded with `*`, else by `*`.
   */
  maskBytes(payload: Uint8Array): Buffer {
    const text = Buffer.from(payload).toString('latin1');
    const masked = text.replace(this.regex(), (match) => {
      const token = this.text(match);
      return token.length <= match.length ? token.padEnd(match.length, '*') : '*'.repeat(match.length);
    });
    return Buffer.from(masked, 'latin1');
  }

  /** The stand-in of an address in captures: 240.0.x.y for IPv4, 100::n for IPv6, by token number. */
  mappedAddress(addr: string): string {
    const v4 = unmappedV4(addr);
    const key = isIPv4(v4) ? v4 : canonicalIp(addr);
    this.token('ip', key);
    const n = this.ipIndex.get(key)!;
    if (isIPv4(v4)) {
      const mapped = `240.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      return v4 === addr ? mapped : `::ffff:${hex16(240, (n >> 16) & 255)}:${hex16((n >> 8) & 255, n & 255)}`;
    }
    return `100::${n.toString(16)}`;
  }

  token(kind: TokenKind, value: string): string {
    const key = `${kind}|${value}`;
    let t = this.tokens.get(key);
    if (t === undefined) {
      const n = ++this.counts[kind];
      t = `<${kind}-${n}>`;
      this.tokens.set(key, t);
      if (kind === 'ip') this.ipIndex.set(value, n);
    }
    return t;
  }

  /** How many distinct values of each kind were replaced (never the values themselves). */
  summary(): Readonly<Record<TokenKind, number>> {
    return { ...this.counts };
  }

  /** Token → stand-in address in captures, for the manifest. */
  addressTable(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [addr, n] of this.ipIndex) out[`<ip-${n}>`] = this.mappedAddress(addr);
    return out;
  }

  private learnUri(body: string): void {
    const at = body.lastIndexOf('@');
    const user = at >= 0 ? body.slice(0, at) : body;
    const host = at >= 0 ? body.slice(at + 1) : '';
    const bareUser = user.split(/[;:]/)[0]!;
    this.learn(PHONE_NUMBER.test(bareUser) ? 'phone' : 'user', bareUser);
    const hostOnly = host.replace(/^\[|\](?::\d+)?$/g, '').replace(/:\d+$/, '');
    if (isIPv4(hostOnly) || isIPv6(hostOnly)) this.token('ip', canonicalIp(hostOnly));
  }

  private learn(kind: TokenKind, value: string): void {
    if (value.length < MIN_LITERAL_LENGTH || this.literals.has(value)) return;
    this.literals.set(value, kind);
    this.combined = null;
  }

  private regex(): RegExp {
    if (this.combined) return this.combined;
    const words = [...this.literals.keys()].sort((a, b) => b.length - a.length).map(escapeRegex);
    const literal = words.length > 0 ? `|(?<![A-Za-z0-9])(?:${words.join('|')})(?![A-Za-z0-9])` : '';
    this.combined = new RegExp(`${PATTERNS.source}${literal}`, 'g');
    return this.combined;
  }
}

function walk(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, fn));
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, fn)]));
  }
  return value;
}

function unmappedV4(addr: string): string {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(addr);
  if (!m) return addr;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** One spelling per IPv6 address (lower case), so two spellings of one address share a token. */
function canonicalIp(addr: string): string {
  const v4 = unmappedV4(addr);
  return isIPv4(v4) ? v4 : addr.toLowerCase();
}

function hex16(hi: number, lo: number): string {
  return ((hi << 8) | lo).toString(16);
}
