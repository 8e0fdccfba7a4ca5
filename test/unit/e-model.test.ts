import { describe, expect, it } from 'vitest';
import { codecByName, staticPayloadType } from '../../server/analysis/codecs.js';
import { delayImpairment, effectiveIe, mosFromR, R_DEFAULTS, rFactor, rFromMos, satisfaction, verdict } from '../../server/analysis/e-model.js';

const G711 = staticPayloadType(0)!.emodel!;

describe('E-model R → MOS (G.107 Annex B)', () => {
  it('reproduces the spec table', () => {
    const table: Array<[number, number]> = [[50, 2.58], [60, 3.1], [70, 3.6], [80, 4.02], [88, 4.29], [90, 4.34], [93.2, 4.41], [100, 4.5]];
    for (const [r, mos] of table) expect(mosFromR(r)).toBeCloseTo(mos, 2);
  });

  it('clamps to 1 at R ≤ 0 and 4.5 at R ≥ 100 (wideband R up to 129 included)', () => {
    expect([mosFromR(-5), mosFromR(0), mosFromR(100), mosFromR(120)]).toEqual([1, 1, 4.5, 4.5]);
  });

  it('inverts numerically to the spec anchor points', () => {
    expect(rFromMos(4.0)).toBeCloseTo(79.4, 1);
    expect(rFromMos(3.6)).toBeCloseTo(70.1, 1);
    expect(rFromMos(3.1)).toBeCloseTo(60.0, 1);
    expect(mosFromR(rFromMos(4.2))).toBeCloseTo(4.2, 9);
  });
});

describe('E-model R computation', () => {
  it('gives R 93.2 with defaults, no loss and no delay', () => {
    expect(rFactor({ codec: G711, lossPct: 0 })).toBeCloseTo(R_DEFAULTS, 9);
  });

  it('matches the spec examples for G.711 with PLC at 2 % and 10 % random loss', () => {
    const r2 = rFactor({ codec: G711, lossPct: 2 });
    const r10 = rFactor({ codec: G711, lossPct: 10 });
    expect(r2).toBeCloseTo(86.2, 1);
    expect(mosFromR(r2)).toBeCloseTo(4.23, 2);
    expect(r10).toBeCloseTo(66.1, 1);
    expect(mosFromR(r10)).toBeCloseTo(3.41, 2);
  });

  it('impairs bursty loss more than random loss', () => {
    expect(effectiveIe(G711, 5, 2)).toBeGreaterThan(effectiveIe(G711, 5, 1));
  });

  it('adds delay impairment linearly and more steeply past 177.3 ms', () => {
    expect(delayImpairment(0)).toBe(0);
    expect(delayImpairment(100)).toBeCloseTo(2.4, 9);
    expect(delayImpairment(200)).toBeCloseTo(0.024 * 200 + 0.11 * 22.7, 9);
  });

  it('uses the codec table: G.729A worse than G.711, wideband without parameters', () => {
    expect(rFactor({ codec: staticPayloadType(18)!.emodel!, lossPct: 0 })).toBeCloseTo(82.2, 9);
    expect(codecByName('opus', 48000).emodel).toBeUndefined();
  });
});

describe('quality bands and verdicts', () => {
  it('maps R to the G.109 satisfaction bands', () => {
    expect([95, 85, 75, 65, 55, 40].map(satisfaction)).toEqual([
      'very-satisfied', 'satisfied', 'some-dissatisfied', 'many-dissatisfied', 'nearly-all-dissatisfied', 'not-recommended',
    ]);
  });

  it('calls a stream poor when any metric is poor, fair when any is fair', () => {
    expect(verdict({ lossPct: 0.5, jitterMs: 5, rttMs: 80, mos: 4.3 })).toBe('good');
    expect(verdict({ lossPct: 4 })).toBe('fair');
    expect(verdict({ mos: 3.5 })).toBe('fair');
    expect(verdict({ jitterMs: 31, mos: 4.4 })).toBe('poor');
    expect(verdict({ rttMs: 501 })).toBe('poor');
    expect(verdict({})).toBe('good');
  });
});
