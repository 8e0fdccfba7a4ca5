/**
 * RFC 6587 framing for syslog over TCP: octet counting (`LEN SP MSG`) and non-transparent framing
 * (messages ended by LF, or NUL as some senders do). The method is chosen per frame, as rsyslog
 * does: a frame that starts with a digit is octet-counted, since a syslog message starts with `<`.
 * Pure and incremental: feed chunks as they arrive, take the complete frames out.
 */
import { decodeError, type DecodeError } from './decode-error.js';

/** Longest frame accepted; a peer that sends more without a delimiter is cut off. */
export const MAX_SYSLOG_FRAME_BYTES = 256 * 1024;
const MAX_OCTET_COUNT_DIGITS = 7;

export class SyslogFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private consumed = 0;

  /** Frames completed by this chunk, and an error if the stream can no longer be framed. */
  push(chunk: Uint8Array): { frames: Buffer[]; error: DecodeError | null } {
    this.buffer = this.buffer.length === this.consumed ? Buffer.from(chunk) : Buffer.concat([this.buffer.subarray(this.consumed), chunk]);
    this.consumed = 0;
    const frames: Buffer[] = [];
    const buf = this.buffer;
    while (this.consumed < buf.length) {
      const start = this.consumed;
      const first = buf[start]!;
      if (first === 0x0a || first === 0x0d || first === 0x00) {
        this.consumed++;
        continue;
      }
      if (first >= 0x30 && first <= 0x39) {
        const space = buf.indexOf(0x20, start);
        const digitsEnd = space === -1 ? buf.length : space;
        if (digitsEnd - start > MAX_OCTET_COUNT_DIGITS || !isDigits(buf, start, digitsEnd)) {
          return { frames, error: this.fail(`octet count is not a number at offset ${start}`) };
        }
        if (space === -1) break;
        const length = Number(buf.toString('latin1', start, space));
        if (length > MAX_SYSLOG_FRAME_BYTES) {
          return { frames, error: this.fail(`octet-counted frame of ${length} bytes exceeds ${MAX_SYSLOG_FRAME_BYTES}`) };
        }
        if (buf.length < space + 1 + length) break;
        frames.push(buf.subarray(space + 1, space + 1 + length));
        this.consumed = space + 1 + length;
        continue;
      }
      const lf = indexOfDelimiter(buf, start);
      if (lf === -1) {
        if (buf.length - start > MAX_SYSLOG_FRAME_BYTES) {
          return { frames, error: this.fail(`no line end within ${MAX_SYSLOG_FRAME_BYTES} bytes`) };
        }
        break;
      }
      frames.push(buf.subarray(start, lf));
      this.consumed = lf + 1;
    }
    return { frames, error: null };
  }

  /** The unterminated last frame at connection close, which a sender may legitimately leave. */
  end(): Buffer | null {
    const rest = this.buffer.subarray(this.consumed);
    this.buffer = Buffer.alloc(0);
    this.consumed = 0;
    return rest.length > 0 ? rest : null;
  }

  private fail(message: string): DecodeError {
    this.buffer = Buffer.alloc(0);
    this.consumed = 0;
    return decodeError('syslog-tcp', message);
  }
}

function isDigits(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i]! < 0x30 || buf[i]! > 0x39) return false;
  return to > from;
}

function indexOfDelimiter(buf: Buffer, from: number): number {
  const lf = buf.indexOf(0x0a, from);
  const nul = buf.indexOf(0x00, from);
  if (lf === -1) return nul;
  if (nul === -1) return lf;
  return Math.min(lf, nul);
}
