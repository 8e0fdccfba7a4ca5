import { describe, expect, it } from 'vitest';
import { Counters } from '../../server/counters.js';
import { parseAllowList } from '../../server/sources/allow-list.js';
import { SenderRateLimit } from '../../server/sources/rate-limit.js';
import { SourceGuard } from '../../server/sources/source-guard.js';

describe('allow-lists', () => {
  it('accepts addresses inside the IPv4 and IPv6 networks given and nothing else', () => {
    const list = parseAllowList('10.1.0.0/16, 192.168.5.7, 2001:db8::/32')!;
    expect(list.allows('10.1.200.3')).toBe(true);
    expect(list.allows('10.2.0.1')).toBe(false);
    expect(list.allows('192.168.5.7')).toBe(true);
    expect(list.allows('192.168.5.8')).toBe(false);
    expect(list.allows('2001:db8:1::5')).toBe(true);
    expect(list.allows('2001:db9::5')).toBe(false);
    expect(list.allows('not-an-address')).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 sender against the IPv4 networks', () => {
    expect(parseAllowList('10.1.0.0/16')!.allows('::ffff:10.1.2.3')).toBe(true);
    expect(parseAllowList('10.1.0.0/16')!.allows('::ffff:10.9.2.3')).toBe(false);
  });

  it('means "anyone" when empty and refuses a malformed network with the reason', () => {
    expect(parseAllowList(' ')).toBeNull();
    expect(() => parseAllowList('10.0.0.0/33')).toThrow(/prefix length must be 0-32/);
    expect(() => parseAllowList('phones.example.com')).toThrow(/not an address or CIDR/);
    expect(() => parseAllowList('10.0.0.0/8/1')).toThrow(/not an address or CIDR/);
  });
});

describe('per-sender rate limits', () => {
  it('lets a sender burst, then refills at the rate, independently of other senders', () => {
    let now = 0;
    const limit = new SenderRateLimit(10, 5, () => now);
    const burst = Array.from({ length: 8 }, () => limit.take('a'));
    expect(burst.filter(Boolean)).toHaveLength(5);
    expect(limit.take('b')).toBe(true);
    now += 100;
    expect(limit.take('a')).toBe(true);
    expect(limit.take('a')).toBe(false);
  });

  it('counts what it turns away on the source and names the senders', () => {
    const counters = new Counters();
    let now = 0;
    const guard = new SourceGuard({ source: 'syslog-udp', allow: parseAllowList('10.0.0.0/8'), ratePerSecond: 100, burst: 10, counters, now: () => now });
    let passed = 0;
    for (let i = 0; i < 50; i++) if (guard.admit('10.0.0.1')) passed++;
    for (let i = 0; i < 3; i++) guard.admit('203.0.113.9');
    now += 1000;
    expect(guard.admit('10.0.0.1')).toBe(true);
    expect(passed).toBe(10);
    expect(counters.source('syslog-udp')).toMatchObject({ denied: 3, limited: 40 });
    expect(guard.top()).toEqual([{ address: '10.0.0.1', denied: 0, limited: 40 }, { address: '203.0.113.9', denied: 3, limited: 0 }]);
  });
});
