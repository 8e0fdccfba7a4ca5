/**
 * Oracle: our ELF core decoder against readelf and gdb on the committed fixture cores.
 *   readelf -n <core>          → note owner / type / size, in order
 *   readelf -n <binary>        → GNU build-id of the executable (kernel core only: QEMU does not dump it)
 *   gdb -batch <binary> <core> → signal, thread ids, crashing pc and lr/x30/ra, backtrace
 *   gdb -batch <binary>        → `info symbol` of our module-relative addresses = the functions gdb named
 * CI installs: gdb gdb-multiarch binutils (readelf).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeElfCore, type ElfCore } from '../../parsers/elf-core.js';
import { isDecodeError } from '../../parsers/decode-error.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/crash/', import.meta.url));
const ALLOW_MISSING = process.env['IPP_ALLOW_MISSING_ORACLES'] === '1';
const hasTool = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['readelf', 'gdb', 'gdb-multiarch'].filter((tool) => !hasTool(tool));
if (missing.length > 0 && !ALLOW_MISSING) {
  throw new Error(`oracle tools missing: ${missing.join(', ')} (apt-get install gdb gdb-multiarch binutils, or set IPP_ALLOW_MISSING_ORACLES=1 to skip)`);
}
if (missing.length > 0) console.warn(`skipping ELF core oracle: missing ${missing.join(', ')} (IPP_ALLOW_MISSING_ORACLES=1)`);

const workDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const run = (tool: string, args: readonly string[]): string =>
  execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

function gdb(arch: string, args: readonly string[], commands: readonly string[]): string {
  // Cross cores must not pick up the host's x86-64 libraries as their /lib/libc.so.6.
  const sysroot = arch === 'x86_64' ? [] : ['-iex', 'set sysroot /nonexistent-ipp-sysroot'];
  const tool = arch === 'x86_64' ? 'gdb' : 'gdb-multiarch';
  const result = spawnSync(tool, ['-nx', '-q', '-batch', ...sysroot, ...commands.flatMap((c) => ['-ex', c]), ...args], { encoding: 'utf8' });
  return `${result.stdout}\n${result.stderr}`;
}

const RETURN_REGISTER: Record<string, string | undefined> = { armhf: 'lr', aarch64: 'x30', mipsel: 'ra', x86_64: undefined };

describe.skipIf(missing.length > 0).each(['x86_64', 'armhf', 'aarch64', 'mipsel'])('core.%s against readelf and gdb', (arch) => {
  const corePath = path.join(workDir, `core.${arch}`);
  const binary = path.join(FIXTURES, `crashme_${arch}`);
  const bytes = gunzipSync(readFileSync(path.join(FIXTURES, `core.${arch}.gz`)));
  writeFileSync(corePath, bytes);
  const decoded = decodeElfCore(bytes);
  if (isDecodeError(decoded)) throw new Error(decoded.message);
  const core: ElfCore = decoded;
  const crashing = core.crashingThread!;
  const returnRegister = RETURN_REGISTER[arch];
  const session = gdb(arch, [binary, corePath], [
    'info threads', 'bt', 'info registers pc', ...(returnRegister ? [`p/x $${returnRegister}`] : []),
    ...(arch === 'x86_64' ? ['p $_siginfo.si_signo', 'p $_siginfo.si_code', 'p $_siginfo._sifields._sigfault.si_addr'] : []),
  ]);

  it('lists the same notes as readelf -n, in order', () => {
    const readelf = run('readelf', ['-n', '-W', corePath]);
    const theirs = [...readelf.matchAll(/^\s+(\S+)\s+0x([0-9a-f]+)\s+(NT_\w+|Unknown note type: \(0x([0-9a-f]+)\))/gm)]
      .map((m) => `${m[1]}/${m[4] ? Number.parseInt(m[4], 16) : m[3]}/${Number.parseInt(m[2]!, 16)}`);
    const ours = core.notes.map((n) => `${n.owner}/${n.typeName ?? n.type}/${n.size}`);
    expect(ours).toEqual(theirs);
  });

  it('agrees with gdb on the signal and the thread ids, crashing thread first', () => {
    // gdb 13 names the signal only when the core has NT_SIGINFO (kernel cores); on QEMU cores it is
    // silent and our signal comes from pr_cursig, which the unit tests pin down.
    const gdbSignal = /Program terminated with signal (SIG\w+)/.exec(session)?.[1];
    if (core.signal?.source === 'siginfo') expect(gdbSignal).toBe(core.signal.name);
    else expect(gdbSignal).toBeUndefined();
    const tids = [...session.matchAll(/^\*?\s+\d+\s+(?:Thread 0x[0-9a-f]+ )?\(?LWP (\d+)\)?/gm)].map((m) => Number(m[1]));
    expect(tids).toEqual(core.threads.map((t) => t.tid));
    expect(session).toMatch(new RegExp(`Current thread is 1 \\((?:Thread 0x[0-9a-f]+ \\()?LWP ${crashing.tid}\\)`));
    if (arch === 'x86_64') {
      expect(session).toMatch(new RegExp(`\\$\\d+ = ${core.signal!.number}\\n\\$\\d+ = ${core.signal!.code}\\n\\$\\d+ = \\(void \\*\\) ${core.signal!.faultAddr}\\b`));
    }
  });

  it('reads the same crashing pc and return-address register', () => {
    const pc = /^(?:pc|rip):?\s+(0x[0-9a-f]+)/m.exec(session)?.[1];
    expect(pc).toBe(crashing.registers[arch === 'x86_64' ? 'rip' : 'pc']);
    if (returnRegister) expect(/^\$\d+ = (0x[0-9a-f]+)$/m.exec(session)?.[1]).toBe(crashing.registers[returnRegister]);
  });

  it('has every backtrace frame gdb finds in the executable, at the same pc, and our module offset names the same function', () => {
    // gdb prints frame #0 once when loading the core and again in `bt`: keep one per frame number.
    // Frames below main are in libc, which gdb resolves only if the host's libc is the core's.
    const byNumber = new Map([...session.matchAll(/^#(\d+)\s+(0x[0-9a-f]+) in (\w+) \(/gm)].map((m) => [m[1], { pc: BigInt(m[2]!), fn: m[3]! }]));
    const gdbFrames = [...byNumber.values()].filter((f) => f.fn !== '__libc_start_call_main' && f.fn !== '__libc_start_main');
    expect(gdbFrames.map((f) => f.fn)).toEqual(['write_config_value', 'handle_incoming_call', 'dispatch_event', 'main']);
    const ours = gdbFrames.map((g) => crashing.frames.find((f) => BigInt(f.pc) === g.pc));
    expect(ours.map((f) => f?.module?.endsWith(`/crashme_${arch}`))).toEqual(gdbFrames.map(() => true));
    // Resolve our addr2line address in the bare (unrelocated) binary: the function must be gdb's.
    const symbols = gdb(arch, [binary], ours.map((f) => `info symbol ${f!.elfAddress}`));
    const named = [...symbols.matchAll(/^(\w+) \+ \d+ in section \.text/gm)].map((m) => m[1]);
    expect(named).toEqual(gdbFrames.map((f) => f.fn));
    // And the trust is what we claim: pc/lr from registers, callers from the frame-pointer chain or a scan.
    expect(ours[0]!.trust).toBe('context');
  });

  it.runIf(arch === 'x86_64')('reads the same build-id from the dumped ELF header page as readelf from the binary', () => {
    const buildId = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', binary]))?.[1];
    expect(core.modules.find((m) => m.main)?.buildId).toBe(buildId);
  });
});
