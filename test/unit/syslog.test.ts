import { describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeSyslog, type SyslogMessage } from '../../parsers/syslog.js';

const RECEIVED = Date.UTC(2026, 10, 26, 10, 0, 5);
const enc = new TextEncoder();

function decode(text: string | Uint8Array, referenceMs = RECEIVED): SyslogMessage[] {
  const out = decodeSyslog(typeof text === 'string' ? enc.encode(text) : text, { referenceMs });
  if (isDecodeError(out)) throw new Error(`unexpected decode error: ${out.message}`);
  return out;
}

function one(text: string | Uint8Array, referenceMs = RECEIVED): SyslogMessage {
  const msgs = decode(text, referenceMs);
  expect(msgs).toHaveLength(1);
  return msgs[0]!;
}

describe('RFC 3164', () => {
  it('reads a busybox line without hostname, taking the first token as the tag', () => {
    const m = one('<30>Nov 26 10:00:01 voip_task[412]: call 17 started');
    expect(m).toMatchObject({
      format: 'rfc3164', facility: 3, severity: 6, timestamp: 'Nov 26 10:00:01', hostname: null, app: 'voip_task',
      pid: '412', message: 'call 17 started', warnings: [],
    });
    expect(m.timestampMs).toBe(Date.UTC(2026, 10, 26, 10, 0, 1));
  });

  it('reads a line with hostname and tag', () => {
    const m = one('<134>Nov  6 09:08:07 ipphone-440 nxphone: main screen redraw');
    expect(m).toMatchObject({ facility: 16, severity: 6, hostname: 'ipphone-440', app: 'nxphone', pid: null, message: 'main screen redraw' });
    expect(m.timestamp).toBe('Nov  6 09:08:07');
  });

  it('reads a hostname followed by text with no tag', () => {
    const m = one('<13>Nov 26 10:00:01 phone7 link up');
    expect(m.hostname).toBe('phone7');
    expect(m.app).toBeNull();
    expect(m.message).toBe('link up');
  });

  it('gives a December line received in January last year', () => {
    const m = one('<14>Dec 31 23:59:59 kernel: tick', Date.UTC(2027, 0, 1, 0, 0, 2));
    expect(m.timestampMs).toBe(Date.UTC(2026, 11, 31, 23, 59, 59));
  });

  it('keeps milliseconds and an explicit year', () => {
    expect(one('<14>Nov 26 2025 10:00:01.250 dsp: x').timestampMs).toBe(Date.UTC(2025, 10, 26, 10, 0, 1, 250));
  });

  it('accepts an ISO timestamp in a 3164 line (rsyslog templates)', () => {
    const m = one('<14>2026-11-26T10:00:01.5+02:00 host1 lighttpd[9]: GET /');
    expect(m).toMatchObject({ hostname: 'host1', app: 'lighttpd', pid: '9', message: 'GET /' });
    expect(m.timestampMs).toBe(Date.UTC(2026, 10, 26, 8, 0, 1, 500));
  });

  it('keeps a line with PRI but no timestamp, saying so', () => {
    const m = one('<11>ac_watchdog: process voip_task restarted');
    expect(m).toMatchObject({ severity: 3, app: 'ac_watchdog', message: 'process voip_task restarted', timestamp: null });
    expect(m.warnings).toContain('no timestamp');
  });
});

describe('RFC 5424', () => {
  it('reads every header field and structured data with escapes', () => {
    const m = one('<165>1 2026-11-26T10:00:00.123Z phone1.example.com sip_stack 412 ID47 [exampleSDID@32473 iut="3" eventSource="App\\"lication" eventID="1011"][meta seq="9"] An application event');
    expect(m).toMatchObject({
      format: 'rfc5424', facility: 20, severity: 5, hostname: 'phone1.example.com', app: 'sip_stack', pid: '412', msgid: 'ID47',
      message: 'An application event',
    });
    expect(m.timestampMs).toBe(Date.UTC(2026, 10, 26, 10, 0, 0, 123));
    expect(m.structuredData).toEqual([
      { id: 'exampleSDID@32473', params: { iut: '3', eventSource: 'App"lication', eventID: '1011' } },
      { id: 'meta', params: { seq: '9' } },
    ]);
  });

  it('reads nil values and strips the UTF-8 BOM from the message', () => {
    const m = one('<14>1 - - - - - - \uFEFFhello');
    expect(m).toMatchObject({ timestamp: null, hostname: null, app: null, pid: null, msgid: null, structuredData: null, message: 'hello' });
  });

  it('keeps malformed structured data in the message and warns', () => {
    const m = one('<14>1 2026-11-26T10:00:00Z h a p m [broken no close');
    expect(m.message).toBe('[broken no close');
    expect(m.warnings).toContain('malformed structured data: kept in the message');
  });

  it('warns about a truncated header instead of failing', () => {
    const m = one('<14>1 2026-11-26T10:00:00Z host');
    expect(m.format).toBe('rfc5424');
    expect(m.hostname).toBe('host');
    expect(m.warnings).toContain('RFC 5424 header truncated');
  });
});

