import { describe, it, expect } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import {
  buildSipResponse,
  decodeSip,
  MAX_SIP_HEADER_COUNT,
  sipBodyText,
  sipHeader,
  sipHeaders,
  type SipMessage,
  type SipRequest,
} from '../../parsers/sip.js';
import { buildOptions, buildVqPublish, type VqPublishOptions } from '../../server/simulator/wire/sip.js';

const CRLF = '\r\n';

function ok(input: Uint8Array | string): SipMessage {
  const msg = decodeSip(input);
  if (isDecodeError(msg)) throw new Error(`unexpected decode error: ${msg.message}`);
  return msg;
}

function request(input: Uint8Array | string): SipRequest {
  const msg = ok(input);
  if (msg.kind !== 'request') throw new Error('expected a request');
  return msg;
}

const AUDIOCODES_PUBLISH = [
  'PUBLISH sip:172.17.116.201 SIP/2.0',
  'Via: SIP/2.0/UDP 172.17.116.201:5060;branch=z9hG4bKac2055925925',
  'Max-Forwards: 70',
  'From: <sip:172.17.116.201>;tag=1c2055916574',
  'To: <sip:172.17.116.201>',
  'Call-ID: 20559160721612201520952@172.17.116.201',
  'CSeq: 1 PUBLISH',
  'Contact: <sip:172.17.116.201:5060>',
  'Event: vq-rtcpxr',
  'Expires: 3600',
  'User-Agent: device/7.24A.356.888',
  'Content-Type: application/vq-rtcpxr',
  'Content-Length: 18',
  '',
  'VQSessionReport\r\nX',
].join(CRLF);

const PUBLISH_OPTIONS: VqPublishOptions = {
  collector: '192.0.2.1',
  source: { ip: '192.0.2.10', port: 5060 },
  publishCallId: 'pub-1@192.0.2.10',
  report: {
    callId: 'call-1@192.0.2.10',
    localId: '<sip:1000@192.0.2.10>',
    remoteId: '<sip:2000@192.0.2.20>',
    localAddr: { ip: '192.0.2.10', port: 6000, ssrc: 0x54c62a13 },
    remoteAddr: { ip: '192.0.2.20', port: 6000, ssrc: 0x243220dd },
    startMs: Date.UTC(2024, 0, 2, 3, 4, 5),
    stopMs: Date.UTC(2024, 0, 2, 3, 6, 5),
  },
};

