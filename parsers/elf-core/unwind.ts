/**
 * Best-effort stack walk without the binaries (spec §3.9): the registers give frame 0 and the
 * link/return-address register (trust `context`), the frame-pointer chain gives callers where the
 * code kept frame pointers (trust `fp`), and when that yields nothing a stack scan lists words that
 * point into executable mappings (trust `scan`, noisy, like breakpad's "stack scanning").
 */
import type { ArchLayout } from './arch.js';
import type { CoreMemory } from './memory.js';

export type FrameTrust = 'context' | 'fp' | 'scan';

export interface RawFrame {
  readonly pc: bigint;
  readonly trust: FrameTrust;
}

const MAX_FP_FRAMES = 64;
const MAX_SCAN_FRAMES = 8;
const MAX_SCAN_WORDS = 2048;
/** Bit 0 of an ARM return address marks a Thumb caller; the instruction itself is at the even address. */
const THUMB_BIT = 1n;

export function walkStack(layout: ArchLayout, registers: ReadonlyMap<string, bigint>, memory: CoreMemory): RawFrame[] {
  const pc = registers.get(layout.pc);
  if (pc === undefined) return [];
  const frames: RawFrame[] = [{ pc, trust: 'context' }];
  const returnRegister = layout.returnAddress === undefined ? undefined : registers.get(layout.returnAddress);
  const linkAddress = returnRegister === undefined ? undefined : stripThumb(layout, returnRegister);
  if (linkAddress !== undefined && memory.isCode(linkAddress)) frames.push({ pc: linkAddress, trust: 'context' });

  const fpFrames = layout.arch === 'mips' ? [] : framePointerChain(layout, registers.get(layout.fp), memory);
  // A frame record saved by the crashing function repeats the link register we already listed.
  const firstFp = fpFrames[0];
  const callers = firstFp !== undefined && firstFp.pc === linkAddress ? fpFrames.slice(1) : fpFrames;
  frames.push(...callers);
  if (callers.length > 0) return frames;

  const sp = registers.get(layout.sp);
  return sp === undefined ? frames : [...frames, ...scanStack(sp, memory, new Set(frames.map((f) => f.pc)))];
}

function stripThumb(layout: ArchLayout, address: bigint): bigint {
  return layout.arch === 'arm' ? address & ~THUMB_BIT : address;
}

/**
 * x86/x86-64 and AArch64: `[fp]` = caller's fp, `[fp + word]` = return address. ARM32 (gcc, ARM
 * state): a non-leaf frame holds `[fp]` = lr and `[fp - 4]` = caller's fp; a gcc leaf holds only
 * the caller's fp at `[fp]`; clang's layout is the x86 one. We pick per frame by which slot holds
 * code, and stop at the first non-increasing fp or non-code return address.
 */
function framePointerChain(layout: ArchLayout, startFp: bigint | undefined, memory: CoreMemory): RawFrame[] {
  const frames: RawFrame[] = [];
  const word = BigInt(layout.wordSize);
  let fp = startFp;
  while (fp !== undefined && fp !== 0n && frames.length < MAX_FP_FRAMES) {
    let returnAddress: bigint | undefined;
    let callerFp: bigint | undefined;
    if (layout.arch === 'arm') {
      const atFp = memory.word(fp);
      if (atFp !== undefined && memory.isCode(stripThumb(layout, atFp))) {
        returnAddress = atFp;
        callerFp = memory.word(fp - word);
      } else if (atFp !== undefined && atFp > fp) {
        const above = memory.word(fp + word);
        if (above !== undefined && memory.isCode(stripThumb(layout, above))) returnAddress = above;
        callerFp = atFp;
      }
    } else {
      callerFp = memory.word(fp);
      returnAddress = memory.word(fp + word);
    }
    if (returnAddress !== undefined) {
      const address = stripThumb(layout, returnAddress);
      if (!memory.isCode(address)) break;
      frames.push({ pc: address, trust: 'fp' });
    }
    if (callerFp === undefined || callerFp <= fp) break;
    fp = callerFp;
  }
  return frames;
}

function scanStack(sp: bigint, memory: CoreMemory, known: ReadonlySet<bigint>): RawFrame[] {
  const frames: RawFrame[] = [];
  const word = BigInt(memory.wordSize);
  for (let i = 0; i < MAX_SCAN_WORDS && frames.length < MAX_SCAN_FRAMES; i++) {
    const value = memory.word(sp + BigInt(i) * word);
    if (value === undefined) break;
    if (!known.has(value) && memory.isCode(value)) frames.push({ pc: value, trust: 'scan' });
  }
  return frames;
}
