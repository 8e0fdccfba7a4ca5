/**
 * Per-architecture layouts of the core notes (crash-dumps spec §3.3–§3.5): where `pr_reg` sits
 * in NT_PRSTATUS and which register each word is, the NT_PRPSINFO offsets, the siginfo field
 * order, and the signal numbering. Register names follow gdb's, so the oracle compares by name.
 */
export type CoreArch = 'arm' | 'arm64' | 'x86' | 'x86_64' | 'mips';

export interface ArchLayout {
  readonly arch: CoreArch;
  readonly machine: number;
  readonly wordSize: 4 | 8;
  /** Exact NT_PRSTATUS descsz: the only way to tell the layout is the one we expect. */
  readonly prstatusSize: number;
  readonly prstatusRegOffset: number;
  readonly prstatusPidOffset: number;
  /** Name per `pr_reg` word; `''` for padding words that are not registers. */
  readonly registerNames: readonly string[];
  readonly pc: string;
  readonly sp: string;
  readonly fp: string;
  /** The link register (ARM/AArch64) or return-address register (MIPS); none on x86. */
  readonly returnAddress?: string;
  readonly prpsinfo: { readonly size: number; readonly pid: number; readonly uid: number; readonly uidSize: 2 | 4; readonly fname: number; readonly psargs: number };
  /** MIPS swaps si_code and si_errno in siginfo_t. */
  readonly siginfoCodeOffset: number;
  readonly siginfoAddrOffset: number;
  readonly signalNames: ReadonlyMap<number, string>;
}

export const EM_386 = 3;
export const EM_MIPS = 8;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

const GENERIC_SIGNALS = new Map<number, string>([
  [1, 'SIGHUP'], [2, 'SIGINT'], [3, 'SIGQUIT'], [4, 'SIGILL'], [5, 'SIGTRAP'], [6, 'SIGABRT'], [7, 'SIGBUS'],
  [8, 'SIGFPE'], [9, 'SIGKILL'], [10, 'SIGUSR1'], [11, 'SIGSEGV'], [12, 'SIGUSR2'], [13, 'SIGPIPE'], [14, 'SIGALRM'],
  [15, 'SIGTERM'], [16, 'SIGSTKFLT'], [17, 'SIGCHLD'], [18, 'SIGCONT'], [19, 'SIGSTOP'], [20, 'SIGTSTP'],
  [21, 'SIGTTIN'], [22, 'SIGTTOU'], [23, 'SIGURG'], [24, 'SIGXCPU'], [25, 'SIGXFSZ'], [26, 'SIGVTALRM'],
  [27, 'SIGPROF'], [28, 'SIGWINCH'], [29, 'SIGIO'], [30, 'SIGPWR'], [31, 'SIGSYS'],
]);

const MIPS_SIGNALS = new Map<number, string>([
  [1, 'SIGHUP'], [2, 'SIGINT'], [3, 'SIGQUIT'], [4, 'SIGILL'], [5, 'SIGTRAP'], [6, 'SIGABRT'], [7, 'SIGEMT'],
  [8, 'SIGFPE'], [9, 'SIGKILL'], [10, 'SIGBUS'], [11, 'SIGSEGV'], [12, 'SIGSYS'], [13, 'SIGPIPE'], [14, 'SIGALRM'],
  [15, 'SIGTERM'], [16, 'SIGUSR1'], [17, 'SIGUSR2'], [18, 'SIGCHLD'], [19, 'SIGPWR'], [20, 'SIGWINCH'],
  [21, 'SIGURG'], [22, 'SIGIO'], [23, 'SIGSTOP'], [24, 'SIGTSTP'], [25, 'SIGCONT'], [26, 'SIGTTIN'],
  [27, 'SIGTTOU'], [28, 'SIGVTALRM'], [29, 'SIGPROF'], [30, 'SIGXCPU'], [31, 'SIGXFSZ'],
]);

const range = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

const MIPS_GPR_NAMES = [
  'zero', 'at', 'v0', 'v1', 'a0', 'a1', 'a2', 'a3', 't0', 't1', 't2', 't3', 't4', 't5', 't6', 't7',
  's0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 't8', 't9', 'k0', 'k1', 'gp', 'sp', 's8', 'ra',
];