describe('SIP request decoding', () => {
  it('reads the AudioCodes PUBLISH envelope field by field', () => {
    const msg = request(AUDIOCODES_PUBLISH);
    expect(msg.method).toBe('PUBLISH');
    expect(msg.requestUri).toBe('sip:172.17.116.201');
    expect(msg.version).toBe('SIP/2.0');
    expect(msg.callId).toBe('20559160721612201520952@172.17.116.201');
    expect(msg.cseq).toEqual({ seq: 1, method: 'PUBLISH' });
    expect(msg.from).toEqual({ uri: 'sip:172.17.116.201', tag: '1c2055916574', params: { tag: '1c2055916574' } });
    expect(msg.to).toEqual({ uri: 'sip:172.17.116.201', params: {} });
    expect(msg.via).toHaveLength(1);
    expect(msg.via[0]).toMatchObject({ transport: 'UDP', host: '172.17.116.201', port: 5060, branch: 'z9hG4bKac2055925925' });
    expect(msg.contentType).toBe('application/vq-rtcpxr');
    expect(msg.contentLength).toBe(18);
    expect(sipBodyText(msg)).toBe('VQSessionReport\r\nX');
    expect(sipHeader(msg, 'event')).toBe('vq-rtcpxr');
    expect(sipHeader(msg, 'EXPIRES')).toBe('3600');
    expect(msg.warnings).toEqual([]);
  });

  it('maps compact header names to their long forms for lookup', () => {
    const msg = request(buildVqPublish({ ...PUBLISH_OPTIONS, compact: true }));
    expect(msg.headers.map((h) => h.rawName)).toContain('v');
    expect(msg.callId).toBe('pub-1@192.0.2.10');
    expect(msg.from?.tag).toBeDefined();
    expect(msg.via[0]?.branch).toMatch(/^z9hG4bK/);
    expect(sipHeader(msg, 'Event')).toBe('vq-rtcpxr');
    expect(sipHeader(msg, 'o')).toBe('vq-rtcpxr');
    expect(msg.contentType).toBe('application/vq-rtcpxr');
    expect(msg.contentLength).toBe(msg.body.length);
  });

  it('unfolds headers continued on indented lines', () => {
    const msg = request(buildVqPublish({ ...PUBLISH_OPTIONS, fold: true }));
    expect(msg.via[0]).toMatchObject({ transport: 'UDP', host: '192.0.2.10', port: 5060, rport: true });
    expect(msg.from?.tag).toMatch(/^[0-9a-f]{8}$/);
    expect(sipHeader(msg, 'From')).toMatch(/^<sip:192\.0\.2\.10> ;tag=/);
  });

  it('keeps repeated headers in order and splits comma-joined Via lists', () => {
    const text = [
      'OPTIONS sip:a@example.com SIP/2.0',
      'Via: SIP/2.0/TCP proxy2.example.com;branch=z9hG4bK2, SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK1;received=198.51.100.7;rport=40000',
      'via: SIP / 2.0 / TLS phone.example.com:5061 ;branch=z9hG4bK0',
      'From: "Alice, A." <sip:alice@example.com;transport=tcp>;tag=abc',
      'To: sip:a@example.com;tag=xyz',
      'Call-ID: c1',
      'CSeq: 42 OPTIONS',
      'Supported: path',
      'k: gruu',
      'Content-Length: 0',
      '',
      '',
    ].join(CRLF);
    const msg = request(text);
    expect(msg.via.map((v) => [v.transport, v.host, v.port, v.branch])).toEqual([
      ['TCP', 'proxy2.example.com', undefined, 'z9hG4bK2'],
      ['UDP', '2001:db8::1', 5062, 'z9hG4bK1'],
      ['TLS', 'phone.example.com', 5061, 'z9hG4bK0'],
    ]);
    expect(msg.via[1]).toMatchObject({ received: '198.51.100.7', rport: 40000 });
    expect(sipHeaders(msg, 'Supported')).toEqual(['path', 'gruu']);
    expect(msg.from).toMatchObject({ display: 'Alice, A.', uri: 'sip:alice@example.com;transport=tcp', tag: 'abc' });
    expect(msg.to).toMatchObject({ uri: 'sip:a@example.com', tag: 'xyz' });
    expect(msg.cseq).toEqual({ seq: 42, method: 'OPTIONS' });
  });

  it('takes the rest of the datagram as the body when Content-Length is missing (UDP)', () => {
    const msg = ok(`MESSAGE sip:x@y SIP/2.0${CRLF}Call-ID: 1${CRLF}${CRLF}hello`);
    expect(sipBodyText(msg)).toBe('hello');
    expect(msg.contentLength).toBeUndefined();
  });

  it('discards bytes past Content-Length with a warning', () => {
    const msg = ok(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: 2${CRLF}${CRLF}hello`);
    expect(sipBodyText(msg)).toBe('he');
    expect(msg.warnings).toEqual(['3 bytes after the body ignored']);
  });

  it('counts Content-Length in bytes, not characters', () => {
    const body = 'Grüße';
    const msg = ok(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: ${Buffer.byteLength(body)}${CRLF}${CRLF}${body}`);
    expect(sipBodyText(msg)).toBe(body);
  });

  it('skips leading CRLF keep-alives and tolerates LF-only line ends', () => {
    const msg = request(`\r\n\r\nOPTIONS sip:x@y SIP/2.0\nCall-ID: lf\nl: 0\n\n`);
    expect(msg.method).toBe('OPTIONS');
    expect(msg.callId).toBe('lf');
    expect(msg.contentLength).toBe(0);
  });

  it('accepts SERVICE and other extension methods', () => {
    expect(request(`SERVICE sip:alice@contoso.com;gruu;opaque=app:qoe SIP/2.0${CRLF}l: 0${CRLF}${CRLF}`).method).toBe('SERVICE');
  });
});

