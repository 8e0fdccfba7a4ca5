/**
 * Android debuggerd tombstones (crash-dumps spec §2): text in every dialect from 4.0 to 14, with
 * or without logcat prefixes (threadtime, time, brief, Android Studio, colour), CRLF or CR line
 * ends, a BOM, UTF-16 from Windows shells, trailing NULs and separators mangled by chat or
 * markdown; several per file; a best-effort extractor for crash text that is not
 * debuggerd's (§2.8, marked `fallback`); and Android 12+ protobuf tombstones, decoded whole by
 * tombstone-proto.ts into the same `Tombstone` record.
 *
 * Field names follow debuggerd's own labels (no tshark dissector exists): `buildFingerprint` =
 * "Build fingerprint", `signal.codeName` = the name in "code N (NAME)", `frames[].relPc` = "pc".
 */
import { decodeError, isDecodeError, type DecodeError } from './decode-error.js';
import { genericSignalNumber } from './elf-core/arch.js';
import { decodeProtoTombstone, looksLikeProtoTombstone } from './tombstone-proto.js';

const FORMAT = 'tombstone';

export type TombstoneDialect = 'android-4' | 'android-5..8' | 'android-9' | 'android-10/11' | 'android-12+';

export interface TombstoneFrame {
  readonly index: number;
  /** debuggerd's rel pc: the address addr2line expects for `module`; absolute in fallback text. */
  readonly relPc: string;
  readonly module: string;
  /** Offset of an embedded ELF inside an APK ("(offset 0x…)"). */
  readonly mapOffset?: string;
  readonly function?: string;
  readonly functionOffset?: number;
  readonly buildId?: string;
  /** Absolute pc: only protobuf tombstones carry it. */
  readonly pc?: string;
}

export interface TombstoneThread {
  readonly pid: number;
  readonly tid: number;
  readonly name: string;
  readonly processName?: string;
  readonly registers: Readonly<Record<string, string>>;
  readonly fpRegisters: Readonly<Record<string, string>>;
  readonly frames: readonly TombstoneFrame[];
  /** Unwinder notes on the backtrace (protobuf `backtrace_note`). */
  readonly notes?: readonly string[];
}

export interface TombstoneSignal {
  readonly number: number;
  readonly name: string;
  readonly code?: number;
  readonly codeName?: string;
  readonly senderPid?: number;
  readonly senderUid?: number;
  /** Absent when debuggerd printed `--------` (no address for this signal). */
  readonly faultAddr?: string;
}

export interface MemoryMapEntry {
  readonly start: string;
  /** Inclusive, as printed. */
  readonly end: string;
  readonly perms: string;
  readonly offset?: string;
  readonly size?: string;
  readonly name?: string;
  readonly buildId?: string;
  readonly loadBias?: string;
  /** Marked `--->` by debuggerd: the fault address lies here. */
  readonly fault: boolean;
}

export interface TombstoneOpenFile {
  readonly fd: number;
  readonly path: string;
  /** fdsan owner ("unowned" when absent) and its tag, hex. */
  readonly owner?: string;
  readonly tag?: string;
}

export interface TombstoneLogBuffer {
  readonly name: string;
  readonly messages: ReadonlyArray<{
    readonly timestamp: string; readonly pid: number; readonly tid: number;
    /** logcat's letter: V D I W E F. */
    readonly priority: string; readonly tag: string; readonly message: string;
  }>;
}