describe('several lines in one datagram', () => {
  it('splits messages at each PRI and keeps each raw line exactly', () => {
    const text = '<134>Nov 26 10:00:01 voip_task[412]: one\n<131>Nov 26 10:00:02 dsp[400]: two\r\n<135>Nov 26 10:00:03 sip_stack: three';
    const msgs = decode(text);
    expect(msgs.map((m) => m.message)).toEqual(['one', 'two', 'three']);
    expect(msgs.map((m) => new TextDecoder().decode(m.raw))).toEqual([
      '<134>Nov 26 10:00:01 voip_task[412]: one', '<131>Nov 26 10:00:02 dsp[400]: two', '<135>Nov 26 10:00:03 sip_stack: three',
    ]);
  });

  it('joins a SIP message logged over several lines into one message', () => {
    const text = '<135>Nov 26 10:00:01 sip_stack[412]: ---- Outgoing SIP message ----\nINVITE sip:4402@contoso.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1\n<sip:4402@contoso.com>;tag=1\nContent-Length: 0';
    const m = one(text);
    expect(m.message.split('\n')).toHaveLength(5);
    expect(m.message).toContain('INVITE sip:4402@contoso.com SIP/2.0');
    expect(new TextDecoder().decode(m.raw)).toBe(text);
  });

  it('starts a new message at a header line that lacks its own PRI, inheriting the datagram PRI', () => {
    const msgs = decode('<131>Nov 26 10:00:01 dsp: a\nNov 26 10:00:02 nxphone: b');
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toMatchObject({ app: 'nxphone', severity: 3, message: 'b' });
    expect(msgs[1]!.warnings[0]).toMatch(/inherited/);
  });

  it('says where the message begins in the raw bytes only where it is exactly their tail', () => {
    const tail = (m: SyslogMessage) => new TextDecoder().decode(m.raw.subarray(m.messageAt!));
    const [plain, crlf, sip] = decode('<134>Nov 26 10:00:01 voip_task[412]: call 17\n<131>Nov 26 10:00:02 dsp[400]: a\r\n'
      + '<135>Nov 26 10:00:03 sip_stack: INVITE sip:a SIP/2.0\nVia: x');
    expect(tail(plain!)).toBe('call 17');
    expect(tail(crlf!)).toBe('a');
    expect(tail(sip!)).toBe('INVITE sip:a SIP/2.0\nVia: x');
    // Told apart from the bytes, so the text is kept on its own: a CR inside, an escape, non-ASCII text.
    expect(one('<135>Nov 26 10:00:03 sip_stack: INVITE\r\nVia: x').messageAt).toBeNull();
    expect(one('<14>Nov 26 10:00:01 sip_stack: a#012b').messageAt).toBeNull();
    expect(one('<14>Nov 26 10:00:01 nxphone: Müller calling').messageAt).toBeNull();
  });

  it('turns rsyslog #012 escapes back into new lines', () => {
    expect(one('<14>Nov 26 10:00:01 sip_stack: INVITE sip:a SIP/2.0#012Via: x#011y').message).toBe('INVITE sip:a SIP/2.0\nVia: x\ty');
  });
});

describe('AudioCodes console form', () => {
  it('reads time, address, severity word, sequence number and session id', () => {
    const m = one('13:10:57.811 : 10.13.4.12 : NOTICE : [S=235][SID:2ed1c8:96:5] (lgr_flow)(63) UdpTransportObject#0- Adding socket event');
    expect(m).toMatchObject({ format: 'audiocodes', timestamp: '13:10:57.811', hostname: '10.13.4.12', severity: 5, seq: 235, sid: '2ed1c8:96:5', app: 'lgr_flow', pid: '63' });
  });

  it('finds [S=n] and [BID=…] in a syslog line', () => {
    const m = one('<133>Nov 26 10:00:01 voip_task: [S=872] [BID=3aad56:32] Activity Log: WEB: Successful login');
    expect(m.seq).toBe(872);
    expect(m.sid).toBe('3aad56:32');
  });
});

