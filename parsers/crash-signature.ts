/**
 * Crash grouping signature v1 (crash-dumps spec §4.8): signal class + process + up to three
 * "relevant" frames of the crashing thread, never an absolute address, pid, tid, time or device.
 * Pure: the same crash from fifty phones yields one text and one hash.
 */
import { createHash } from 'node:crypto';
import type { ElfCore } from './elf-core.js';
import { itaniumFunctionName } from './itanium-name.js';
import type { FallbackCrashText, Tombstone } from './tombstone.js';

export const SIGNATURE_VERSION = 1;

export interface SignatureFrame {
  readonly module?: string;
  readonly function?: string;
  /** Module-relative pc (tombstone rel pc, core `offset`), hex. */
  readonly relPc?: string;
  readonly buildId?: string;
  readonly trust?: 'context' | 'cfi' | 'fp' | 'scan' | 'reported';
}

export interface SignatureInput {
  readonly signal?: { readonly name: string; readonly code?: number; readonly codeName?: string; readonly faultAddr?: string };
  readonly abortMessage?: string;
  readonly processName?: string;
  /** Crashing thread, innermost first. */
  readonly frames: readonly SignatureFrame[];
  /** Firmware version from the upload context: scopes address-only frames when no build-id is known. */
  readonly firmware?: string;
}

export interface SignatureRules {
  readonly frameCount: number;
  readonly irrelevantFunctions: readonly RegExp[];
  readonly prefixFunctions: readonly RegExp[];
  /** Module path globs of "our" code; empty = no in-app preference (see the note at DEFAULT_RULES). */
  readonly inAppGlobs: readonly string[];
}

export interface CrashSignature {
  readonly version: 1;
  readonly text: string;
  /** First 16 hex digits of SHA-256 of `text`: the group id. */
  readonly hash: string;
  readonly confidence: 'high' | 'medium' | 'low';
}

/** The phones' own code, for callers that want the in-app preference of spec §4.8 step 5. */
export const PHONE_IN_APP_GLOBS: readonly string[] = ['/home/ipphone/**', '/lib/libac_*', '/lib/libaq*', '/system/bin/*', '/vendor/**'];

/**
 * In-app preference is off by default: with the spec's default globs its own worked examples
 * (Android 8 → three libsipua.so frames although /system/bin/voip_task is "in-app") would not
 * hold, and those examples are the test vectors we keep.
 */
export const DEFAULT_RULES: SignatureRules = {
  frameCount: 3,
  irrelevantFunctions: [
    /^(?:abort|raise|gsignal|tgkill|pthread_kill|__pthread_kill_implementation|__pthread_kill_internal|__libc_android_abort|__fortify_fatal|__assert2?|__assert_fail\w*|__stack_chk_fail|__cxa_throw|std::terminate|__gnu_cxx::__verbose_\w+|abort_message|HandleUsingDestroyedMutex|debuggerd_signal_handler|__restore_rt|__kernel_rt_sigreturn|_sigtramp)$/,
    /^(?:__start_thread|__pthread_start|start_thread|clone3?|__libc_start_main|__libc_start_call_main|_start|__thread_entry)$/,
  ],
  prefixFunctions: [/^(?:mem\w*|str\w*|__memcpy_\w*|malloc|free|je_\w+|scudo::.*|pthread_mutex_lock)$/],
  inAppGlobs: [],
};

const MAX_ABORT_CHARS = 80;
const NULL_PAGE_BYTES = 0x1000n;

