/**
 * Android 12+ protobuf tombstones (tombstone_NN.pb, crash-dumps spec §2.6), decoded whole with the
 * AOSP wire schema (tombstone-proto/tombstone.proto, loaded from its generated descriptor) through
 * protobufjs, into the same `Tombstone` record the text decoder yields, so the crash signature and
 * the report treat a .pb and its text twin alike.
 *
 * A damaged file is read field by field at the top level: a truncated tail or an unreadable field
 * is dropped and named in `problems`, the rest is kept; nothing readable at all is a DecodeError.
 */
import protobuf from 'protobufjs/light.js';
import { decodeError, type DecodeError } from './decode-error.js';
import type { MemoryMapEntry, Tombstone, TombstoneFrame, TombstoneLogBuffer, TombstoneOpenFile, TombstoneThread } from './tombstone.js';
import { TOMBSTONE_DESCRIPTOR } from './tombstone-proto/descriptor.js';

const FORMAT = 'tombstone';
const FIELD_BUILD_FINGERPRINT = 2;
/** debuggerd writes arch (absent when ARM32) then the fingerprint first; a few fields of slack for OEM builds. */
const SNIFF_FIELDS = 8;
const FINGERPRINT = /^[\x20-\x7e]+\/[\x20-\x7e]+:[\x20-\x7e]+$/;
const ABI: Readonly<Record<string, string>> = { ARM32: 'arm', ARM64: 'arm64', X86: 'x86', X86_64: 'x86_64', RISCV64: 'riscv64' };
/** liblog's priority letters, as the text tombstone's log section prints them. */
const PRIORITY_LETTERS = '!.VDIWEFS';
const TOP_LEVEL_FIELDS: Readonly<Record<number, string>> = {
  1: 'arch', 2: 'build fingerprint', 3: 'revision', 4: 'timestamp', 5: 'pid', 6: 'tid', 7: 'uid', 8: 'selinux label',
  9: 'command line', 10: 'signal', 14: 'abort message', 15: 'cause', 16: 'thread', 17: 'memory mapping', 18: 'log buffer',
  19: 'open fd', 20: 'process uptime', 21: 'crash detail', 25: 'guest thread',
};

const TombstoneMessage = protobuf.Root.fromJSON(TOMBSTONE_DESCRIPTOR as protobuf.INamespace).lookupType('Tombstone');

export interface ProtoTombstoneResult {
  readonly tombstone: Tombstone;
  /** Parts of the file that could not be read; empty for a whole file. */
  readonly problems: readonly string[];
}

/** No magic number: a .pb is recognised by a printable build fingerprint in its first fields. */
export function looksLikeProtoTombstone(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x08 && bytes[0] !== 0x12) return false;
  const reader = protobuf.Reader.create(bytes);
  try {
    for (let i = 0; i < SNIFF_FIELDS && reader.pos < reader.len; i++) {
      const tag = reader.uint32();
      if (tag >>> 3 === FIELD_BUILD_FINGERPRINT && (tag & 7) === 2) return FINGERPRINT.test(reader.string());
      if (tag >>> 3 === 0) return false;
      reader.skipType(tag & 7);
    }
  } catch {
    return false;
  }
  return false;
}

export function decodeProtoTombstone(bytes: Uint8Array): ProtoTombstoneResult | DecodeError {
  const { spans, problems } = topLevelSpans(bytes);
  if (spans.length === 0) return decodeError(FORMAT, `protobuf tombstone: no readable field (${problems.join('; ')})`, 0);
  const kept: Uint8Array[] = [];
  for (const span of spans) {
    const field = bytes.subarray(span.start, span.end);
    try {
      TombstoneMessage.decode(field);
      kept.push(field);
    } catch (error) {
      problems.push(`${TOP_LEVEL_FIELDS[span.field] ?? `field ${span.field}`} at byte ${span.start} unreadable: ${message(error)}`);
    }
  }
  if (kept.length === 0) return decodeError(FORMAT, `protobuf tombstone: no readable field (${problems.join('; ')})`, 0);
  // Concatenated fields decode as the merged message, which is what the whole file would give.
  const whole = problems.length === 0 ? bytes : concat(kept);
  const object = TombstoneMessage.toObject(TombstoneMessage.decode(whole), { longs: String, enums: String, bytes: Array, arrays: true, objects: true });
  return { tombstone: toTombstone(object as ProtoObject, problems), problems };
}