describe('SIP response decoding', () => {
  it('reads status, reason and the echoed dialog identifiers', () => {
    const text = [
      'SIP/2.0 202 Accepted',
      'Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bKx;rport=5060;received=10.0.0.10',
      'From: <sip:alice@contoso.com>;tag=f1',
      'To: <sip:alice@contoso.com>;tag=t1',
      'Call-ID: svc-1',
      'CSeq: 7 SERVICE',
      'Content-Length: 0',
      '',
      '',
    ].join(CRLF);
    const msg = ok(text);
    expect(msg.kind).toBe('response');
    if (msg.kind !== 'response') return;
    expect(msg.status).toBe(202);
    expect(msg.reason).toBe('Accepted');
    expect(msg.cseq).toEqual({ seq: 7, method: 'SERVICE' });
    expect(msg.to?.tag).toBe('t1');
    expect(msg.via[0]).toMatchObject({ rport: 5060, received: '10.0.0.10' });
  });

  it('accepts a status line with an empty reason phrase', () => {
    const msg = ok(`SIP/2.0 200${CRLF}l: 0${CRLF}${CRLF}`);
    expect(msg.kind === 'response' && msg.status).toBe(200);
  });
});

describe('SIP decoding of hostile input', () => {
  const error = (input: Uint8Array | string): string => {
    const result = decodeSip(input);
    if (!isDecodeError(result)) throw new Error('expected a decode error');
    return result.message;
  };

  it('rejects an empty datagram and a CRLF-only one', () => {
    expect(error('')).toBe('empty message');
    expect(error('\r\n\r\n')).toBe('empty message');
  });

  it('rejects a start line that is neither request nor response', () => {
    expect(error('HTTP/1.1 200 OK\r\n\r\n')).toMatch(/start line is neither/);
    expect(error(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))).toMatch(/start line is neither/);
  });

  it('reports a body shorter than Content-Length with both numbers', () => {
    expect(error(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: 100${CRLF}${CRLF}short`)).toBe('body truncated: 5 of 100 bytes (Content-Length)');
  });

  it('rejects a non-numeric or oversized Content-Length without allocating it', () => {
    expect(error(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: -1${CRLF}${CRLF}`)).toMatch(/Content-Length is not a number/);
    expect(error(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: 4294967295${CRLF}${CRLF}`)).toMatch(/exceeds limit/);
  });

  it('rejects two different Content-Length values (the smuggling trick) but not a harmless repeat', () => {
    expect(error(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: 2${CRLF}l: 5${CRLF}${CRLF}hello`)).toBe('conflicting Content-Length values: "2", "5"');
    expect(sipBodyText(ok(`MESSAGE sip:x@y SIP/2.0${CRLF}Content-Length: 5${CRLF}l: 5${CRLF}${CRLF}hello`))).toBe('hello');
  });

  it('bounds the header count and the header section size', () => {
    const many = Array.from({ length: MAX_SIP_HEADER_COUNT + 1 }, (_, i) => `X-H${i}: v`).join(CRLF);
    expect(error(`OPTIONS sip:x@y SIP/2.0${CRLF}${many}${CRLF}${CRLF}`)).toBe(`more than ${MAX_SIP_HEADER_COUNT} headers`);
    const huge = `OPTIONS sip:x@y SIP/2.0${CRLF}X-Big: ${'a'.repeat(20_000)}${CRLF}${CRLF}`;
    expect(error(huge)).toMatch(/header section is \d+ bytes, limit 16384/);
  });

  it('rejects a header line without a colon and a continuation with nothing before it', () => {
    expect(error(`OPTIONS sip:x@y SIP/2.0${CRLF}garbage line${CRLF}${CRLF}`)).toMatch(/header line 2 is not "Name: value"/);
    expect(error(`OPTIONS sip:x@y SIP/2.0${CRLF}  folded: nothing${CRLF}${CRLF}`)).toBe('header line 2 is a continuation with nothing to continue');
  });

  it('keeps going with a warning when an optional header is malformed', () => {
    const msg = ok(`OPTIONS sip:x@y SIP/2.0${CRLF}Via: nonsense${CRLF}CSeq: abc${CRLF}From: <sip:unterminated${CRLF}l: 0${CRLF}${CRLF}`);
    expect(msg.via).toEqual([]);
    expect(msg.cseq).toBeUndefined();
    expect(msg.warnings).toEqual(['unparsable Via: "nonsense"', 'unparsable From: "<sip:unterminated"', 'unparsable CSeq: "abc"']);
  });

  it('survives random bytes without throwing', () => {
    let seed = 12345;
    for (let n = 0; n < 500; n++) {
      const len = (seed = (seed * 1103515245 + 12345) >>> 0) % 300;
      const bytes = Buffer.alloc(len);
      for (let i = 0; i < len; i++) bytes[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      if (n % 2 === 0) Buffer.from('OPTIONS sip:x SIP/2.0\r\n').copy(bytes);
      expect(() => decodeSip(bytes)).not.toThrow();
    }
  });
});

