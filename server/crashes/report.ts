/**
 * One crash report shape for tombstones, ELF cores and fallback crash text, so grouping, the API
 * and the dashboard handle every source the same way. The decoder's own output rides along in
 * `decoded`, and the signature is computed from it through crash-signature.ts's adapters, with
 * names from uploaded symbols laid over the frames.
 */
import {
  crashSignature, signatureInputFromCore, signatureInputFromFallback, signatureInputFromTombstone, type CrashSignature, type SignatureInput,
} from '../../parsers/crash-signature.js';
import type { ElfCore } from '../../parsers/elf-core.js';
import type { FallbackCrashText, Tombstone } from '../../parsers/tombstone.js';

export type CrashFrameTrust = 'context' | 'fp' | 'scan' | 'reported';

export interface CrashFrame {
  readonly index: number;
  readonly pc?: string;
  readonly module?: string;
  /** Module-relative offset (hex), as breakpad's `module + 0x…`. */
  readonly offset?: string;
  /** Address inside the ELF file (hex): what symbol tables and addr2line use. */
  readonly elfAddress?: string;
  readonly buildId?: string;
  readonly function?: string;
  readonly functionOffset?: number;
  /** `report`: the file named it; `symbols`: named from an uploaded binary. */
  readonly functionSource?: 'report' | 'symbols';
  readonly trust: CrashFrameTrust;
}

export interface CrashThread {
  readonly tid?: number;
  readonly name?: string;
  readonly crashing: boolean;
  readonly registers: Readonly<Record<string, string>>;
  readonly frames: readonly CrashFrame[];
}

export interface CrashModule {
  readonly path: string;
  readonly base?: string;
  readonly buildId?: string;
}

export type CrashSource = 'tombstone' | 'core' | 'crash-text' | 'tombstone-proto';

export interface CrashReport {
  readonly source: CrashSource;
  readonly dialect?: string;
  /** Where in the upload this crash was found (display only). */
  readonly member: string;
  readonly partial: boolean;
  readonly partialReasons: readonly string[];
  readonly warnings: readonly string[];
  readonly arch?: string;
  readonly process: { readonly name?: string; readonly pid?: number; readonly tid?: number; readonly threadName?: string; readonly args?: string; readonly executable?: string };
  readonly signal?: { readonly number?: number; readonly name: string; readonly code?: number; readonly codeName?: string; readonly faultAddr?: string };
  readonly abortMessage?: string;
  readonly causes: readonly string[];
  readonly buildFingerprint?: string;
  /** ISO time of the crash when the file or the archive entry says. */
  readonly crashedAt?: string;
  readonly crashedAtSource?: 'report' | 'archive';
  /** Crashing thread first. */
  readonly threads: readonly CrashThread[];
  readonly modules: readonly CrashModule[];
  readonly decoded: ElfCore | Tombstone | FallbackCrashText;
}

/** Text and protobuf tombstones alike; `problems` are the parts of a damaged .pb that were lost. */
export function reportFromTombstone(t: Tombstone, member: string, problems: readonly string[] = []): CrashReport {
  const crashedAt = tombstoneTime(t.timestamp);
  return {
    source: t.kind === 'tombstone-proto' ? 'tombstone-proto' : 'tombstone', dialect: t.dialect, member,
    partial: problems.length > 0, partialReasons: problems, warnings: [],
    ...(t.abi !== undefined ? { arch: t.abi } : {}),
    process: {
      ...(t.processName !== undefined ? { name: t.processName } : {}), ...(t.pid !== undefined ? { pid: t.pid } : {}),
      ...(t.tid !== undefined ? { tid: t.tid } : {}), ...(t.threadName !== undefined ? { threadName: t.threadName } : {}),
      ...(t.cmdline !== undefined ? { args: t.cmdline } : {}),
    },
    ...(t.signal ? { signal: t.signal } : {}),
    ...(t.abortMessage !== undefined ? { abortMessage: t.abortMessage } : {}),
    causes: t.causes,
    ...(t.buildFingerprint !== undefined ? { buildFingerprint: t.buildFingerprint } : {}),
    ...(crashedAt ? { crashedAt, crashedAtSource: 'report' as const } : {}),
    threads: t.threads.map((thread, i) => ({
      tid: thread.tid, name: thread.name, crashing: i === 0, registers: thread.registers,
      frames: thread.frames.map((f) => ({
        index: f.index, module: f.module, offset: f.relPc, elfAddress: f.relPc, trust: 'reported' as const,
        ...(f.pc !== undefined ? { pc: f.pc } : {}), ...(f.buildId !== undefined ? { buildId: f.buildId } : {}),
        ...(f.function !== undefined ? { function: f.function, functionSource: 'report' as const } : {}),
        ...(f.functionOffset !== undefined ? { functionOffset: f.functionOffset } : {}),
      })),
    })),
    modules: t.memoryMap.filter((m) => m.name?.startsWith('/') && m.perms.includes('x')).map((m) => ({
      path: m.name!, base: `0x${m.start.replace(/'/g, '')}`, ...(m.buildId !== undefined ? { buildId: m.buildId } : {}),
    })),
    decoded: t,
  };
}