describe('hostile and odd input', () => {
  it('rejects an empty datagram', () => {
    const out = decodeSyslog(new Uint8Array(0), { referenceMs: RECEIVED });
    expect(isDecodeError(out) && out.message).toBe('empty datagram');
  });

  it('rejects binary garbage with the offset of the first bad byte', () => {
    const out = decodeSyslog(new Uint8Array([0x3c, 0x31, 0x3e, 0x00, 0x01, 0x02, 0xff, 0x10, 0x11]), { referenceMs: RECEIVED });
    expect(isDecodeError(out)).toBe(true);
    if (isDecodeError(out)) {
      expect(out.message).toMatch(/binary/);
      expect(out.offset).toBe(3);
    }
  });

  it('rejects a datagram of white space', () => {
    expect(isDecodeError(decodeSyslog(enc.encode(' \n\r\n '), { referenceMs: RECEIVED }))).toBe(true);
  });

  it('keeps a truncated PRI as text with a warning', () => {
    const m = one('<13');
    expect(m).toMatchObject({ format: 'raw', facility: null, severity: null, message: '<13' });
    expect(m.warnings).toContain('invalid PRI: kept as text');
  });

  it('keeps an out-of-range PRI as text', () => {
    expect(one('<999>Nov 26 10:00:01 x: y').warnings).toContain('invalid PRI: kept as text');
  });

  it('keeps a line with no syslog header at all', () => {
    const m = one('plain text from a misconfigured sender');
    expect(m).toMatchObject({ format: 'raw', message: 'plain text from a misconfigured sender' });
    expect(m.warnings).toContain('no PRI');
  });

  it('tolerates a trailing NUL terminator', () => {
    expect(one('<14>Nov 26 10:00:01 dsp: x\0').message).toBe('x');
  });

  it('keeps non-UTF-8 bytes in raw and replaces them in the message', () => {
    const bytes = new Uint8Array([...enc.encode('<14>Nov 26 10:00:01 lib: caf'), 0xe9, 0x20, 0x21]);
    const m = one(bytes);
    expect(m.message).toBe('caf\uFFFD !');
    expect([...m.raw]).toEqual([...bytes]);
  });

  it('decodes a 64 KiB line whole', () => {
    const body = 'x'.repeat(64 * 1024);
    const m = one(`<14>Nov 26 10:00:01 voip_task: ${body}`);
    expect(m.message.length).toBe(64 * 1024);
  });

  it('keeps control characters and bidi overrides as data, not dropping the line', () => {
    const m = one('<14>Nov 26 10:00:01 nxphone: <script>alert(1)</script> \u202Eevil \u001b[31mred');
    expect(m.message).toBe('<script>alert(1)</script> \u202Eevil \u001b[31mred');
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 300);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = rnd() < 0.7 ? 0x20 + Math.floor(rnd() * 95) : Math.floor(rnd() * 256);
      if (rnd() < 0.5 && len > 4) bytes.set(enc.encode('<14>'), 0);
      expect(() => decodeSyslog(bytes, { referenceMs: RECEIVED })).not.toThrow();
    }
  });
});

