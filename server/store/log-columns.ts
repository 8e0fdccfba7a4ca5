/**
 * Lines as columns: how they wait for the store and how a batch reaches it. A queue of line
 * objects made the main thread collect garbage for most of its time once a few hundred thousand
 * lines waited (each line an object, its raw view and its arrays, all promoted to the old
 * generation); as columns a waiting line is its strings and a few bytes of typed arrays. Typed
 * arrays and plain string arrays also clone cheaply to the store worker, where cloning one object
 * per line cost more than parsing it (measured: 1.3 M lines/s packed against 0.23 M/s as objects),
 * and the worker binds the columns straight into its insert.
 */
import type { LogRecord } from './types.js';

export interface LogColumns {
  readonly n: number;
  readonly id: Float64Array;
  readonly receivedAt: Float64Array;
  readonly deviceId: Float64Array;
  /** NaN for null. */
  readonly deviceTs: Float64Array;
  /** -1 for null. */
  readonly facility: Int16Array;
  readonly severity: Int8Array;
  /** NaN for null. */
  readonly seq: Float64Array;
  /** NaN for null (live traffic). */
  readonly importId: Float64Array;
  /** Where the message begins in the line's raw bytes, or -1 where `text.message` holds it (see messageOf). */
  readonly messageAt: Int32Array;
  readonly text: LogText;
  /** Every line's raw bytes end to end; line i spans rawEnds[i-1]..rawEnds[i]. */
  readonly raw: Uint8Array;
  readonly rawEnds: Uint32Array;
}

interface LogText {
  readonly source: string[]; readonly format: string[]; readonly module: string[];
  /** Null where the message is a tail of the raw bytes: a line's text then waits and travels once. */
  readonly message: (string | null)[];
  readonly deviceTime: (string | null)[]; readonly hostname: (string | null)[]; readonly app: (string | null)[];
  readonly pid: (string | null)[]; readonly msgid: (string | null)[]; readonly sid: (string | null)[];
  /** JSON of structured data and of warnings, only for the few lines that have them. */
  readonly sd: (string | null)[]; readonly warnings: (string | null)[];
}

/** Distinct short values kept for reuse at most; past it the pool starts over (a flood of unique hostnames just gets no reuse). */
const MAX_POOLED_STRINGS = 4096;

/**
 * One copy of each short field value that repeats from line to line (a phone's hostname, its
 * processes' names and pids, the second its lines were written in). A waiting line then holds
 * references to strings that already exist, not four strings of its own: a million waiting
 * lines were four million small objects in the old generation for the collector to mark.
 */
class StringPool {
  private readonly kept = new Map<string, string>();

  intern(s: string | null): string | null {
    if (s === null) return null;
    const known = this.kept.get(s);
    if (known !== undefined) return known;
    if (this.kept.size >= MAX_POOLED_STRINGS) this.kept.clear();
    this.kept.set(s, s);
    return s;
  }
}

const emptyText = (): LogText => ({ source: [], format: [], module: [], message: [], deviceTime: [], hostname: [], app: [], pid: [], msgid: [], sid: [], sd: [], warnings: [] });
const INITIAL_ROWS = 64;
const INITIAL_RAW_BYTES = 16 * 1024;

/** A facility, severity or message offset as stored: null where its column holds -1. */
export const codeOrNull = (v: number): number | null => (v === -1 ? null : v);
/** A time, sequence number or import id as stored: null where its column holds NaN. */
export const numberOrNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** Line i's raw bytes (a view into the batch). */
export function rawOf(c: LogColumns, i: number): Uint8Array {
  return c.raw.subarray(i === 0 ? 0 : c.rawEnds[i - 1]!, c.rawEnds[i]!);
}

const UTF8 = new TextDecoder();

/** Line i's message, read from its raw bytes where only those hold it. */
export function messageOf(c: LogColumns, i: number): string {
  const kept = c.text.message[i];
  if (kept !== null && kept !== undefined) return kept;
  return UTF8.decode(rawOf(c, i).subarray(c.messageAt[i]!));
}

