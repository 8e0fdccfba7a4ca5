/**
 * How new rows are numbered before they are written. The embedded store counts from its highest
 * id. Collectors sharing one fleet store number by time with their own slot in the low bits, so
 * two collectors never hand out the same id and ids still grow with time across the fleet.
 */

export interface IdSource {
  next(): number;
  /** The last id handed out (or the one before the first). */
  readonly last: number;
}

export class CountingIds implements IdSource {
  last: number;
  constructor(first: number) { this.last = first - 1; }
  readonly next = (): number => ++this.last;
}

/** 2024-01-01T00:00:00Z: with 40 bits of milliseconds the ids last until 2058 and stay below 2^53. */
const EPOCH_MS = Date.UTC(2024, 0, 1);
export const SLOT_BITS = 4;
const SEQ_BITS = 9;
export const MAX_SLOTS = 1 << SLOT_BITS;
const LOW = 1 << (SLOT_BITS + SEQ_BITS);
const SEQ_MAX = (1 << SEQ_BITS) - 1;

/**
 * `(ms since 2024) · 2^13 + slot · 2^9 + seq`: up to 512 ids per millisecond per collector; a
 * burst beyond that borrows the next milliseconds, so ids never repeat or go backwards.
 */
export class TimeOrderedIds implements IdSource {
  last: number;
  private ms = 0;
  private seq = 0;

  constructor(private readonly slot: number, private readonly now: () => number, after = 0) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new Error(`collector slot ${slot} is outside 0–${MAX_SLOTS - 1}`);
    this.last = after;
    this.ms = Math.floor(after / LOW);
    this.seq = SEQ_MAX;
  }

  next(): number {
    const t = Math.max(this.now() - EPOCH_MS, 0);
    if (t > this.ms) {
      this.ms = t;
      this.seq = 0;
    } else if (this.seq < SEQ_MAX) this.seq++;
    else {
      this.ms++;
      this.seq = 0;
    }
    this.last = this.ms * LOW + this.slot * (SEQ_MAX + 1) + this.seq;
    return this.last;
  }
}