const LAYOUTS: readonly ArchLayout[] = [
  {
    arch: 'arm', machine: EM_ARM, wordSize: 4, prstatusSize: 148, prstatusRegOffset: 72, prstatusPidOffset: 24,
    registerNames: [...range('r', 0, 12), 'sp', 'lr', 'pc', 'cpsr', 'orig_r0'],
    pc: 'pc', sp: 'sp', fp: 'r11', returnAddress: 'lr',
    prpsinfo: { size: 124, pid: 12, uid: 8, uidSize: 2, fname: 28, psargs: 44 },
    siginfoCodeOffset: 8, siginfoAddrOffset: 12, signalNames: GENERIC_SIGNALS,
  },
  {
    arch: 'arm64', machine: EM_AARCH64, wordSize: 8, prstatusSize: 392, prstatusRegOffset: 112, prstatusPidOffset: 32,
    registerNames: [...range('x', 0, 30), 'sp', 'pc', 'cpsr'],
    pc: 'pc', sp: 'sp', fp: 'x29', returnAddress: 'x30',
    prpsinfo: { size: 136, pid: 24, uid: 16, uidSize: 4, fname: 40, psargs: 56 },
    siginfoCodeOffset: 8, siginfoAddrOffset: 16, signalNames: GENERIC_SIGNALS,
  },
  {
    arch: 'x86_64', machine: EM_X86_64, wordSize: 8, prstatusSize: 336, prstatusRegOffset: 112, prstatusPidOffset: 32,
    registerNames: ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
      'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'],
    pc: 'rip', sp: 'rsp', fp: 'rbp',
    prpsinfo: { size: 136, pid: 24, uid: 16, uidSize: 4, fname: 40, psargs: 56 },
    siginfoCodeOffset: 8, siginfoAddrOffset: 16, signalNames: GENERIC_SIGNALS,
  },
  {
    arch: 'x86', machine: EM_386, wordSize: 4, prstatusSize: 144, prstatusRegOffset: 72, prstatusPidOffset: 24,
    registerNames: ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax', 'ds', 'es', 'fs', 'gs', 'orig_eax', 'eip', 'cs', 'eflags', 'esp', 'ss'],
    pc: 'eip', sp: 'esp', fp: 'ebp',
    prpsinfo: { size: 124, pid: 12, uid: 8, uidSize: 2, fname: 28, psargs: 44 },
    siginfoCodeOffset: 8, siginfoAddrOffset: 12, signalNames: GENERIC_SIGNALS,
  },
  {
    arch: 'mips', machine: EM_MIPS, wordSize: 4, prstatusSize: 256, prstatusRegOffset: 72, prstatusPidOffset: 24,
    registerNames: ['', '', '', '', '', '', ...MIPS_GPR_NAMES, 'lo', 'hi', 'pc', 'badvaddr', 'status', 'cause', ''],
    pc: 'pc', sp: 'sp', fp: 's8', returnAddress: 'ra',
    prpsinfo: { size: 128, pid: 16, uid: 8, uidSize: 4, fname: 32, psargs: 48 },
    siginfoCodeOffset: 4, siginfoAddrOffset: 12, signalNames: MIPS_SIGNALS,
  },
];

/** Only the class/machine pairs the spec verified (MIPS o32, not n32/n64; no big-endian variants measured). */
export function archLayout(machine: number, wordSize: 4 | 8): ArchLayout | undefined {
  return LAYOUTS.find((layout) => layout.machine === machine && layout.wordSize === wordSize);
}

const CODE_NAMES: Readonly<Record<string, readonly string[]>> = {
  SIGILL: ['', 'ILL_ILLOPC', 'ILL_ILLOPN', 'ILL_ILLADR', 'ILL_ILLTRP', 'ILL_PRVOPC', 'ILL_PRVREG', 'ILL_COPROC', 'ILL_BADSTK'],
  SIGFPE: ['', 'FPE_INTDIV', 'FPE_INTOVF', 'FPE_FLTDIV', 'FPE_FLTOVF', 'FPE_FLTUND', 'FPE_FLTRES', 'FPE_FLTINV', 'FPE_FLTSUB'],
  SIGSEGV: ['', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR', 'SEGV_ACCADI', 'SEGV_ADIDERR', 'SEGV_ADIPERR', 'SEGV_MTEAERR', 'SEGV_MTESERR'],
  SIGBUS: ['', 'BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR', 'BUS_MCEERR_AR', 'BUS_MCEERR_AO'],
  SIGTRAP: ['', 'TRAP_BRKPT', 'TRAP_TRACE', 'TRAP_BRANCH', 'TRAP_HWBKPT', 'TRAP_UNK'],
  SIGSYS: ['', 'SYS_SECCOMP'],
};

/** Generic si_code values; MIPS numbers a few of the negative ones differently (not handled: no MIPS sample with them). */
const GENERIC_CODES = new Map<number, string>([
  [0, 'SI_USER'], [0x80, 'SI_KERNEL'], [-1, 'SI_QUEUE'], [-2, 'SI_TIMER'], [-3, 'SI_MESGQ'], [-4, 'SI_ASYNCIO'],
  [-5, 'SI_SIGIO'], [-6, 'SI_TKILL'],
]);

export function signalCodeName(signalName: string, code: number): string | undefined {
  if (code > 0 && code < 0x80) return CODE_NAMES[signalName]?.[code] || undefined;
  return GENERIC_CODES.get(code);
}

/** Signals whose siginfo union starts with the faulting address (si_addr). */
export const FAULT_SIGNALS = new Set(['SIGILL', 'SIGFPE', 'SIGSEGV', 'SIGBUS', 'SIGTRAP']);

/** Signal number for a name in the generic (ARM, x86) numbering, for crash text that only names it. */
export function genericSignalNumber(name: string): number | undefined {
  for (const [number, known] of GENERIC_SIGNALS) if (known === name) return number;
  return undefined;
}
