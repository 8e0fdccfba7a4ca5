/**
 * The qualified function name inside an Itanium C++ mangled symbol (`_ZN4voip10SipChannel8onPacketERKNS_6PacketE`
 * → `voip::SipChannel::onPacket`), without parameters, template arguments or return type: exactly
 * what the crash signature keeps of a demangled name. Android 12–13 protobuf tombstones carry
 * mangled names where the text tombstone of the same crash prints them demangled; both must group.
 *
 * Not a demangler: shapes it does not know (local names, decltype, conversion operators, deeply
 * substituted prefixes) give undefined, and the caller keeps the symbol as it is.
 */

const OPERATORS: Readonly<Record<string, string>> = {
  nw: 'new', na: 'new[]', dl: 'delete', da: 'delete[]', ps: '+', ng: '-', ad: '&', de: '*', co: '~', pl: '+', mi: '-',
  ml: '*', dv: '/', rm: '%', an: '&', or: '|', eo: '^', aS: '=', pL: '+=', mI: '-=', mL: '*=', dV: '/=', rM: '%=',
  aN: '&=', oR: '|=', eO: '^=', ls: '<<', rs: '>>', lS: '<<=', rS: '>>=', eq: '==', ne: '!=', lt: '<', gt: '>',
  le: '<=', ge: '>=', ss: '<=>', nt: '!', aa: '&&', oo: '||', pp: '++', mm: '--', cm: ',', pm: '->*', pt: '->',
  cl: '()', ix: '[]', qu: '?',
};
const STD_SUBSTITUTIONS: Readonly<Record<string, string[]>> = {
  St: ['std'], Sa: ['std', 'allocator'], Sb: ['std', 'basic_string'], Ss: ['std', 'string'],
  Si: ['std', 'istream'], So: ['std', 'ostream'], Sd: ['std', 'iostream'],
};
const MAX_SYMBOL_CHARS = 4096;

class Unsupported extends Error {}

export function itaniumFunctionName(symbol: string): string | undefined {
  if (!symbol.startsWith('_Z') || symbol.length > MAX_SYMBOL_CHARS) return undefined;
  try {
    const parts = new Parser(symbol, 2).name();
    return parts.length > 0 ? parts.join('::') : undefined;
  } catch {
    return undefined;
  }
}

class Parser {
  /** Prefixes seen so far, for S_/S<n>_ back-references (only those of the name itself). */
  private readonly substitutions: string[][] = [];

  constructor(private readonly s: string, private at: number) {}

  name(): string[] {
    if (this.s[this.at] === 'L') this.at++;
    if (this.s[this.at] === 'N') return this.nested();
    if (this.s[this.at] === 'Z') throw new Unsupported('local name');
    const parts = this.s[this.at] === 'S' ? this.substitution() : [this.unqualified([])];
    if (this.s[this.at] === 'I') this.skipTemplateArgs();
    return parts;
  }

  private nested(): string[] {
    this.at++;
    while ('rVKRO'.includes(this.s[this.at] ?? '') && this.at < this.s.length) this.at++;
    let parts: string[] = [];
    while (this.s[this.at] !== 'E') {
      if (this.at >= this.s.length) throw new Unsupported('unterminated nested name');
      const c = this.s[this.at];
      if (c === 'S') parts = [...parts, ...this.substitution()];
      else if (c === 'I') { this.skipTemplateArgs(); continue; }
      else if (c === 'L') { this.at++; continue; }
      else parts = [...parts, this.unqualified(parts)];
      this.substitutions.push(parts);
    }
    this.at++;
    return parts;
  }

  private unqualified(scope: readonly string[]): string {
    const c = this.s[this.at] ?? '';
    let name: string;
    if (/\d/.test(c)) name = this.sourceName();
    else if (c === 'C' && /[123I]/.test(this.s[this.at + 1] ?? '')) {
      this.at += this.s[this.at + 1] === 'I' ? 3 : 2;
      name = scope[scope.length - 1] ?? fail('constructor without a class');
    } else if (c === 'D' && /[012]/.test(this.s[this.at + 1] ?? '')) {
      this.at += 2;
      name = `~${scope[scope.length - 1] ?? fail('destructor without a class')}`;
    } else {
      const operator = OPERATORS[this.s.slice(this.at, this.at + 2)];
      if (operator === undefined) throw new Unsupported(`name starting ${c}`);
      this.at += 2;
      name = `operator${operator}`;
    }
    while (this.s[this.at] === 'B') {
      this.at++;
      this.sourceName();
    }
    return name;
  }

  private sourceName(): string {
    const digits = /^\d+/.exec(this.s.slice(this.at, this.at + 6))?.[0] ?? fail('source name length');
    const length = Number(digits);
    this.at += digits.length;
    if (length === 0 || this.at + length > this.s.length) throw new Unsupported('source name past the end');
    const name = this.s.slice(this.at, this.at + length);
    this.at += length;
    return name.startsWith('_GLOBAL__N') ? '(anonymous namespace)' : name;
  }

  private substitution(): string[] {
    const two = this.s.slice(this.at, this.at + 2);
    const std = STD_SUBSTITUTIONS[two];
    if (std) {
      this.at += 2;
      if (two === 'St' && /\d/.test(this.s[this.at] ?? '')) return [...std, this.sourceName()];
      return std;
    }
    const ref = /^S([0-9A-Z]*)_/.exec(this.s.slice(this.at, this.at + 8)) ?? fail('substitution');
    this.at += ref[0].length;
    const index = ref[1] === '' ? 0 : Number.parseInt(ref[1]!, 36) + 1;
    return this.substitutions[index] ?? fail('substitution outside the name');
  }

  /** Skips `I … E`, balancing the nested constructs that also end in E. */
  private skipTemplateArgs(): void {
    let depth = 0;
    do {
      const c = this.s[this.at];
      if (c === undefined) throw new Unsupported('unterminated template arguments');
      if (/\d/.test(c)) { this.sourceName(); continue; }
      if (c === 'L' && /[a-z]/.test(this.s[this.at + 1] ?? '')) {
        const end = this.s.indexOf('E', this.at);
        if (end < 0) throw new Unsupported('unterminated literal');
        this.at = end + 1;
        continue;
      }
      if ((c === 'S' || c === 'T') && /^[ST][0-9A-Z]*_/.test(this.s.slice(this.at, this.at + 8))) {
        this.at = this.s.indexOf('_', this.at) + 1;
        continue;
      }
      if (c === 'S' && /[tabsiod]/.test(this.s[this.at + 1] ?? '')) { this.at += 2; continue; }
      if ('INXJZ'.includes(c)) depth++;
      else if (c === 'L') throw new Unsupported('expression literal');
      else if (c === 'E') depth--;
      this.at++;
    } while (depth > 0);
  }
}

function fail(what: string): never {
  throw new Unsupported(what);
}