interface Span { readonly field: number; readonly start: number; readonly end: number }

function topLevelSpans(bytes: Uint8Array): { spans: Span[]; problems: string[] } {
  const reader = protobuf.Reader.create(bytes);
  const spans: Span[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    try {
      const tag = reader.uint32();
      if (tag >>> 3 === 0) throw new Error('field number 0');
      reader.skipType(tag & 7);
      spans.push({ field: tag >>> 3, start, end: reader.pos });
    } catch (error) {
      const what = error instanceof RangeError ? 'truncated' : `unreadable (${message(error)})`;
      return { spans, problems: [`${what} at byte ${start} of ${bytes.length}: the rest of the file is lost`] };
    }
  }
  return { spans, problems: [] };
}

// ---------------------------------------------------------------------------------------------
// protobufjs toObject output (longs as decimal strings, enums as names) → the text record

type Long = string | number;
interface ProtoFrame { rel_pc?: Long; pc?: Long; function_name?: string; function_offset?: Long; file_name?: string; file_map_offset?: Long; build_id?: string }
interface ProtoThread { id?: number; name?: string; registers: Array<{ name?: string; u64?: Long }>; current_backtrace: ProtoFrame[]; backtrace_note: string[] }
interface ProtoObject {
  arch?: string; build_fingerprint?: string; revision?: string; timestamp?: string; pid?: number; tid?: number; uid?: number;
  selinux_label?: string; command_line: string[]; process_uptime?: number; abort_message?: string;
  signal_info?: { number?: number; name?: string; code?: number; code_name?: string; has_sender?: boolean; sender_uid?: number; sender_pid?: number; has_fault_address?: boolean; fault_address?: Long };
  causes: Array<{ human_readable?: string }>;
  threads: Record<string, ProtoThread>;
  memory_mappings: Array<{ begin_address?: Long; end_address?: Long; offset?: Long; read?: boolean; write?: boolean; execute?: boolean; mapping_name?: string; build_id?: string; load_bias?: Long }>;
  log_buffers: Array<{ name?: string; logs: Array<{ timestamp?: string; pid?: number; tid?: number; priority?: number; tag?: string; message?: string }> }>;
  open_fds: Array<{ fd?: number; path?: string; owner?: string; tag?: Long }>;
}