export function reportFromCore(core: ElfCore, member: string): CrashReport {
  const name = core.process.executable ?? core.process.name;
  const crashingTid = core.crashingThread?.tid;
  const threads = [...core.threads].sort((a, b) => Number(b.tid === crashingTid) - Number(a.tid === crashingTid));
  return {
    source: 'core', dialect: core.dialect, member, partial: core.partial, partialReasons: core.partialReasons, warnings: core.warnings,
    arch: core.arch,
    process: {
      ...(name !== undefined ? { name } : {}), ...(core.process.pid !== undefined ? { pid: core.process.pid } : {}),
      ...(crashingTid !== undefined ? { tid: crashingTid } : {}), ...(core.process.args !== undefined ? { args: core.process.args } : {}),
      ...(core.process.executable !== undefined ? { executable: core.process.executable } : {}),
    },
    ...(core.signal ? { signal: core.signal } : {}),
    causes: [],
    threads: threads.map((t) => ({
      tid: t.tid, crashing: t.tid === crashingTid, registers: t.registers,
      frames: t.frames.map((f) => ({
        index: f.index, pc: f.pc, trust: f.trust,
        ...(f.module !== undefined ? { module: f.module } : {}), ...(f.offset !== undefined ? { offset: f.offset } : {}),
        ...(f.elfAddress !== undefined ? { elfAddress: f.elfAddress } : {}), ...(f.buildId !== undefined ? { buildId: f.buildId } : {}),
      })),
    })),
    modules: core.modules.map((m) => ({ path: m.path, base: m.base, ...(m.buildId !== undefined ? { buildId: m.buildId } : {}) })),
    decoded: core,
  };
}

export function reportFromFallback(text: FallbackCrashText, member: string): CrashReport {
  return {
    source: 'crash-text', member, partial: true,
    partialReasons: ['not debuggerd text: extracted best-effort from a generic crash log'], warnings: [],
    process: { ...(text.processName !== undefined ? { name: text.processName } : {}), ...(text.pid !== undefined ? { pid: text.pid } : {}) },
    ...(text.signal?.name ? { signal: { name: text.signal.name, ...(text.signal.number !== undefined ? { number: text.signal.number } : {}) } } : {}),
    causes: [],
    threads: [{
      crashing: true, registers: text.registers,
      frames: text.frames.map((f) => ({
        index: f.index, module: f.module, trust: 'reported' as const, ...(f.pc !== undefined ? { pc: f.pc } : {}),
        ...(f.offset !== undefined ? { offset: f.offset } : {}),
        ...(f.function !== undefined ? { function: f.function, functionSource: 'report' as const } : {}),
      })),
    }],
    modules: text.memoryMap.filter((m) => m.name?.startsWith('/')).map((m) => ({ path: m.name!, base: `0x${m.start}` })),
    decoded: text,
  };
}

/** The v1 signature of a report: the decoder adapter's input, with uploaded-symbol names laid over. */
export function reportSignature(report: CrashReport, firmware: string | undefined): CrashSignature {
  return crashSignature(signatureInput(report, firmware));
}

function signatureInput(report: CrashReport, firmware: string | undefined): SignatureInput {
  const fw = firmware || undefined;
  let base: SignatureInput;
  switch (report.source) {
    case 'core': base = signatureInputFromCore(report.decoded as ElfCore, fw); break;
    case 'tombstone':
    case 'tombstone-proto': base = signatureInputFromTombstone(report.decoded as Tombstone, fw); break;
    case 'crash-text': base = signatureInputFromFallback(report.decoded as FallbackCrashText, fw); break;
  }
  // The adapters map the crashing thread's frames one to one, in order.
  const crashing = report.threads.find((t) => t.crashing)?.frames ?? [];
  return {
    ...base,
    frames: base.frames.map((frame, i) => {
      const named = crashing[i];
      return named?.functionSource === 'symbols' && named.function !== undefined ? { ...frame, function: named.function } : frame;
    }),
  };
}

/** Title of a group: crash class and the first named (or placed) frame, as the spec's UI section asks. */
export function groupTitle(signature: string): string {
  const parts = signature.split(' | ').slice(1);
  const frameAt = parts.findIndex((p, i) => i >= 2 && (p.includes('!') || p.includes('+0x')));
  const head = parts[0] ?? '?';
  return frameAt >= 0 ? `${head} in ${parts[frameAt]!.replace(/@.*$/, '')}` : `${head} in ${parts[1] ?? '?'}`;
}

/** debuggerd's `2019-03-14 09:41:27.512+0100` as ISO 8601, or undefined. */
function tombstoneTime(text: string | undefined): string | undefined {
  const m = text === undefined ? null : /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d{1,3})?)\d*([+-]\d\d)(\d\d)$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
