/**
 * Oracle: our ELF symbol reader against binutils on the committed unstripped fixture binaries.
 *   readelf -sW <binary>  → the .symtab FUNC/IFUNC entries with a section (Value, Size, Name)
 *   readelf -n <binary>   → GNU build id
 *   nm <binary>           → the same start addresses. Whether nm clears the ARM Thumb bit (bit 0 of a
 *                           Thumb function's st_value) depends on the binutils build, so on ARM the test
 *                           clears it on nm's side itself: the rule is `address = st_value & ~1` on EM_ARM.
 *   readelf -lW <binary>  → lowest PT_LOAD VirtAddr (image base)
 * CI installs: binutils.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeElfSymbols, type ElfSymbols } from '../../parsers/elf-symbols.js';
import { isDecodeError } from '../../parsers/decode-error.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/crash/', import.meta.url));
const ALLOW_MISSING = process.env['IPP_ALLOW_MISSING_ORACLES'] === '1';
const missing = ['readelf', 'nm'].filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
if (missing.length > 0 && !ALLOW_MISSING) throw new Error(`oracle tools missing: ${missing.join(', ')} (apt-get install binutils, or set IPP_ALLOW_MISSING_ORACLES=1 to skip)`);

const run = (tool: string, args: readonly string[]): string => execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

function ours(binary: string): ElfSymbols {
  const result = decodeElfSymbols(new Uint8Array(readFileSync(FIXTURES + binary)));
  if (isDecodeError(result)) throw new Error(result.message);
  return result;
}

/** `Num: Value Size Type Bind Vis Ndx Name` rows of the .symtab section only. */
function readelfFunctions(binary: string): string[] {
  const out = run('readelf', ['-sW', FIXTURES + binary]);
  const symtab = out.slice(out.indexOf("Symbol table '.symtab'"));
  return symtab.split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && (f[3] === 'FUNC' || f[3] === 'IFUNC') && f[6] !== 'UND')
    .map((f) => `${BigInt(`0x${f[1]}`).toString(16)} ${Number(f[2]!.startsWith('0x') ? BigInt(f[2]!) : f[2])} ${f[7]!.replace(/@.*$/, '')}`);
}

describe.skipIf(missing.length > 0)('ELF symbols vs readelf and nm', () => {
  for (const arch of ['x86_64', 'armhf', 'aarch64', 'mipsel']) {
    const binary = `crashme_${arch}`;
    it(`reads every defined function of ${binary} with readelf's value, size and name`, () => {
      const mine = ours(binary);
      expect(mine.table).toBe('symtab');
      const expected = [...new Set(readelfFunctions(binary))].sort();
      const actual = [...new Set(mine.functions.map((f) => `${BigInt(f.value).toString(16)} ${f.size} ${f.name}`))].sort();
      expect(actual).toEqual(expected);
      expect(actual.some((row) => row.endsWith(' write_config_value'))).toBe(true);
    });

    it(`agrees with nm on the start address of ${binary}'s text symbols`, () => {
      const nm = new Map(run('nm', ['--defined-only', FIXTURES + binary]).split('\n')
        .map((line) => line.split(' '))
        .filter((f) => f.length === 3 && /^[tTwWi]$/.test(f[1]!))
        .map((f) => [f[2]!, Number.parseInt(f[0]!, 16)]));
      const mine = ours(binary);
      // The Thumb rule, stated here rather than left to nm: an ARM function starts at st_value & ~1.
      const start = (value: number) => (arch === 'armhf' ? value - (value % 2) : value);
      let compared = 0;
      for (const fn of mine.functions) {
        if (!nm.has(fn.name)) continue;
        compared++;
        expect([fn.name, fn.address]).toEqual([fn.name, start(nm.get(fn.name)!)]);
        expect([fn.name, fn.address]).toEqual([fn.name, start(Number(BigInt(fn.value)))]);
      }
      expect(compared).toBeGreaterThan(0);
    });

    it(`reads ${binary}'s build id as readelf -n and its image base as readelf -l`, () => {
      const buildId = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', FIXTURES + binary]))?.[1];
      const loads = run('readelf', ['-lW', FIXTURES + binary]).split('\n').filter((l) => l.trim().startsWith('LOAD')).map((l) => Number(BigInt(l.trim().split(/\s+/)[2]!)));
      const mine = ours(binary);
      expect(mine.buildId).toBe(buildId);
      expect(mine.imageBase).toBe(Math.min(...loads) - (Math.min(...loads) % 0x1000));
    });
  }
});
