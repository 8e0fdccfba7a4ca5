import { describe, expect, it } from 'vitest';
import { deriveQuality } from '../../server/simulator/quality.js';
import { difference, GMIN, RxStats } from '../../server/simulator/rx-stats.js';

/** Feeds a pattern: '.' received, 'x' lost; transit constant unless given. */
function feed(pattern: string, transits?: readonly number[]): RxStats {
  const s = new RxStats();
  [...pattern].forEach((c, i) => s.slot(c === 'x', transits?.[i] ?? 0));
  return s;
}

describe('receiver counters', () => {
  it('books isolated losses, more than Gmin packets apart, as gap losses', () => {
    const s = feed(`${'.'.repeat(20)}x${'.'.repeat(20)}x${'.'.repeat(20)}`).snapshot();
    expect(s).toMatchObject({ expected: 62, received: 60, bursts: 0, burstLost: 0, gapLost: 2, gapPackets: 62, lossRuns: 2 });
  });

  it('books losses closer than Gmin as one burst, from its first to its last loss', () => {
    const s = feed(`${'.'.repeat(30)}xx...x..xxx${'.'.repeat(30)}`).snapshot();
    expect(s).toMatchObject({ bursts: 1, burstLost: 6, burstPackets: 11, gapLost: 0, gapPackets: 60, lossRuns: 3 });
  });

  it('ends a burst after Gmin received packets, so two clusters are two bursts', () => {
    const s = feed(`..xx${'.'.repeat(GMIN)}xx..`).snapshot();
    expect(s.bursts).toBe(2);
    expect(s.burstLost).toBe(4);
  });

  it('reports RR fraction lost per interval, as RFC 3550 A.3 computes it', () => {
    const s = feed(`${'.'.repeat(100)}`);
    expect(s.fractionLostSinceLastReport()).toBe(0);
    [...`${'x'.repeat(25)}${'.'.repeat(75)}`].forEach((c) => s.slot(c === 'x'));
    expect(s.fractionLostSinceLastReport()).toBe(64);
  });

  it('follows RFC 3550 interarrival jitter: J += (|D| - J) / 16', () => {
    const s = feed('...', [0, 160, 160]);
    expect(s.maxJitterTs).toBeCloseTo(10, 6);
    expect(s.jitterTs).toBeCloseTo(10 - 10 / 16, 6);
  });

  it('derives one segment\'s loss and MOS from the difference of two snapshots', () => {
    const s = feed('.'.repeat(500));
    const start = s.snapshot();
    [...`${'.'.repeat(100)}${'x'.repeat(50)}${'.'.repeat(100)}`].forEach((c) => s.slot(c === 'x'));
    const q = deriveQuality(difference(s.snapshot(), start), 0, 0);
    expect(q.lossPct).toBe(20);
    expect(q.burstDensityPct).toBe(100);
    expect(q.burstDurationMs).toBe(1000);
    expect(q.mosLq).toBeLessThan(3.1);
    expect(deriveQuality(difference(feed('.'.repeat(250)).snapshot()), 8, 0).mosLq).toBeGreaterThan(4.3);
  });

  it('calls a silent inbound side 100 % lost with MOS 1, counting what the other side sent', () => {
    const q = deriveQuality(new RxStats().snapshot(), 0, 1500);
    expect(q).toMatchObject({ lossPct: 100, mosLq: 1, packetsExpected: 1500, packetsReceived: 0 });
  });
});