export function crashSignature(input: SignatureInput, rules: SignatureRules = DEFAULT_RULES): CrashSignature {
  const candidates = input.frames.map((frame) => normalizeFrame(frame, input.firmware));
  const contributing = collapseRecursion(candidates.filter((frame) => !isIrrelevant(frame, rules) && !isPrefix(frame, rules)));
  const inApp = rules.inAppGlobs.length === 0 ? [] : contributing.filter((frame) => frame.path !== undefined && rules.inAppGlobs.some((glob) => globMatch(glob, frame.path!)));
  let chosen = contributing.slice(0, rules.frameCount);
  if (inApp.length > 0) {
    const first = contributing[0]!;
    chosen = inApp.slice(0, rules.frameCount);
    if (!inApp.includes(first)) chosen = [first, ...chosen];
  }
  const usable = chosen.filter((frame) => frame.key !== '?');
  const parts = [`v${SIGNATURE_VERSION}`, crashClass(input, usable.length > 0), processBasename(input.processName), ...chosen.map((frame) => frame.key)];
  const text = parts.join(' | ');
  const named = usable.filter((frame) => frame.named && frame.trust !== 'scan').length;
  const scoped = usable.filter((frame) => !frame.named && frame.trust !== 'scan').length;
  return {
    version: SIGNATURE_VERSION,
    text,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    confidence: named >= 2 ? 'high' : named + scoped > 0 ? 'medium' : 'low',
  };
}

interface NormalizedFrame {
  readonly key: string;
  readonly path?: string;
  readonly module?: string;
  readonly function?: string;
  readonly named: boolean;
  readonly trust?: SignatureFrame['trust'];
}

function normalizeFrame(frame: SignatureFrame, firmware: string | undefined): NormalizedFrame {
  const module = frame.module === undefined ? undefined : moduleBasename(frame.module);
  const fn = frame.function === undefined || frame.function === '' ? undefined : functionName(frame.function);
  const base = { ...(frame.module !== undefined ? { path: frame.module } : {}), ...(module !== undefined ? { module } : {}), ...(fn !== undefined ? { function: fn } : {}), ...(frame.trust ? { trust: frame.trust } : {}) };
  if (fn !== undefined) return { ...base, key: `${module ?? '?'}!${fn}`, named: true };
  const scope = frame.buildId ? frame.buildId.slice(0, 8) : firmware ? `fw:${firmware}` : undefined;
  if (module !== undefined && frame.relPc !== undefined && scope !== undefined) {
    return { ...base, key: `${module}+0x${BigInt(frame.relPc).toString(16)}@${scope}`, named: false };
  }
  return { ...base, key: '?', named: false };
}

/** `/apex/…/bionic/libc.so` → `libc.so`; `/data/app/<random>/…/libx.so` → `libx.so`; drops ` (deleted)`. */
export function moduleBasename(path: string): string {
  const clean = path.replace(/ \(deleted\)$/, '');
  return clean.slice(clean.lastIndexOf('/') + 1);
}

/**
 * Demangled name without parameters, template arguments or return type (`a::B<x>::f(int) const` → `a::B::f`);
 * a mangled `_Z…` name (protobuf tombstones of Android 12–13) gives the same.
 */
export function functionName(demangled: string): string {
  const fromMangled = itaniumFunctionName(demangled.trim());
  if (fromMangled !== undefined) return fromMangled;
  let name = demangled.trim().replace(/\s+const$/, '');
  if (name.endsWith(')')) {
    let depth = 0;
    for (let i = name.length - 1; i >= 0; i--) {
      if (name[i] === ')') depth++;
      else if (name[i] === '(' && --depth === 0) {
        if (i > 0) name = name.slice(0, i);
        break;
      }
    }
  }
  let withoutTemplates = '';
  let depth = 0;
  for (const char of name) {
    if (char === '<') depth++;
    else if (char === '>' && depth > 0) depth--;
    else if (depth === 0) withoutTemplates += char;
  }
  // The return type ends at the last space outside parentheses: "(anonymous namespace)::f" keeps its own.
  let lastSpace = -1;
  depth = 0;
  for (let i = 0; i < withoutTemplates.length; i++) {
    if (withoutTemplates[i] === '(') depth++;
    else if (withoutTemplates[i] === ')') depth--;
    else if (withoutTemplates[i] === ' ' && depth === 0) lastSpace = i;
  }
  return (lastSpace >= 0 ? withoutTemplates.slice(lastSpace + 1) : withoutTemplates).trim();
}

function isIrrelevant(frame: NormalizedFrame, rules: SignatureRules): boolean {
  if (frame.module === '[vdso]') return true;
  return frame.function !== undefined && rules.irrelevantFunctions.some((pattern) => pattern.test(frame.function!));
}

