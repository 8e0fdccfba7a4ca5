/**
 * Rows as TabSeparated bytes for INSERT. Raw syslog bytes and ACDR datagrams are not UTF-8, so
 * JSON (a JS string per value) cannot carry them; TSV carries any byte with a few escaped, and
 * is cheaper to write than JSON for the bulk of log lines.
 */

export type TsvValue = string | number | boolean | null | Uint8Array | readonly (string | number)[];

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
/** The letter after the backslash for each byte TSV escapes (0: the byte goes as it is). */
const ESCAPES = new Uint8Array(256);
for (const [b, e] of [[0x00, 0x30], [0x08, 0x62], [0x09, 0x74], [0x0a, 0x6e], [0x0c, 0x66], [0x0d, 0x72], [0x5c, 0x5c]] as const) ESCAPES[b] = e;

/** Appends rows to a growing buffer; `take` hands out what was written and starts afresh. */
export class TsvWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;
  rows = 0;

  get bytes(): number { return this.len; }

  row(values: readonly TsvValue[]): void {
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.byte(TAB);
      this.value(values[i]!);
    }
    this.byte(NEWLINE);
    this.rows++;
  }

  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.len));
    this.len = 0;
    this.rows = 0;
    return out;
  }

  private value(v: TsvValue): void {
    if (v === null) return this.ascii('\\N');
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
      return this.ascii(String(v));
    }
    if (typeof v === 'boolean') return this.byte(v ? 0x31 : 0x30);
    if (typeof v === 'string') return this.text(v);
    if (v instanceof Uint8Array) return this.bytesValue(v);
    this.byte(0x5b);
    v.forEach((item, i) => {
      if (i > 0) this.byte(0x2c);
      if (typeof item === 'number') this.ascii(String(item));
      else {
        // Inside an array, strings are quoted; the quote itself needs a backslash too.
        this.byte(0x27);
        this.escaped(Buffer.from(item.replace(/\\/g, '\\\\').replace(/'/g, "\\'"), 'utf8'), true);
        this.byte(0x27);
      }
    });
    this.byte(0x5d);
  }

  /** Most text needs no escape: encode it in place, and only on a byte that does, start again escaping. */
  private text(v: string): void {
    this.reserve(v.length * 3);
    const n = this.buf.write(v, this.len, 'utf8');
    if (!needsEscape(this.buf, this.len, this.len + n)) this.len += n;
    else this.escaped(Buffer.from(this.buf.subarray(this.len, this.len + n)));
  }

  private bytesValue(v: Uint8Array): void {
    if (needsEscape(v, 0, v.length)) return this.escaped(v);
    this.reserve(v.length);
    this.buf.set(v, this.len);
    this.len += v.length;
  }

  /** `preEscaped`: backslashes were already doubled (array items); the TSV layer escapes the rest. */
  private escaped(bytes: Uint8Array, preEscaped = false): void {
    this.reserve(bytes.length * 2);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const e = b === BACKSLASH && preEscaped ? 0 : ESCAPES[b]!;
      if (e === 0) this.buf[this.len++] = b;
      else {
        this.buf[this.len++] = BACKSLASH;
        this.buf[this.len++] = e;
      }
    }
  }

  private ascii(s: string): void {
    this.reserve(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

function needsEscape(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (ESCAPES[bytes[i]!] !== 0) return true;
  return false;
}
