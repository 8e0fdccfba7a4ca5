/**
 * Positioned reads from a capture file through one sliding window, so a streaming reader asks for
 * "n bytes at offset o" without holding the file: memory is the window (1 MiB, or one block when a
 * block is larger), whatever the file size. Going back (to look for the next block after damage)
 * is a fresh read, never a seek through a stream.
 */
import { open, type FileHandle } from 'node:fs/promises';

const WINDOW_BYTES = 1024 * 1024;

export class FileWindow {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  /** The furthest byte read so far: the reader's progress through the file. */
  furthest = 0;

  private constructor(private readonly handle: FileHandle, readonly size: number) {}

  static async open(file: string): Promise<FileWindow> {
    const handle = await open(file, 'r');
    try {
      return new FileWindow(handle, (await handle.stat()).size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Up to `length` bytes at `offset` (fewer at the end of the file). The view is valid until the
   * next call: copy what must outlive it.
   */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.size);
    if (offset >= end) return Buffer.alloc(0);
    if (offset < this.windowStart || end > this.windowStart + this.window.length) {
      const want = Math.min(Math.max(length, WINDOW_BYTES), this.size - offset);
      // A new buffer each time (not reused): a view handed out before stays intact.
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.handle.read(buf, 0, want, offset);
      this.window = buf.subarray(0, bytesRead);
      this.windowStart = offset;
    }
    const at = offset - this.windowStart;
    const view = this.window.subarray(at, Math.min(at + (end - offset), this.window.length));
    this.furthest = Math.max(this.furthest, offset + view.length);
    return view;
  }

  /**
   * The same view without waiting, when those bytes are in the window already (or past the end of
   * the file: then fewer or none); null when they would need a read. A reader of many small records
   * takes them this way, with one await per window instead of one per record.
   */
  peek(offset: number, length: number): Buffer | null {
    const end = Math.min(offset + length, this.size);
    if (offset >= end) return Buffer.alloc(0);
    if (offset < this.windowStart || end > this.windowStart + this.window.length) return null;
    const at = offset - this.windowStart;
    this.furthest = Math.max(this.furthest, end);
    return this.window.subarray(at, at + (end - offset));
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