function isPrefix(frame: NormalizedFrame, rules: SignatureRules): boolean {
  return frame.function !== undefined && rules.prefixFunctions.some((pattern) => pattern.test(frame.function!));
}

function collapseRecursion(frames: readonly NormalizedFrame[]): NormalizedFrame[] {
  return frames.filter((frame, i) => i === 0 || frame.key === '?' || frame.key !== frames[i - 1]!.key);
}

function crashClass(input: SignatureInput, hasUsableFrame: boolean): string {
  const signal = input.signal;
  if (signal === undefined) return 'UNKNOWN';
  // Kernel-generated codes (> 0) say what went wrong; SI_* codes only say who sent it and vary by libc version.
  const head = signal.codeName && (signal.code ?? 0) > 0 ? `${signal.name}/${signal.codeName}` : signal.name;
  if (signal.name === 'SIGABRT' && input.abortMessage) return `${head} | ${normalizeAbortMessage(input.abortMessage)}`;
  if (signal.name === 'SIGSEGV' && !hasUsableFrame && signal.faultAddr !== undefined) return `${head} | ${faultClass(BigInt(signal.faultAddr))}`;
  return head;
}

export function normalizeAbortMessage(message: string): string {
  return message
    .replace(/'([^']*\/)([^'/]+)'|"([^"]*\/)([^"/]+)"/g, (_m, _d1, f1, _d2, f2) => `'${f1 ?? f2}'`)
    .replace(/0x[0-9a-fA-F]+/g, '<addr>')
    .replace(/\d{3,}/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_ABORT_CHARS);
}

function faultClass(address: bigint): string {
  if (address < NULL_PAGE_BYTES) return 'null';
  if (address >= 0xffff000000000000n || (address >= 0xc0000000n && address <= 0xffffffffn)) return 'kernel';
  return 'wild';
}

function processBasename(name: string | undefined): string {
  if (name === undefined || name === '') return '?';
  return moduleBasename(name.split(' ')[0]!);
}

function globMatch(glob: string, path: string): boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*');
  return new RegExp(`^${pattern}$`).test(path);
}

// Adapters from each decoder's output -------------------------------------------------------------

export function signatureInputFromTombstone(tombstone: Tombstone, firmware?: string): SignatureInput {
  return {
    ...(tombstone.signal ? { signal: tombstone.signal } : {}),
    ...(tombstone.abortMessage !== undefined ? { abortMessage: tombstone.abortMessage } : {}),
    ...(tombstone.processName !== undefined ? { processName: tombstone.processName } : {}),
    frames: (tombstone.threads[0]?.frames ?? []).map((frame) => ({
      module: frame.module, relPc: frame.relPc, trust: 'reported' as const,
      ...(frame.function !== undefined ? { function: frame.function } : {}),
      ...(frame.buildId !== undefined ? { buildId: frame.buildId } : {}),
    })),
    ...(firmware !== undefined ? { firmware } : {}),
  };
}

export function signatureInputFromCore(core: ElfCore, firmware?: string): SignatureInput {
  const processName = core.process.executable ?? core.process.name;
  return {
    ...(core.signal ? { signal: core.signal } : {}),
    ...(processName !== undefined ? { processName } : {}),
    frames: (core.crashingThread?.frames ?? []).map((frame) => ({
      trust: frame.trust,
      ...(frame.module !== undefined ? { module: frame.module } : {}),
      ...(frame.offset !== undefined ? { relPc: frame.offset } : {}),
      ...(frame.buildId !== undefined ? { buildId: frame.buildId } : {}),
    })),
    ...(firmware !== undefined ? { firmware } : {}),
  };
}

export function signatureInputFromFallback(text: FallbackCrashText, firmware?: string): SignatureInput {
  return {
    ...(text.signal?.name ? { signal: { name: text.signal.name } } : {}),
    ...(text.processName !== undefined ? { processName: text.processName } : {}),
    frames: text.frames.map((frame) => ({
      module: frame.module, trust: 'reported' as const,
      ...(frame.offset !== undefined ? { relPc: frame.offset } : {}),
      ...(frame.function !== undefined ? { function: frame.function } : {}),
    })),
    ...(firmware !== undefined ? { firmware } : {}),
  };
}
