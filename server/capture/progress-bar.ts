/**
 * A progress line on stderr for commands that read a capture file (import, analyze, decode): a bar
 * redrawn in place on a terminal, at most every REDRAW_INTERVAL_MS, and one final line.
 */
const BAR_WIDTH = 30;
const REDRAW_INTERVAL_MS = 200;
/** analyze and decode draw a bar only for files at least this big; small ones finish at once. */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

export interface ProgressBar {
  /** Bytes of the file read so far. */
  update(bytes: number): void;
  end(bytes: number): void;
}

export function progressBar(name: string, total: number, out: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = Date.now();
  const tty = out.isTTY === true;
  let drawnMs = 0;
  const line = (bytes: number) => {
    const s = Math.max((Date.now() - started) / 1000, 0.001);
    const frac = total > 0 ? Math.min(bytes / total, 1) : 1;
    const filled = Math.round(frac * BAR_WIDTH);
    return `${name} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${mb(bytes)} / ${mb(total)} MB, ${(bytes / 1e6 / s).toFixed(1)} MB/s`;
  };
  return {
    update: (bytes) => {
      const now = Date.now();
      if (!tty || now - drawnMs < REDRAW_INTERVAL_MS) return;
      drawnMs = now;
      out.write(`\r${line(bytes)}`);
    },
    end: (bytes) => { out.write(`${tty ? '\r' : ''}${line(bytes)}\n`); },
  };
}

/** A bar for analyze/decode: only on a terminal and for a big file, else one that draws nothing. */
export function terminalProgressBar(name: string, total: number): ProgressBar {
  if (process.stderr.isTTY !== true || total < PROGRESS_MIN_BYTES) return { update: () => undefined, end: () => undefined };
  return progressBar(name, total);
}

const mb = (n: number) => (n / 1e6).toFixed(1);
