/**
 * Duplicate RTP packets: a sequence number seen again within the last WINDOW numbers. Wireshark's
 * stream stats fold duplicates into "lost" (as negative loss); we count them on their own. A
 * 1024-bit ring (128 bytes per stream) keeps this O(1) with no per-packet allocation.
 */
const WINDOW = 1024;
const SEQ_MODULO = 0x1_0000;
const SEQ_HALF_RANGE = 0x8000;

export class DuplicateWindow {
  private readonly seen = new Uint32Array(WINDOW / 32);
  private highest = -1;
  duplicates = 0;

  add(seq: number): void {
    if (this.highest < 0) {
      this.highest = seq;
      this.set(seq);
      return;
    }
    const delta = (seq - (this.highest % SEQ_MODULO) + SEQ_MODULO) % SEQ_MODULO;
    const ext = delta < SEQ_HALF_RANGE ? this.highest + delta : this.highest - (SEQ_MODULO - delta);
    if (ext > this.highest) {
      if (ext - this.highest >= WINDOW) this.seen.fill(0);
      else for (let s = this.highest + 1; s < ext; s++) this.clear(s);
      this.highest = ext;
      this.set(ext);
    } else if (this.highest - ext < WINDOW) {
      if (this.isSet(ext)) this.duplicates++;
      else this.set(ext);
    }
  }

  private set(ext: number): void {
    const i = ext & (WINDOW - 1);
    this.seen[i >>> 5]! |= 1 << (i & 31);
  }

  private clear(ext: number): void {
    const i = ext & (WINDOW - 1);
    this.seen[i >>> 5]! &= ~(1 << (i & 31));
  }

  private isSet(ext: number): boolean {
    const i = ext & (WINDOW - 1);
    return (this.seen[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
}