describe('the rest of the site: SBCs, gateways and relays', () => {
  it('reads a Mediant sequence tag with or without spaces around "=", and the session id', () => {
    expect(one('<134>Dec  6 10:00:01 10.1.1.20 [S=123] [SID=3f2a1b:7:55] (N 44) INVITE sent').seq).toBe(123);
    expect(one('<134>Dec  6 10:00:01 10.1.1.20 [S = 124] [SID = 3f2a1b:7:56] call connected')).toMatchObject({ seq: 124, sid: '3f2a1b:7:56' });
    expect(one('<134>Dec  6 10:00:01 10.1.1.20 [SID:3F2A1B:7:57] x').sid).toBe('3f2a1b:7:57');
  });

  it('takes the phone\'s own header from behind a relay\'s date and host, naming the relay in a warning', () => {
    const m = one('<134>Dec  6 10:00:09 relay-1 Dec  6 10:00:01 10.1.1.5 voip_task[412]: relayed once');
    expect(m).toMatchObject({ hostname: '10.1.1.5', app: 'voip_task', pid: '412', message: 'relayed once', timestamp: 'Dec  6 10:00:01', facility: 16, severity: 6 });
    expect(m.warnings).toEqual(['relay header removed (relay-1, Dec  6 10:00:09)']);
  });

  it('takes the phone\'s PRI and header from behind an ISO-dated relay prefix, and from behind a bare relay date', () => {
    const m = one('<14>2026-12-06T10:00:09Z relay-2 <131>Dec  6 10:00:01 10.1.1.6 nxphone: inner pri wins');
    expect(m).toMatchObject({ hostname: '10.1.1.6', app: 'nxphone', facility: 16, severity: 3, message: 'inner pri wins' });
    const bare = one('<134>Dec  6 10:00:09 Dec  6 10:00:01 10.1.1.7 lighttpd: date only');
    expect(bare).toMatchObject({ hostname: '10.1.1.7', app: 'lighttpd', message: 'date only' });
    expect(bare.warnings).toEqual(['relay header removed (no host, Dec  6 10:00:09)']);
  });

  it('reads a Mediant line with no syslog header: PRI, sequence and session tags, then the task', () => {
    const m = one('<133>  [S=4711] [SID=9c2d11:12:3456] ( lgr_sbc)( 4710)   leg 2 answered');
    expect(m).toMatchObject({ format: 'rfc3164', facility: 16, severity: 5, seq: 4711, sid: '9c2d11:12:3456', app: 'lgr_sbc', pid: '4710', hostname: null });
    expect(m.message).toBe('  [S=4711] [SID=9c2d11:12:3456] ( lgr_sbc)( 4710)   leg 2 answered');
    expect(m.warnings).toEqual(['no timestamp']);
    expect(one('<134>[S = 4712] [SID = 9c2d11:12:3457] call released')).toMatchObject({ seq: 4712, sid: '9c2d11:12:3457', app: null });
  });

  it('keeps a Mediant sequence tag where RFC 5424 structured data would go as text, so its number is not lost', () => {
    const m = one('<134>1 2026-12-06T10:00:02Z sbc-2 - - - [S=4713] [SID=9c2d11:12:3458] media up');
    expect(m).toMatchObject({ format: 'rfc5424', hostname: 'sbc-2', structuredData: null, seq: 4713, sid: '9c2d11:12:3458', message: '[S=4713] [SID=9c2d11:12:3458] media up' });
    expect(m.warnings).toEqual(['malformed structured data: kept in the message']);
  });

  it('takes the phone\'s header from behind a relay that wrote only its host, with or without a PRI of its own', () => {
    const m = one('<134>relay-3 Dec  6 10:00:01 10.1.1.8 nxphone[389]: host-only relay');
    expect(m).toMatchObject({ hostname: '10.1.1.8', app: 'nxphone', pid: '389', timestamp: 'Dec  6 10:00:01', severity: 6, message: 'host-only relay' });
    expect(m.warnings).toEqual(['relay header removed (relay-3, no time)']);
    const bare = one('relay-3 <131>Dec  6 10:00:02 10.1.1.8 nxphone: no relay PRI');
    expect(bare).toMatchObject({ hostname: '10.1.1.8', app: 'nxphone', facility: 16, severity: 3, message: 'no relay PRI' });
    expect(bare.warnings).toEqual(['relay header removed (relay-3, no time)']);
  });

  it('takes an AudioCodes console line from behind a relay, keeping its own severity word and time', () => {
    const m = one('<134>Dec  6 10:00:09 relay-4 10:00:01.500 : 10.1.1.9 : WARNING : [S=88] (lgr_flow)(12) socket busy');
    expect(m).toMatchObject({ format: 'audiocodes', hostname: '10.1.1.9', severity: 4, timestamp: '10:00:01.500', timestampMs: null, seq: 88, app: 'lgr_flow', pid: '12' });
    expect(m.warnings).toEqual(['relay header removed (relay-4, Dec  6 10:00:09)']);
  });

  it('takes the phone\'s line that a relay wrapped whole as its RFC 5424 message, keeping the relay\'s structured data', () => {
    const m = one('<134>1 2026-12-06T10:00:09Z relay-5 - - - [origin ip="10.1.1.6"] <131>Dec  6 10:00:01 10.1.1.6 voip_task[412]: wrapped');
    expect(m).toMatchObject({ format: 'rfc3164', hostname: '10.1.1.6', app: 'voip_task', pid: '412', severity: 3, message: 'wrapped', timestamp: 'Dec  6 10:00:01' });
    expect(m.structuredData).toEqual([{ id: 'origin', params: { ip: '10.1.1.6' } }]);
    expect(m.warnings).toEqual(['relay header removed (relay-5, 2026-12-06T10:00:09Z)']);
  });

  it('keeps RFC 5424 structured data as elements beside the message', () => {
    const m = one('<134>1 2026-12-06T10:00:01.123Z sbc-1 sbc 77 CALL [meta sequenceId="9"][ac@5003 sid="12" dir="in"] leg up');
    expect(m.structuredData).toEqual([{ id: 'meta', params: { sequenceId: '9' } }, { id: 'ac@5003', params: { sid: '12', dir: 'in' } }]);
    expect(m.message).toBe('leg up');
  });
});