/** One crash, from debuggerd text or from a protobuf tombstone (`kind` says which). */
export interface Tombstone {
  readonly kind: 'tombstone-text' | 'tombstone-proto';
  readonly dialect: TombstoneDialect;
  readonly buildFingerprint?: string;
  readonly revision?: string;
  readonly abi?: string;
  readonly timestamp?: string;
  /** Timestamp of the `***` line's logcat prefix: a fallback crash time for pasted logcat. */
  readonly logcatTime?: string;
  readonly processUptimeSeconds?: number;
  readonly cmdline?: string;
  /** argv as the protobuf tombstone keeps it (`cmdline` is it joined by spaces). */
  readonly commandLine?: readonly string[];
  readonly pid?: number;
  readonly tid?: number;
  readonly threadName?: string;
  readonly processName?: string;
  readonly uid?: number;
  readonly selinuxLabel?: string;
  readonly signal?: TombstoneSignal;
  readonly causes: readonly string[];
  readonly abortMessage?: string;
  /** Crashing thread first; `threads.length` is the thread count. */
  readonly threads: readonly TombstoneThread[];
  readonly memoryMap: readonly MemoryMapEntry[];
  readonly openFiles: readonly TombstoneOpenFile[];
  /** Protobuf tombstones only: the text's log sections are logcat lines of other tags, not read. */
  readonly logBuffers?: readonly TombstoneLogBuffer[];
}

export interface FallbackCrashText {
  readonly kind: 'unknown-text';
  readonly fallback: true;
  readonly signal?: { readonly number?: number; readonly name?: string };
  readonly pid?: number;
  readonly processName?: string;
  readonly registers: Readonly<Record<string, string>>;
  /** `relPc` is absolute unless a maps block let us place it in a module (then `offset` is set). */
  readonly frames: ReadonlyArray<TombstoneFrame & { readonly pc?: string; readonly offset?: string }>;
  readonly memoryMap: readonly MemoryMapEntry[];
}

export type TombstoneFile =
  | { readonly format: 'tombstone'; readonly kind: 'tombstone-text'; readonly tombstones: readonly Tombstone[] }
  | { readonly format: 'tombstone'; readonly kind: 'unknown-text'; readonly fallback: FallbackCrashText }
  | { readonly format: 'tombstone'; readonly kind: 'tombstone-proto'; readonly tombstone: Tombstone; readonly problems: readonly string[] };