describe('building responses', () => {
  it('echoes every Via, From, Call-ID and CSeq and tags To', () => {
    const req = request(
      [
        'PUBLISH sip:collector SIP/2.0',
        'Via: SIP/2.0/UDP proxy:5060;branch=z9hG4bKp, SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bKa',
        'From: <sip:10.0.0.10>;tag=f1',
        't: <sip:collector>',
        'Call-ID: pub-7',
        'CSeq: 3 PUBLISH',
        'Content-Length: 0',
        '',
        '',
      ].join(CRLF),
    );
    const text = buildSipResponse(req, 200, 'OK', [['SIP-ETag', 'e1'], ['Expires', '3600']]);
    const res = ok(text);
    expect(res.kind).toBe('response');
    expect(text.split(CRLF).slice(0, 3)).toEqual(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP proxy:5060;branch=z9hG4bKp', 'Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bKa']);
    expect(res.from?.tag).toBe('f1');
    expect(res.to?.uri).toBe('sip:collector');
    expect(res.to?.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(res.callId).toBe('pub-7');
    expect(res.cseq).toEqual({ seq: 3, method: 'PUBLISH' });
    expect(sipHeader(res, 'SIP-ETag')).toBe('e1');
    expect(sipHeader(res, 'Server')).toBe('ipp-collector');
    expect(res.contentLength).toBe(0);
    expect(text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('answers a retransmission with byte-identical text', () => {
    const req = request(buildOptions({ source: { ip: '10.0.0.10', port: 5060 }, target: 'collector', callId: 'o-1' }));
    expect(buildSipResponse(req, 200, 'OK')).toBe(buildSipResponse(request(buildOptions({ source: { ip: '10.0.0.10', port: 5060 }, target: 'collector', callId: 'o-1' })), 200, 'OK'));
  });

  it('keeps an existing To tag, adds none to 100 Trying, and honours a given Server', () => {
    const req = request(`OPTIONS sip:x SIP/2.0${CRLF}To: <sip:x>;tag=keep${CRLF}Call-ID: a${CRLF}CSeq: 1 OPTIONS${CRLF}l: 0${CRLF}${CRLF}`);
    expect(ok(buildSipResponse(req, 200, 'OK')).to?.tag).toBe('keep');
    const untagged = request(`OPTIONS sip:x SIP/2.0${CRLF}To: <sip:x>${CRLF}l: 0${CRLF}${CRLF}`);
    expect(ok(buildSipResponse(untagged, 100, 'Trying')).to?.tag).toBeUndefined();
    expect(sipHeaders(ok(buildSipResponse(untagged, 200, 'OK', [['Server', 'test/1']])), 'Server')).toEqual(['test/1']);
  });

  it('fills received and rport on the top Via from the source address', () => {
    const req = request(buildOptions({ source: { ip: '10.0.0.10', port: 5060 }, target: 'collector', callId: 'o-2' }));
    const res = ok(buildSipResponse(req, 200, 'OK', [], { source: { address: '203.0.113.5', port: 40123 } }));
    expect(res.via[0]).toMatchObject({ host: '10.0.0.10', received: '203.0.113.5', rport: 40123 });
  });

  it('refuses extra header values that would inject lines', () => {
    const req = request(buildOptions({ source: { ip: '10.0.0.10', port: 5060 }, target: 'c', callId: 'o-3' }));
    expect(() => buildSipResponse(req, 200, 'OK', [['X', 'a\r\nVia: evil']])).toThrow(/line break/);
  });
});
