/**
 * The collector (express, socket.io, the stores…) loaded only by the commands that run it: the
 * others (analyze, decode, …) then start in a fraction of the time (measured: 0.75 s to 0.2 s
 * for `--version`), which counts in every short run.
 */
import type { startCollector } from '../collector.js';

export async function loadCollector(): Promise<typeof startCollector> {
  return (await import('../collector.js')).startCollector;
}