export function decodeTombstone(input: string | Uint8Array): TombstoneFile | DecodeError {
  try {
    if (input instanceof Uint8Array) {
      if (input.length === 0) return decodeError(FORMAT, 'empty input: 0 bytes', 0);
      if (looksLikeProtoTombstone(input)) {
        const proto = decodeProtoTombstone(input);
        return isDecodeError(proto) ? proto : { format: FORMAT, kind: 'tombstone-proto', tombstone: proto.tombstone, problems: proto.problems };
      }
      return decodeText(tombstoneBytesToText(input));
    }
    return decodeText(input);
  } catch (error) {
    return decodeError(FORMAT, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** PowerShell's `adb logcat > file` writes UTF-16LE with a BOM: its NULs make the file look binary. */
export function hasUtf16Bom(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

/** Text as the decoder reads it: UTF-16 by its BOM, else UTF-8 (TextDecoder drops a UTF-8 BOM itself). */
export function tombstoneBytesToText(bytes: Uint8Array): string {
  const encoding = !hasUtf16Bom(bytes) ? 'utf-8' : bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
  return new TextDecoder(encoding, { fatal: false }).decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// Pre-processing: line ends, terminal colour, logcat prefixes (spec §2.4)

interface Line {
  readonly text: string;
  readonly logcatTime?: string;
  /** A logcat line from another tag (e.g. libc's "Fatal signal" summary): not tombstone content. */
  readonly foreign?: boolean;
}

/**
 * A logcat time column: the date and time (-v year, usec, nsec), or seconds as `-v epoch` (since
 * 1970) and `-v monotonic` (since boot, right-aligned in a padded column) print them.
 */
const LOGCAT_TIME = String.raw`(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3,9}|\d+\.\d{3,9}`;

const LOGCAT_PREFIXES: readonly RegExp[] = [
  // threadtime: "03-14 09:41:27.512  1203  1227 F DEBUG   : ", with -v year, usec/nsec, zone or uid columns
  new RegExp(String.raw`^\s*(?<time>${LOGCAT_TIME})(?: [+-]\d{4})?\s+(?:[\w.]+\s+)?\d+\s+\d+\s+[VDIWEFA]\s+(?<tag>[^:]*?)\s*: ?(?<msg>.*)$`),
  // time: "03-14 09:41:27.512 I/DEBUG   (   86): " (Android 4 debuggerd logged at info)
  new RegExp(String.raw`^\s*(?<time>${LOGCAT_TIME})\s+[VDIWEFA]\/(?<tag>[^(]*?)\s*\(\s*\d+\): ?(?<msg>.*)$`),
  // brief: "F/DEBUG  ( 1203): "
  /^[VDIWEFA]\/(?<tag>[^(]*?)\s*\(\s*\d+\): ?(?<msg>.*)$/,
  // Android Studio: "2024-03-14 09:41:27.512 1203-1227/? A/DEBUG: "
  /^(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\s+\d+-\d+\/\S+\s+[VDIWEFA]\/(?<tag>[^:]*?): ?(?<msg>.*)$/,
];

/**
 * `logcat -v color` and terminals pasted with their SGR (and other CSI) sequences, also as `cat -v`
 * shows them (`^[[`); viewers that drop the ESC byte leave a bare `[38;5;196m` … `[0m` around the line.
 */
const ANSI_ESCAPE = /(?:\x1b|\^\[)\[[0-9;?]*[ -/]*[@-~]|^(?:\[[0-9;]*m)+|(?:\[[0-9;]*m)+$/g;
/**
 * Windows (CRLF), classic Mac and some serial consoles (lone CR) alike; a NUL run is where a
 * truncated upload or a tombstone cut short by power loss was padded, so it ends the line too.
 */
const LINE_BREAK = /\r\n|\r|\n|\0+/;

function splitLines(text: string): Line[] {
  return text.replace(/^\uFEFF/, '').split(LINE_BREAK).map((raw): Line => {
    const line = raw.trimEnd().replace(ANSI_ESCAPE, '').trimEnd();
    for (const prefix of LOGCAT_PREFIXES) {
      const groups = prefix.exec(line)?.groups;
      if (groups === undefined) continue;
      const message = (groups['msg'] ?? '').trimEnd();
      if (groups['tag']?.trim() !== 'DEBUG') return { text: message, foreign: true };
      return groups['time'] === undefined ? { text: message } : { text: message, logcatTime: groups['time'] };
    }
    return { text: line };
  });
}

// ---------------------------------------------------------------------------------------------
// debuggerd text (spec §2.4–§2.5)

/**
 * A line of nothing but stars (9 or more): also indented, spaced by tabs or runs of spaces, with
 * stars added or spaces lost, wrapped over two lines by chat, or markdown-escaped (`\*\*\*`).
 */
const STARS = /^[\s\\]*(?:\*[\s\\]*){9,}$/;
/** The thread separator `--- --- ---…`, as tolerantly: a line of nothing but dashes (9 or more). */
const THREAD_SEPARATOR = /^[\s\\]*(?:-[\s\\]*){9,}$/;
const PID_LINE = /^pid: (\d+), tid: (\d+), name: (.*?)  >>> (.*) <<<$/;
const PID_LINE_44 = /^pid: (\d+), tid: (\d+), name: (.*)$/;
/** Android 4.0 had no thread name: "pid: 877, tid: 901  >>> /system/bin/voip_task <<<", then "pid: 877, tid: 877". */
const PID_LINE_40 = /^pid: (\d+), tid: (\d+)(?:  >>> (.*) <<<)?$/;
const SIGNAL_LINE = /^signal (\d+) \(([\w?]+)\), code (-?\d+) \(([^)]*?)(?: from pid (\d+), uid (\d+))?\), fault addr (--------|(?:0x)?[0-9a-f]+)(?: \(\*pc=(0x[0-9a-f]+)\))?$/;
const REGISTER_LINE = /^\s+(?:[a-z][a-z0-9]{0,5}\s+[0-9a-f]{8,32}\s*)+$/;
const FP_REGISTER = /^(?:d\d+|v\d+|scr|fpsr|fpcr)$/;
const FRAME_LINE = /^\s*#(\d+)\s+pc\s+([0-9a-f]+)\s+(.*)$/;
const MAP_LINE = /^(--->|\s*)([0-9a-f']+)-([0-9a-f']+) ([r-][w-][x-])(.*)$/;
const OPEN_FILE_LINE = /^\s*fd (\d+): (.*) \((?:unowned|owned by (.+) (0x[0-9a-f]+))\)$/;
/** 9+ collects pc/lr/sp into a last row without the flags register that legacy rows end with. */
const SPECIAL_REGISTER_ROW = /\s(?:pc|rip|eip)\s/;
const LEGACY_FLAGS_REGISTER = /\s(?:cpsr|eflags|flags|pstate)\s/;
const HEADER_FIELDS: ReadonlyArray<[RegExp, string]> = [
  [/^Build fingerprint: '(.*)'$/, 'buildFingerprint'],
  [/^Revision: '(.*)'$/, 'revision'],
  [/^ABI: '([\w-]+)'$/, 'abi'],
  [/^Timestamp: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?[+-]\d{4})$/, 'timestamp'],
  [/^Process uptime: (\d+)s$/, 'processUptimeSeconds'],
  [/^Cmdline: (.*)$/, 'cmdline'],
];

type Section = 'none' | 'backtrace' | 'stack' | 'memory' | 'maps' | 'open-files' | 'logs';

interface MutableThread {
  pid: number; tid: number; name: string; processName?: string;
  registers: Record<string, string>; fpRegisters: Record<string, string>; frames: TombstoneFrame[];
}

interface Draft {
  header: Record<string, string>;
  logcatTime?: string;
  uid?: number;
  signal?: TombstoneSignal;
  causes: string[];
  abortMessage?: string;
  abortOpen: boolean;
  threads: MutableThread[];
  memoryMap: MemoryMapEntry[];
  openFiles: TombstoneOpenFile[];
  twoSpaceFrames: boolean;
  newRegisters: boolean;
}

function decodeText(text: string): TombstoneFile | DecodeError {
  if (text.trim() === '') return decodeError(FORMAT, 'empty input: no text', 0);
  const lines = splitLines(text);
  const ours = lines.filter((line) => !line.foreign);
  const isDebuggerd = ours.some((line) => STARS.test(line.text) || isCrashPidLine(line.text));
  if (!isDebuggerd) return { format: FORMAT, kind: 'unknown-text', fallback: extractFallback(lines) };
  const drafts: Draft[] = [];
  let draft: Draft | undefined;
  let section: Section = 'none';
  for (const line of ours) {
    const t = line.text;
    if (STARS.test(t)) {
      draft = newDraft(line.logcatTime);
      drafts.push(draft);
      section = 'none';
      continue;
    }
    if (draft === undefined) {
      if (!isCrashPidLine(t)) continue;
      // A tombstone pasted without its "***" line still starts at its pid line.
      draft = newDraft(undefined);
      drafts.push(draft);
    }
    section = parseLine(draft, t, section);
  }
  const tombstones = drafts.filter((d) => d.threads.length > 0 || Object.keys(d.header).length > 0).map(finish);
  // A row of stars alone is decoration as often as a tombstone: let the fallback look for a crash.
  if (tombstones.length === 0) return { format: FORMAT, kind: 'unknown-text', fallback: extractFallback(lines) };
  return { format: FORMAT, kind: 'tombstone-text', tombstones };
}

/** The crashing thread's line, which names the process in every dialect. */
function isCrashPidLine(t: string): boolean {
  return PID_LINE.test(t) || PID_LINE_40.exec(t)?.[3] !== undefined;
}

/** A thread's line in any dialect; the bare 4.0/4.4 forms only once the crashing thread is known. */
function threadLine(t: string, known: number): { pid: number; tid: number; name: string; processName?: string } | undefined {
  const full = PID_LINE.exec(t);
  if (full) return { pid: Number(full[1]), tid: Number(full[2]), name: full[3] ?? '', processName: full[4] ?? '' };
  const named = known > 0 ? PID_LINE_44.exec(t) : null;
  if (named) return { pid: Number(named[1]), tid: Number(named[2]), name: named[3] ?? '' };
  const unnamed = PID_LINE_40.exec(t);
  if (unnamed === null || (unnamed[3] === undefined && known === 0)) return undefined;
  return { pid: Number(unnamed[1]), tid: Number(unnamed[2]), name: '', ...(unnamed[3] !== undefined ? { processName: unnamed[3] } : {}) };
}

function newDraft(logcatTime: string | undefined): Draft {
  return { header: {}, causes: [], abortOpen: false, threads: [], memoryMap: [], openFiles: [], twoSpaceFrames: false, newRegisters: false, ...(logcatTime ? { logcatTime } : {}) };
}

function parseLine(draft: Draft, t: string, section: Section): Section {
  if (draft.abortOpen) {
    draft.abortMessage = `${draft.abortMessage}\n${t.endsWith("'") ? t.slice(0, -1) : t}`;
    draft.abortOpen = !t.endsWith("'");
    return section;
  }
  const current = draft.threads[draft.threads.length - 1];
  const thread = threadLine(t, draft.threads.length);
  if (thread) {
    draft.threads.push({ ...thread, registers: {}, fpRegisters: {}, frames: [] });
    return 'none';
  }
  if (THREAD_SEPARATOR.test(t)) return 'none';
  if (draft.threads.length === 0) {
    for (const [pattern, field] of HEADER_FIELDS) {
      const match = pattern.exec(t);
      if (match) draft.header[field] = match[1] ?? '';
    }
    return section;
  }
  const crashLevel = draft.threads.length === 1;
  const uid = /^uid: (\d+)$/.exec(t);
  if (uid) {
    if (crashLevel) draft.uid = Number(uid[1]);
    return section;
  }
  const signal = crashLevel ? SIGNAL_LINE.exec(t) : null;
  if (signal) {
    draft.signal = {
      number: Number(signal[1]), name: signal[2] ?? '', code: Number(signal[3]), codeName: signal[4] ?? '',
      ...(signal[5] ? { senderPid: Number(signal[5]), senderUid: Number(signal[6]) } : {}),
      ...(signal[7] && signal[7] !== '--------' ? { faultAddr: normalizeHex(signal[7]) } : {}),
    };
    return section;
  }
  const cause = crashLevel ? /^Cause: (.*)$/.exec(t) : null;
  if (cause) {
    draft.causes.push(cause[1] ?? '');
    return section;
  }
  const abort = crashLevel ? /^Abort message: '(.*)$/.exec(t) : null;
  if (abort) {
    const body = abort[1] ?? '';
    draft.abortOpen = !body.endsWith("'");
    draft.abortMessage = draft.abortOpen ? body : body.slice(0, -1);
    return section;
  }
  const next = sectionHeader(t);
  if (next !== undefined) return next;
  if (section === 'backtrace' && current) {
    const frame = parseFrame(t);
    if (frame) {
      if (/^\s*#\d+  pc/.test(t)) draft.twoSpaceFrames = true;
      current.frames.push(frame);
    }
    return section;
  }
  if (section === 'maps') {
    const entry = parseMapLine(t);
    if (entry) draft.memoryMap.push(entry);
    return section;
  }
  if (section === 'open-files') {
    const fd = OPEN_FILE_LINE.exec(t);
    if (fd) draft.openFiles.push({ fd: Number(fd[1]), path: fd[2] ?? '', ...(fd[3] !== undefined ? { owner: fd[3], tag: normalizeHex(fd[4]!) } : {}) });
    return section;
  }
  if (section === 'none' && current && REGISTER_LINE.test(t)) {
    if (SPECIAL_REGISTER_ROW.test(t) && !LEGACY_FLAGS_REGISTER.test(t)) draft.newRegisters = true;
    const tokens = t.trim().split(/\s+/);
    for (let i = 0; i + 1 < tokens.length; i += 2) {
      const name = tokens[i]!;
      (FP_REGISTER.test(name) ? current.fpRegisters : current.registers)[name] = normalizeHex(tokens[i + 1]!);
    }
  }
  return section;
}

function sectionHeader(t: string): Section | undefined {
  if (t === 'backtrace:') return 'backtrace';
  if (t === 'stack:') return 'stack';
  if (/^memory near .*:$/.test(t) || /^code around \w+:$/.test(t)) return 'memory';
  if (/^memory map\b/.test(t)) return 'maps';
  if (t === 'open files:') return 'open-files';
  if (/^--------- (?:tail end of )?log /.test(t)) return 'logs';
  return undefined;
}

/** Right-to-left tail parse (spec §2.4.3): BuildId, then a balanced "(function+N)", then "(offset 0x…)". */
export function parseFrame(line: string): TombstoneFrame | undefined {
  const match = FRAME_LINE.exec(line);
  if (!match) return undefined;
  let rest = (match[3] ?? '').trim();
  let buildId: string | undefined;
  const build = /\s*\(BuildId: ([0-9a-fA-F]+)\)$/.exec(rest);
  if (build) {
    buildId = build[1]!.toLowerCase();
    rest = rest.slice(0, build.index);
  }
  let fn: string | undefined;
  let functionOffset: number | undefined;
  if (rest.endsWith(')')) {
    const open = matchingOpenParen(rest);
    const inner = open > 0 ? rest.slice(open + 1, -1) : '';
    if (open > 0 && rest[open - 1] === ' ' && !/^offset 0x/.test(inner) && inner !== 'deleted') {
      const withOffset = /^(.*)\+(\d+)$/.exec(inner);
      fn = withOffset ? withOffset[1] : inner;
      if (withOffset) functionOffset = Number(withOffset[2]);
      rest = rest.slice(0, open - 1);
    }
  }
  let mapOffset: string | undefined;
  const offset = /\s*\(offset (0x[0-9a-f]+)\)$/.exec(rest);
  if (offset) {
    mapOffset = normalizeHex(offset[1]!);
    rest = rest.slice(0, offset.index);
  }
  return {
    index: Number(match[1]), relPc: normalizeHex(match[2]!), module: rest.trim(),
    ...(mapOffset !== undefined ? { mapOffset } : {}),
    ...(fn !== undefined ? { function: fn } : {}),
    ...(functionOffset !== undefined ? { functionOffset } : {}),
    ...(buildId !== undefined ? { buildId } : {}),
  };
}

function matchingOpenParen(text: string): number {
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && --depth === 0) return i;
  }
  return -1;
}

function parseMapLine(line: string): MemoryMapEntry | undefined {
  const match = MAP_LINE.exec(line);
  if (!match) return undefined;
  let rest = (match[5] ?? '').trim();
  let buildId: string | undefined;
  let loadBias: string | undefined;
  for (;;) {
    const bias = /\s*\(load (?:bias|base) (0x[0-9a-f]+)\)$/.exec(rest);
    const build = /\s*\(BuildId: ([0-9a-fA-F]+)\)$/.exec(rest);
    if (bias) { loadBias = normalizeHex(bias[1]!); rest = rest.slice(0, bias.index); continue; }
    if (build) { buildId = build[1]!.toLowerCase(); rest = rest.slice(0, build.index); continue; }
    break;
  }
  let offset: string | undefined;
  let size: string | undefined;
  const hexPair = /^([0-9a-f]+)\s+([0-9a-f]+)(?:\s+(.*))?$/.exec(rest);
  const decimalSize = /^(\d+)(?:\s+(.*))?$/.exec(rest);
  if (hexPair) {
    offset = normalizeHex(hexPair[1]!);
    size = normalizeHex(hexPair[2]!);
    rest = hexPair[3] ?? '';
  } else if (decimalSize) {
    size = `0x${Number(decimalSize[1]).toString(16)}`;
    rest = decimalSize[2] ?? '';
  }
  return {
    start: normalizeHex(match[2]!.replace(/'/g, '')), end: normalizeHex(match[3]!.replace(/'/g, '')), perms: match[4]!,
    ...(offset !== undefined ? { offset } : {}), ...(size !== undefined ? { size } : {}),
    ...(rest.trim() !== '' ? { name: rest.trim() } : {}),
    ...(buildId !== undefined ? { buildId } : {}), ...(loadBias !== undefined ? { loadBias } : {}),
    fault: match[1] === '--->',
  };
}

function normalizeHex(text: string): string {
  const digits = text.replace(/^0x/i, '').replace(/^0+(?=[0-9a-f])/i, '');
  return `0x${digits.toLowerCase()}`;
}

function finish(draft: Draft): Tombstone {
  const crashing = draft.threads[0];
  const h = draft.header;
  const dialect: TombstoneDialect = h['processUptimeSeconds'] !== undefined ? 'android-12+'
    : h['timestamp'] !== undefined ? 'android-10/11'
    : draft.newRegisters ? 'android-9'
    : draft.twoSpaceFrames ? 'android-4'
    : 'android-5..8';
  return {
    kind: 'tombstone-text',
    dialect,
    ...(h['buildFingerprint'] !== undefined ? { buildFingerprint: h['buildFingerprint'] } : {}),
    ...(h['revision'] !== undefined ? { revision: h['revision'] } : {}),
    ...(h['abi'] !== undefined ? { abi: h['abi'] } : {}),
    ...(h['timestamp'] !== undefined ? { timestamp: h['timestamp'] } : {}),
    ...(draft.logcatTime !== undefined ? { logcatTime: draft.logcatTime } : {}),
    ...(h['processUptimeSeconds'] !== undefined ? { processUptimeSeconds: Number(h['processUptimeSeconds']) } : {}),
    ...(h['cmdline'] !== undefined ? { cmdline: h['cmdline'] } : {}),
    ...(crashing ? { pid: crashing.pid, tid: crashing.tid } : {}),
    // Android 4.0 printed no thread names.
    ...(crashing !== undefined && crashing.name !== '' ? { threadName: crashing.name } : {}),
    ...(crashing?.processName !== undefined ? { processName: crashing.processName } : {}),
    ...(draft.uid !== undefined ? { uid: draft.uid } : {}),
    ...(draft.signal ? { signal: draft.signal } : {}),
    causes: draft.causes,
    ...(draft.abortMessage !== undefined ? { abortMessage: draft.abortMessage } : {}),
    threads: draft.threads,
    memoryMap: draft.memoryMap,
    openFiles: draft.openFiles,
  };
}

// ---------------------------------------------------------------------------------------------
// Fallback for crash text that is not debuggerd's (spec §2.8)

const BACKTRACE_SYMBOLS = /^\s*(\S+?)\((\S*?)\+(0x[0-9a-f]+)\)\s*\[(0x[0-9a-f]+)\]$/i;
const BARE_BACKTRACE = /^\s*(\S+)\[(0x[0-9a-f]+)\]$/i;
const PROC_MAPS = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) \S+ \d+\s*(.*)$/;
const KERNEL_REGISTER = /\b(pc|lr|sp|ip|fp|r\d{1,2}|epc|ra)\s*:\s*\[?<?([0-9a-f]{8,16})>?\]?/g;
const FATAL_SIGNAL = /Fatal signal (\d+) \((SIG\w+)\).*?pid (\d+) \(([^)]*)\)/;

function extractFallback(lines: readonly Line[]): FallbackCrashText {
  const text = lines.map((line) => line.text).join('\n');
  const fatal = FATAL_SIGNAL.exec(text);
  const signalName = fatal?.[2] ?? /\b(SIG[A-Z]{3,6})\b/.exec(text)?.[1] ?? wordingSignal(text);
  const signalNumber = fatal?.[1] ?? /\bsignal (\d+)/i.exec(text)?.[1];
  const number = signalNumber !== undefined ? Number(signalNumber) : signalName !== undefined ? genericSignalNumber(signalName) : undefined;
  const pid = fatal?.[3] ?? /\bpid[:= ]\s*(\d+)/i.exec(text)?.[1];
  const processName = fatal?.[4] ?? /\b(?:process|task|prog(?:ram)?)[:= ]\s*(\S+)/i.exec(text)?.[1];

  const registers: Record<string, string> = {};
  const maps: MemoryMapEntry[] = [];
  const rawFrames: Array<{ module: string; function?: string; functionOffset?: number; pc: bigint }> = [];
  for (const { text: line } of lines) {
    const symbols = BACKTRACE_SYMBOLS.exec(line);
    const bare = symbols ? null : BARE_BACKTRACE.exec(line);
    const mapLine = PROC_MAPS.exec(line);
    if (symbols) {
      rawFrames.push({ module: symbols[1]!, ...(symbols[2] ? { function: symbols[2] } : {}), functionOffset: Number.parseInt(symbols[3]!, 16), pc: BigInt(symbols[4]!) });
    } else if (bare) {
      rawFrames.push({ module: bare[1]!, pc: BigInt(bare[2]!) });
    } else if (mapLine) {
      maps.push({
        start: normalizeHex(mapLine[1]!), end: normalizeHex((BigInt(`0x${mapLine[2]}`) - 1n).toString(16)), perms: mapLine[3]!.slice(0, 3),
        offset: normalizeHex(mapLine[4]!), ...(mapLine[5] ? { name: mapLine[5] } : {}), fault: false,
      });
    } else {
      for (const reg of line.matchAll(KERNEL_REGISTER)) registers[reg[1]!] = normalizeHex(reg[2]!);
    }
  }
  const frames = rawFrames.map((raw, index) => {
    const placed = placeInMaps(maps, raw.pc);
    return {
      index, relPc: hex(raw.pc), pc: hex(raw.pc), module: placed?.module ?? raw.module,
      ...(placed ? { offset: hex(placed.offset) } : {}),
      ...(raw.function !== undefined ? { function: raw.function } : {}),
      ...(raw.functionOffset !== undefined ? { functionOffset: raw.functionOffset } : {}),
    };
  });
  return {
    kind: 'unknown-text', fallback: true,
    ...(signalName !== undefined || number !== undefined ? { signal: { ...(number !== undefined ? { number } : {}), ...(signalName !== undefined ? { name: signalName } : {}) } } : {}),
    ...(pid !== undefined ? { pid: Number(pid) } : {}),
    ...(processName !== undefined ? { processName } : {}),
    registers, frames, memoryMap: maps,
  };
}

function wordingSignal(text: string): string | undefined {
  if (/Segmentation fault/.test(text)) return 'SIGSEGV';
  if (/Bus error/.test(text)) return 'SIGBUS';
  if (/\bAborted\b/.test(text)) return 'SIGABRT';
  return undefined;
}

/** Like NT_FILE: image base = start of the file's mapping at file offset 0. */
function placeInMaps(maps: readonly MemoryMapEntry[], pc: bigint): { module: string; offset: bigint } | undefined {
  const hit = maps.find((m) => m.name !== undefined && BigInt(m.start) <= pc && pc <= BigInt(m.end));
  if (hit?.name === undefined) return undefined;
  const base = maps.filter((m) => m.name === hit.name && m.offset === '0x0').map((m) => BigInt(m.start)).sort((a, b) => (a < b ? -1 : 1))[0];
  return base === undefined ? undefined : { module: hit.name, offset: pc - base };
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
