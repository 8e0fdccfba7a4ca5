/**
 * Cuts a SIP byte stream (TCP/TLS) into messages by Content-Length (RFC 3261 §18.3), and spots
 * RFC 5626 §4.4.1 CRLF keep-alive pings, which the caller answers with a single CRLF.
 *
 * Pure and stateful: feed it chunks as they arrive, take whole messages out; it never reads a
 * socket. The buffer is bounded: a peer that never ends its header section, or announces a body
 * over the limit, gets an error and the caller closes the connection.
 */
import { decodeError, isDecodeError, type DecodeError } from './decode-error.js';
import { declaredContentLength, findHeaderEnd, MAX_SIP_HEADER_BYTES, parseHeaderLines } from './sip.js';

export type SipStreamEvent =
  /** One complete message: start line, headers and exactly Content-Length body bytes. */
  | { readonly kind: 'message'; readonly bytes: Buffer }
  /** A CRLFCRLF ping between messages; answer with CRLF (the pong). */
  | { readonly kind: 'ping' };

export interface SipStreamResult {
  readonly events: SipStreamEvent[];
  /** Set once the stream can no longer be framed; every later `push` returns it again. */
  readonly error?: DecodeError;
}

/** One framing step: an event, a fatal error, bytes skipped (go on), or wait for the next chunk. */
type Step = SipStreamEvent | DecodeError | 'skipped' | 'need-more';

const FORMAT = 'sip-stream';
const CR = 0x0d;
const LF = 0x0a;
const INITIAL_CAPACITY_BYTES = 4096;

export class SipStreamFramer {
  private buf = Buffer.alloc(INITIAL_CAPACITY_BYTES);
  private start = 0;
  private end = 0;
  /** Resume point for the empty-line search, so a header trickling in byte by byte is scanned once. */
  private scanFrom = 0;
  /** Total length of the message at the head of the buffer, once its headers are in. */
  private messageBytes: number | undefined;
  /** Stream offset of `buf[start]`, for error positions. */
  private consumed = 0;
  private failure: DecodeError | undefined;

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): SipStreamResult {
    if (this.failure) return { events: [], error: this.failure };
    this.append(chunk);
    const events: SipStreamEvent[] = [];
    for (;;) {
      const step = this.next();
      if (step === 'need-more') return { events };
      if (step === 'skipped') continue;
      if (isDecodeError(step)) {
        this.failure = step;
        // Drop what we hold: the connection is going away and the bytes are unframeable.
        this.start = this.end = 0;
        return { events, error: step };
      }
      events.push(step);
    }
  }

  private append(chunk: Uint8Array): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      // Grow by doubling (amortised O(n) however small the chunks) and compact at the same time.
      let capacity = this.buf.length;
      while (capacity < held + chunk.length) capacity *= 2;
      const next = capacity === this.buf.length ? this.buf : Buffer.alloc(capacity);
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
      this.scanFrom -= this.start;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private consume(n: number): void {
    this.start += n;
    this.consumed += n;
    this.scanFrom = this.start;
    this.messageBytes = undefined;
  }

  private next(): Step {
    const held = this.buf.subarray(this.start, this.end);
    if (this.messageBytes === undefined) {
      if (held.length === 0) return 'need-more';
      if (held[0] === CR || held[0] === LF) return this.keepAlive(held);
      const end = findHeaderEnd(held, Math.max(0, this.scanFrom - this.start));
      if (!end) {
        if (held.length > MAX_SIP_HEADER_BYTES) {
          return decodeError(FORMAT, `no end of headers within ${MAX_SIP_HEADER_BYTES} bytes (${held.length} buffered)`, this.consumed);
        }
        // The terminator may straddle chunks: rescan the last 3 bytes next time.
        this.scanFrom = this.start + Math.max(0, held.length - 3);
        return 'need-more';
      }
      if (end.headerEnd > MAX_SIP_HEADER_BYTES) {
        return decodeError(FORMAT, `header section is ${end.headerEnd} bytes, limit ${MAX_SIP_HEADER_BYTES}`, this.consumed);
      }
      const length = this.contentLength(held.subarray(0, end.headerEnd));
      if (typeof length !== 'number') return length;
      this.messageBytes = end.bodyStart + length;
    }
    if (held.length < this.messageBytes) return 'need-more';
    const bytes = Buffer.from(held.subarray(0, this.messageBytes));
    this.consume(this.messageBytes);
    return { kind: 'message', bytes };
  }

  private keepAlive(held: Buffer): Step {
    if (held.length >= 4 && held[0] === CR && held[1] === LF && held[2] === CR && held[3] === LF) {
      this.consume(4);
      return { kind: 'ping' };
    }
    // A lone CRLF is a pong or a stray line end (RFC 3261 §7.5: ignore); wait if it may become a ping.
    const couldBePing = [CR, LF, CR].every((b, i) => i >= held.length || held[i] === b);
    if (couldBePing && held.length < 4) return 'need-more';
    this.consume(held[0] === CR && held[1] === LF ? 2 : 1);
    return 'skipped';
  }

  private contentLength(headerBytes: Buffer): number | DecodeError {
    const text = headerBytes.toString('utf8');
    const firstBreak = text.search(/\r?\n/);
    const headers = parseHeaderLines(firstBreak < 0 ? '' : text.slice(firstBreak));
    if (!Array.isArray(headers)) return { ...headers, format: FORMAT, offset: this.consumed };
    const length = declaredContentLength(headers);
    if (typeof length === 'string') return decodeError(FORMAT, length, this.consumed);
    // RFC 3261 §18.3 makes Content-Length mandatory on streams; a message without one is read as
    // having no body, which is all a peer that omits it can mean.
    return length ?? 0;
  }
}
