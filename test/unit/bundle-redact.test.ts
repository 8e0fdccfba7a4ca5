import { describe, expect, it } from 'vitest';
import { Redactor } from '../../server/bundles/redact.js';
import { bundleFileName } from '../../server/bundles/jobs.js';
import { parseBundleRequest } from '../../server/bundles/request.js';

const fail = (m: string) => new Error(m);

describe('bundle redaction', () => {
  it('gives the same value the same token in every text, and different values different tokens', () => {
    const r = new Redactor();
    r.discover('From: "Alice Smith" <sip:3456@pbx.example.com>;tag=1');
    const a = r.text('INVITE sip:3456@pbx.example.com from 10.0.0.5:5060');
    const b = r.text('Dialing 3456 via 10.0.0.5, then 10.0.0.50; Alice Smith answered');
    expect(a).toBe('INVITE <uri-1> from <ip-1>:5060');
    expect(b).toBe('Dialing <phone-1> via <ip-1>, then <ip-2>; <user-1> answered');
  });

  it('finds IPv6 and E.164 numbers but keeps times, MACs, firmware versions and plain counts', () => {
    const r = new Redactor();
    expect(r.text('peer [2001:db8::7]:5060 and ::ffff:192.0.2.1 call +4930123456'))
      .toBe('peer [<ip-1>]:5060 and <ip-2> call <phone-1>');
    const kept = 'at 10:00:01.250 mac 00:90:8f:12:34:56 firmware UC_3.1.0.296 lost 1234 packets';
    expect(r.text(kept)).toBe(kept);
  });

  it('learns user names from user= fields and user@host addresses', () => {
    const r = new Redactor();
    r.discover('login user=jdoe ok; cname bob.k@10.1.1.1');
    expect(r.text('jdoe logged out; bob.k@10.1.1.1 left; 10.1.1.1 gone')).toBe('<user-1> logged out; <uri-1> left; <ip-1> gone');
  });

  it('redacts every string of a JSON value but no key and no number', () => {
    const r = new Redactor();
    expect(r.deep({ address: '10.0.0.5', port: 5060, list: ['sip:1@x.org'] })).toEqual({ address: '<ip-1>', port: 5060, list: ['<uri-1>'] });
  });

  it('masks text inside binary payloads without changing their length', () => {
    const r = new Redactor();
    const payload = Buffer.concat([Buffer.from([0x81, 0xca, 0, 6]), Buffer.from('2001@127.0.1.1'), Buffer.from([0, 0])]);
    const masked = r.maskBytes(payload);
    expect(masked.length).toBe(payload.length);
    expect(masked.subarray(0, 4)).toEqual(payload.subarray(0, 4));
    expect(masked.toString('latin1')).not.toContain('127.0.1.1');
    expect(masked.toString('latin1')).toContain('<uri-1>');
  });

  it('maps addresses in captures to stand-ins from reserved space, one per token', () => {
    const r = new Redactor();
    expect(r.text('10.0.0.5')).toBe('<ip-1>');
    expect(r.mappedAddress('10.0.0.5')).toBe('240.0.0.1');
    expect(r.mappedAddress('::ffff:a00:5')).toBe('::ffff:f000:1');
    expect(r.mappedAddress('2001:db8::1')).toBe('100::2');
    expect(r.addressesInText('c=IN IP4 10.0.0.5\r\n')).toBe('c=IN IP4 240.0.0.1\r\n');
    expect(r.addressTable()).toEqual({ '<ip-1>': '240.0.0.1', '<ip-2>': '100::2' });
  });
});

describe('bundle requests', () => {
  it('accepts the three scopes and fills in the default options', () => {
    expect(parseBundleRequest({ scope: { callId: 7 } }, 1 << 20, fail)).toEqual({ scope: { callId: 7 }, options: { redact: false, format: 'zip', maxBytes: 1 << 20 } });
    expect(parseBundleRequest({ scope: { device: '10.0.0.5', from: '2026-11-26T10:00:00Z', to: '2026-11-26T11:00:00Z' }, options: { redact: true, format: 'tar.gz', includeAudio: true } }, 1 << 20, fail))
      .toEqual({ scope: { device: '10.0.0.5', fromMs: Date.parse('2026-11-26T10:00:00Z'), toMs: Date.parse('2026-11-26T11:00:00Z') }, options: { redact: true, format: 'tar.gz', maxBytes: 1 << 20, includeAudio: true } });
    expect(parseBundleRequest({ scope: { devices: [1, 'aa:bb'], from: 0, to: 1000 } }, 1 << 20, fail).scope).toEqual({ devices: ['1', 'aa:bb'], fromMs: 0, toMs: 1000 });
  });

  it('refuses what is not a bundle request, saying what is wrong', () => {
    expect(() => parseBundleRequest({ scope: { callId: -1 } }, 1, fail)).toThrow(/callId/);
    expect(() => parseBundleRequest({ scope: { from: 10, to: 5 } }, 1, fail)).toThrow(/after/);
    expect(() => parseBundleRequest({ scope: { from: 0, to: 30 * 86_400_000 } }, 1, fail)).toThrow(/longer than 7 days/);
    expect(() => parseBundleRequest({ scope: { callId: 1 }, options: { format: 'rar' } }, 1, fail)).toThrow(/format/);
    expect(() => parseBundleRequest({ scope: { callId: 1 }, options: { maxBytes: 10 } }, 1, fail)).toThrow(/maxBytes/);
    expect(() => parseBundleRequest([], 1, fail)).toThrow(/JSON object/);
  });

  it('names the file after the scope, with nothing but safe characters and no address when redacted', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    expect(bundleFileName({ callId: 3 }, { redact: false, format: 'zip' }, now)).toBe('ipp-bundle-call-3-20261126T120000Z.zip');
    expect(bundleFileName({ device: '../../etc/x y', fromMs: 0, toMs: 1000 }, { redact: false, format: 'tar.gz' }, now)).toBe('ipp-bundle-.._.._etc_x_y-19700101T000000Z-19700101T000001Z.tar.gz');
    expect(bundleFileName({ device: '10.0.0.5', fromMs: 0, toMs: 1000 }, { redact: true, format: 'zip' }, now)).toBe('ipp-bundle-device-19700101T000000Z-19700101T000001Z-redacted.zip');
  });
});
