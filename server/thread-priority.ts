/**
 * Lowers the calling thread's scheduling priority. Linux gives each thread its own nice value;
 * os.setPriority takes a thread id, which /proc/thread-self names.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** False where threads cannot be named (not Linux) or the priority may not change; the thread runs on unchanged. */
export function lowerThreadPriority(nice: number): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
