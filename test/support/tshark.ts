/**
 * Running tshark from oracle tests: availability check (fail loudly unless
 * IPP_ALLOW_MISSING_ORACLES=1), raw runs, and `-T fields` output parsed into rows.
 */
import { spawnSync } from 'node:child_process';

const TSHARK = 'tshark';
const TSHARK_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Joins repeated occurrences of a field within one frame; a control char no field value contains. */
const AGGREGATOR = '\u001f';

let versionCache: string | null | undefined;

/** First line of `tshark --version`, or null when tshark cannot be run. */
export function tsharkVersion(): string | null {
  if (versionCache === undefined) {
    const r = spawnSync(TSHARK, ['--version'], { encoding: 'utf8', timeout: TSHARK_TIMEOUT_MS });
    versionCache = r.status === 0 ? (r.stdout.split('\n')[0] ?? '') : null;
  }
  return versionCache;
}

/**
 * True when tshark runs. When it does not: throws (so the test file fails loudly), unless
 * IPP_ALLOW_MISSING_ORACLES=1, in which case it logs why and returns false for `describe.skipIf`.
 */
export function requireTshark(): boolean {
  if (tsharkVersion() !== null) return true;
  const message = 'tshark is not installed or not runnable (apt-get install tshark)';
  if (process.env['IPP_ALLOW_MISSING_ORACLES'] === '1') {
    console.warn(`${message}; skipping tshark oracle tests because IPP_ALLOW_MISSING_ORACLES=1`);
    return false;
  }
  throw new Error(`${message}; set IPP_ALLOW_MISSING_ORACLES=1 to skip oracle tests`);
}

/** `tshark -r file ...args`, stdout as text; throws with stderr on failure. */
export function runTshark(file: string, args: readonly string[]): string {
  const r = spawnSync(TSHARK, ['-r', file, ...args], { encoding: 'utf8', timeout: TSHARK_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tshark exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface TsharkFieldOptions {
  /** `-d` decode-as rules, e.g. 'udp.port==50000,acdr'. */
  readonly decodeAs?: readonly string[];
  /** `-o` preferences, e.g. 'rtcp.show_roundtrip_calculation:TRUE'. */
  readonly prefs?: readonly string[];
  /** `-Y` display filter. */
  readonly filter?: string;
}

/** One frame: every requested field → its occurrences in order (empty array when absent). */
export interface TsharkRow {
  readonly frame: number;
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /** First occurrence, or undefined when the field is absent. */
  first(field: string): string | undefined;
  all(field: string): readonly string[];
}

/** Runs `tshark -T fields -e frame.number -e ...` and parses each output line into a row. */
export function tsharkFields(file: string, fields: readonly string[], opts: TsharkFieldOptions = {}): TsharkRow[] {
  const args: string[] = [];
  for (const d of opts.decodeAs ?? []) args.push('-d', d);
  for (const o of opts.prefs ?? []) args.push('-o', o);
  if (opts.filter) args.push('-Y', opts.filter);
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', 'quote=n', '-E', 'header=n', '-E', 'occurrence=a', '-E', `aggregator=${AGGREGATOR}`, '-e', 'frame.number');
  for (const f of fields) args.push('-e', f);
  const out = runTshark(file, args);
  const rows: TsharkRow[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    const map = new Map<string, string[]>();
    fields.forEach((f, i) => {
      const v = cols[i + 1] ?? '';
      map.set(f, v === '' ? [] : v.split(AGGREGATOR));
    });
    rows.push({
      frame: Number(cols[0]),
      fields: map,
      first: (f) => map.get(f)?.[0],
      all: (f) => map.get(f) ?? [],
    });
  }
  return rows;
}
