import { describe, it, expect } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeSip } from '../../parsers/sip.js';
import { SipStreamFramer, type SipStreamEvent } from '../../parsers/sip-stream.js';
import { MAX_SIP_HEADER_BYTES } from '../../parsers/sip.js';
import { buildOptions, buildQoeService, buildVqPublish } from '../../server/simulator/wire/sip.js';

const source = { ip: '10.0.0.10', port: 5060 };
const publish = buildVqPublish({
  collector: '10.0.0.1',
  source,
  publishCallId: 'pub-1',
  report: {
    callId: 'call-1',
    localId: '<sip:1000@10.0.0.10>',
    remoteId: '<sip:2000@10.0.0.20>',
    localAddr: { ip: '10.0.0.10', port: 6000, ssrc: 1 },
    remoteAddr: { ip: '10.0.0.20', port: 6000, ssrc: 2 },
    startMs: 0,
    stopMs: 60_000,
  },
});
const options = buildOptions({ source, target: '10.0.0.1', callId: 'opt-1' });
const service = buildQoeService({
  requestUri: 'sip:pool@contoso.com;gruu;opaque=srvr:QoE',
  source,
  serviceCallId: 'svc-1',
  transport: 'TLS',
  report: {
    version: 2,
    callId: 'call-2',
    fromTag: 'f',
    toTag: 't',
    startMs: 0,
    endMs: 1000,
    caller: true,
    fromUri: 'sip:alice@contoso.com',
    toUri: 'sip:bob@contoso.com',
    localUserAgent: 'AUDC-IPPhone/3.4.6.604 (445HD)',
    remoteUserAgent: 'UCCAPI/16.0',
    endpointName: '445HD',
    localAddr: { ip: '10.0.0.10', port: 40000 },
    remoteAddr: { ip: '10.0.0.20', port: 40002 },
    inbound: { jitterMs: 5, lossRate: 0.01 },
    outbound: { roundTripMs: 80 },
  },
});

function messages(events: readonly SipStreamEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'message' ? [e.bytes.toString('utf8')] : []));
}

describe('SIP stream framing', () => {
  it('returns several messages that arrive in one chunk, in order', () => {
    const framer = new SipStreamFramer();
    const result = framer.push(Buffer.from(publish + options + service));
    expect(result.error).toBeUndefined();
    expect(messages(result.events)).toEqual([publish, options, service]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('reassembles a message split across chunks at every possible byte', () => {
    const bytes = Buffer.from(publish);
    for (let cut = 1; cut < bytes.length; cut++) {
      const framer = new SipStreamFramer();
      const first = framer.push(bytes.subarray(0, cut));
      const second = framer.push(bytes.subarray(cut));
      expect([...messages(first.events), ...messages(second.events)]).toEqual([publish]);
    }
  });

  it('reassembles a message fed one byte at a time', () => {
    const framer = new SipStreamFramer();
    const out: string[] = [];
    for (const byte of Buffer.from(service + options)) out.push(...messages(framer.push(Uint8Array.of(byte)).events));
    expect(out).toEqual([service, options]);
  });

  it('frames bodies by Content-Length even when the body contains blank lines', () => {
    const body = 'line1\r\n\r\nline3\r\n';
    const msg = `MESSAGE sip:x SIP/2.0\r\nl: ${body.length}\r\n\r\n${body}`;
    const framer = new SipStreamFramer();
    const [only] = messages(framer.push(Buffer.from(msg + msg)).events);
    expect(only).toBe(msg);
    const decoded = decodeSip(Buffer.from(only!));
    expect(!isDecodeError(decoded) && decoded.body.length).toBe(body.length);
  });

  it('reports a CRLFCRLF keep-alive as a ping and skips a lone CRLF', () => {
    const framer = new SipStreamFramer();
    const events = [...framer.push(Buffer.from('\r\n\r\n')).events, ...framer.push(Buffer.from('\r\n' + options + '\r\n\r\n')).events];
    expect(events.map((e) => e.kind)).toEqual(['ping', 'message', 'ping']);
  });

  it('waits for the second half of a ping split across chunks', () => {
    const framer = new SipStreamFramer();
    expect(framer.push(Buffer.from('\r\n')).events).toEqual([]);
    expect(framer.push(Buffer.from('\r\n')).events).toEqual([{ kind: 'ping' }]);
  });

  it('reads a message without Content-Length as having no body', () => {
    const framer = new SipStreamFramer();
    const msg = 'OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\n\r\n';
    expect(messages(framer.push(Buffer.from(msg + msg)).events)).toEqual([msg, msg]);
  });
});

describe('SIP stream framing of hostile peers', () => {
  it('fails clearly when a header never ends, without buffering past the limit', () => {
    const framer = new SipStreamFramer();
    const head = 'OPTIONS sip:x SIP/2.0\r\nX-Endless: ';
    framer.push(Buffer.from(head));
    let error;
    let chunks = 0;
    for (; chunks < 100 && !error; chunks++) error = framer.push(Buffer.alloc(1024, 'a')).error;
    expect(chunks).toBe(16);
    expect(error?.message).toBe(`no end of headers within ${MAX_SIP_HEADER_BYTES} bytes (${head.length + 16 * 1024} buffered)`);
    expect(error?.offset).toBe(0);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('stays failed after an error', () => {
    const framer = new SipStreamFramer();
    const first = framer.push(Buffer.from('OPTIONS sip:x SIP/2.0\r\nl: nope\r\n\r\n'));
    expect(first.error?.message).toBe('Content-Length is not a number: "nope"');
    expect(framer.push(Buffer.from(options)).error).toBe(first.error);
  });

  it('refuses a Content-Length over the body limit before reading the body', () => {
    const framer = new SipStreamFramer();
    const result = framer.push(Buffer.from(options + 'MESSAGE sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n'));
    expect(messages(result.events)).toEqual([options]);
    expect(result.error?.message).toBe('Content-Length 999999999 exceeds limit 307200');
    expect(result.error?.offset).toBe(Buffer.byteLength(options));
  });

  it('refuses conflicting Content-Length values rather than guess where the message ends', () => {
    const result = new SipStreamFramer().push(Buffer.from('MESSAGE sip:x SIP/2.0\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n'));
    expect(result.error?.message).toBe('conflicting Content-Length values: "0", "40"');
  });

  it('rejects garbage header lines with the stream offset', () => {
    const framer = new SipStreamFramer();
    const result = framer.push(Buffer.from('\r\nGET / HTTP/1.1\r\nno colon here\r\n\r\n'));
    expect(result.error).toMatchObject({ format: 'sip-stream', offset: 2 });
  });
});
