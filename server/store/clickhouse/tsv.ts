/**
 * Rows as TabSeparated bytes for INSERT. Raw syslog bytes and ACDR datagrams are not UTF-8, so
 * JSON (a JS string per value) cannot carry them; TSV carries any byte with a few escaped, and
 * is cheaper to write than JSON for the bulk of log lines.
 */

export type TsvValue = string | number | boolean | null | Uint8Array | readonly (string | number)[];

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const ESCAPES: Record<number, number> = { 0x00: 0x30, 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, 0x5c: 0x5c };

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
    if (typeof v === 'string') return this.escaped(Buffer.from(v, 'utf8'));
    if (v instanceof Uint8Array) return this.escaped(v);
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

  /** `preEscaped`: backslashes were already doubled (array items); the TSV layer escapes the rest. */
  private escaped(bytes: Uint8Array, preEscaped = false): void {
    this.reserve(bytes.length * 2);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const e = b === BACKSLASH && preEscaped ? undefined : ESCAPES[b];
      if (e === undefined) this.buf[this.len++] = b;
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
