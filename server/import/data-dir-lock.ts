/**
 * Who is using a data directory: the collector writes its pid to `collector.pid` while it runs, so
 * `ipp-collector import` can refuse to write into a store a running collector owns (its pipeline
 * hands out log ids from memory, so a second writer's lines would take ids it is about to use).
 * A pid file whose process is gone is stale and ignored.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PID_FILE = 'collector.pid';

/** Marks the directory as the running collector's; returns the function that clears the mark. */
export function markCollectorRunning(dataDir: string): () => void {
  const file = path.join(dataDir, PID_FILE);
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
    } catch {
      // Already gone: nothing to clear.
    }
  };
}

/** The pid of another live collector using this directory, or null. */
export function runningCollector(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