/** Lines appended one at a time, taken off as blocks of their exact size; the arrays grow as needed and are reused. */
export class LogColumnsBuilder {
  private id = new Float64Array(INITIAL_ROWS);
  private receivedAt = new Float64Array(INITIAL_ROWS);
  private deviceId = new Float64Array(INITIAL_ROWS);
  private deviceTs = new Float64Array(INITIAL_ROWS);
  private facility = new Int16Array(INITIAL_ROWS);
  private severity = new Int8Array(INITIAL_ROWS);
  private seq = new Float64Array(INITIAL_ROWS);
  private importId = new Float64Array(INITIAL_ROWS);
  private rawEnds = new Uint32Array(INITIAL_ROWS);
  private messageAt = new Int32Array(INITIAL_ROWS);
  private raw = new Uint8Array(INITIAL_RAW_BYTES);
  private text = emptyText();
  private readonly pool = new StringPool();
  /** Lines added since the last take. */
  length = 0;

  add(r: LogRecord): void {
    const i = this.length;
    if (i === this.id.length) this.growRows(i * 2);
    const start = i === 0 ? 0 : this.rawEnds[i - 1]!;
    const end = start + r.raw.length;
    if (end > this.raw.length) this.raw = grown(this.raw, Math.max(end, this.raw.length * 2), start);
    this.id[i] = r.id;
    this.receivedAt[i] = r.receivedAt;
    this.deviceId[i] = r.deviceId;
    this.deviceTs[i] = r.deviceTs ?? NaN;
    this.facility[i] = r.facility ?? -1;
    this.severity[i] = r.severity ?? -1;
    this.seq[i] = r.seq ?? NaN;
    this.importId[i] = r.importId ?? NaN;
    this.raw.set(r.raw, start);
    this.rawEnds[i] = end;
    const messageAt = r.messageAt ?? -1;
    this.messageAt[i] = messageAt;
    const t = this.text;
    t.source.push(r.source); t.format.push(r.format); t.module.push(r.module); t.message.push(messageAt === -1 ? r.message : null);
    const p = this.pool;
    t.deviceTime.push(p.intern(r.deviceTime)); t.hostname.push(p.intern(r.hostname)); t.app.push(p.intern(r.app)); t.pid.push(p.intern(r.pid));
    t.msgid.push(p.intern(r.msgid)); t.sid.push(r.sid);
    t.sd.push(r.structuredData ? JSON.stringify(r.structuredData) : null);
    t.warnings.push(r.warnings.length ? JSON.stringify(r.warnings) : null);
    this.length = i + 1;
  }

  /** The lines added since the last take, in arrays of their own. */
  take(): LogColumns {
    const n = this.length;
    const rawBytes = n === 0 ? 0 : this.rawEnds[n - 1]!;
    const block: LogColumns = {
      n, id: this.id.slice(0, n), receivedAt: this.receivedAt.slice(0, n), deviceId: this.deviceId.slice(0, n), deviceTs: this.deviceTs.slice(0, n),
      facility: this.facility.slice(0, n), severity: this.severity.slice(0, n), seq: this.seq.slice(0, n), importId: this.importId.slice(0, n),
      messageAt: this.messageAt.slice(0, n), text: this.text, raw: this.raw.slice(0, rawBytes), rawEnds: this.rawEnds.slice(0, n),
    };
    this.text = emptyText();
    this.length = 0;
    return block;
  }

  private growRows(rows: number): void {
    const n = this.length;
    this.id = grown(this.id, rows, n); this.receivedAt = grown(this.receivedAt, rows, n); this.deviceId = grown(this.deviceId, rows, n);
    this.deviceTs = grown(this.deviceTs, rows, n); this.facility = grown(this.facility, rows, n); this.severity = grown(this.severity, rows, n);
    this.seq = grown(this.seq, rows, n); this.importId = grown(this.importId, rows, n); this.rawEnds = grown(this.rawEnds, rows, n);
    this.messageAt = grown(this.messageAt, rows, n);
  }
}

type TypedArray = Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint8Array;

/** A larger array of the same kind holding the first `used` elements. */
function grown<A extends TypedArray>(a: A, size: number, used: number): A {
  const b = new (a.constructor as new (n: number) => A)(size);
  b.set(a.subarray(0, used) as never);
  return b;
}

export function packLogs(records: readonly LogRecord[]): LogColumns {
  const builder = new LogColumnsBuilder();
  for (const r of records) builder.add(r);
  return builder.take();
}