function toTombstone(p: ProtoObject, problems: string[]): Tombstone {
  const processName = p.command_line[0];
  const signal = p.signal_info;
  const faultAddr = signal?.has_fault_address ? big(signal.fault_address) : undefined;
  const threads = orderedThreads(p, problems).map((thread) => toThread(p, thread, processName));
  const crashing = p.tid !== undefined ? p.threads[String(p.tid)] : undefined;
  return {
    kind: 'tombstone-proto',
    dialect: 'android-12+',
    ...optional('buildFingerprint', p.build_fingerprint), ...optional('revision', p.revision),
    ...optional('abi', p.arch === undefined ? 'arm' : ABI[p.arch] ?? p.arch.toLowerCase()),
    ...optional('timestamp', p.timestamp), ...optional('processUptimeSeconds', p.process_uptime),
    ...(p.command_line.length > 0 ? { cmdline: p.command_line.join(' '), commandLine: p.command_line } : {}),
    ...optional('pid', p.pid), ...optional('tid', p.tid), ...optional('threadName', crashing ? crashing.name ?? '' : undefined),
    ...optional('processName', processName), ...optional('uid', p.uid), ...optional('selinuxLabel', p.selinux_label),
    ...(signal ? {
      signal: {
        number: signal.number ?? 0, name: signal.name ?? '', code: signal.code ?? 0, codeName: signal.code_name ?? '',
        ...(signal.has_sender ? { senderPid: signal.sender_pid ?? 0, senderUid: signal.sender_uid ?? 0 } : {}),
        ...(faultAddr !== undefined ? { faultAddr: hex(faultAddr) } : {}),
      },
    } : {}),
    causes: p.causes.map((cause) => cause.human_readable ?? ''),
    ...optional('abortMessage', p.abort_message),
    threads,
    memoryMap: p.memory_mappings.map((m): MemoryMapEntry => {
      const begin = big(m.begin_address);
      const end = big(m.end_address);
      const loadBias = big(m.load_bias);
      return {
        start: hex(begin), end: hex(end > begin ? end - 1n : begin), perms: `${m.read ? 'r' : '-'}${m.write ? 'w' : '-'}${m.execute ? 'x' : '-'}`,
        offset: hex(big(m.offset)), size: hex(end > begin ? end - begin : 0n),
        ...(m.mapping_name ? { name: m.mapping_name } : {}), ...(m.build_id ? { buildId: m.build_id.toLowerCase() } : {}),
        ...(loadBias !== 0n ? { loadBias: hex(loadBias) } : {}),
        fault: faultAddr !== undefined && begin <= faultAddr && faultAddr < end,
      };
    }),
    openFiles: p.open_fds.map((fd): TombstoneOpenFile => ({
      fd: fd.fd ?? 0, path: fd.path ?? '', ...(fd.owner ? { owner: fd.owner, tag: hex(big(fd.tag)) } : {}),
    })),
    logBuffers: p.log_buffers.map((buffer): TombstoneLogBuffer => ({
      name: buffer.name ?? '',
      messages: buffer.logs.map((log) => ({
        timestamp: log.timestamp ?? '', pid: log.pid ?? 0, tid: log.tid ?? 0,
        priority: PRIORITY_LETTERS[log.priority ?? 0] ?? '?', tag: log.tag ?? '', message: log.message ?? '',
      })),
    })),
  };
}

/** Crashing thread first, the others by tid, as debuggerd prints them. */
function orderedThreads(p: ProtoObject, problems: string[]): ProtoThread[] {
  const byId = Object.entries(p.threads).map(([key, thread]) => ({ key: Number(key), thread })).sort((a, b) => a.key - b.key);
  const crashing = byId.findIndex((entry) => entry.key === p.tid);
  if (byId.length === 0) problems.push('no thread in the file');
  if (crashing < 0) {
    if (byId.length > 0) problems.push(`no thread entry for the crashing tid ${p.tid ?? '(unset)'}: threads are listed by tid`);
    return byId.map((entry) => ({ ...entry.thread, id: entry.thread.id ?? entry.key }));
  }
  const [first] = byId.splice(crashing, 1);
  return [first!, ...byId].map((entry) => ({ ...entry.thread, id: entry.thread.id ?? entry.key }));
}

function toThread(p: ProtoObject, thread: ProtoThread, processName: string | undefined): TombstoneThread {
  const registers: Record<string, string> = {};
  for (const register of thread.registers) if (register.name) registers[register.name] = hex(big(register.u64));
  return {
    pid: p.pid ?? 0, tid: thread.id ?? 0, name: thread.name ?? '', ...optional('processName', processName),
    registers, fpRegisters: {},
    frames: thread.current_backtrace.map((frame, index): TombstoneFrame => {
      const mapOffset = big(frame.file_map_offset);
      return {
        index, relPc: hex(big(frame.rel_pc)), pc: hex(big(frame.pc)), module: frame.file_name ?? '',
        ...(mapOffset !== 0n ? { mapOffset: hex(mapOffset) } : {}),
        ...(frame.function_name ? { function: frame.function_name, functionOffset: Number(big(frame.function_offset)) } : {}),
        ...(frame.build_id ? { buildId: frame.build_id.toLowerCase() } : {}),
      };
    }),
    ...(thread.backtrace_note.length > 0 ? { notes: thread.backtrace_note } : {}),
  };
}

function big(value: Long | undefined): bigint {
  if (value === undefined) return 0n;
  try {
    return BigInt.asUintN(64, BigInt(value));
  } catch {
    return 0n;
  }
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

function optional<K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
