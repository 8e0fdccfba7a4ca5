import { describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeSip, sipHeader, type SipResponse } from '../../parsers/sip.js';
import type { CallCorrelator } from '../../server/calls/correlator.js';
import type { CallRecord } from '../../server/calls/model.js';
import { Counters } from '../../server/counters.js';
import { SipReportReceiver } from '../../server/pipeline/quality/sip-receiver.js';
import { buildSipRequest, buildVqPublish } from '../../server/simulator/wire/sip.js';

const FROM = { address: '10.0.0.5', port: 5060 };

function setup(ingest: (r: CallRecord) => Promise<unknown> = async () => ({})) {
  const stored: CallRecord[] = [];
  const counters = new Counters();
  const devices: Array<[string, string | undefined]> = [];
  const receiver = new SipReportReceiver({
    correlator: { ingest: async (r: CallRecord) => { await ingest(r); stored.push(r); } } as unknown as CallCorrelator,
    counters,
    deviceFor: (address, mac) => { devices.push([address, mac]); return 9; },
    now: () => Date.UTC(2026, 10, 26),
  });
  return { receiver, stored, counters, devices };
}

function res(text: string | null): SipResponse {
  if (text === null) throw new Error('no answer');
  const m = decodeSip(text);
  if (isDecodeError(m) || m.kind !== 'response') throw new Error('not a response');
  return m;
}

const pub = () => buildVqPublish({
  collector: '10.0.0.1', source: { ip: '10.0.0.5', port: 5060 }, publishCallId: 'pub-1',
  report: { callId: 'c@x', localId: '<sip:a@x>', remoteId: '<sip:b@x>', localAddr: { ip: '10.0.0.5', port: 1, ssrc: 1 }, remoteAddr: { ip: '10.0.0.9', port: 2, ssrc: 2 }, localMac: '00-90-8F-57-D9-71', startMs: 0, stopMs: 1000 },
});

describe('SIP report receiver', () => {
  it('stores a PUBLISH once, answers 200 with SIP-ETag and Expires, and ties it to the device by its LocalMAC', async () => {
    const { receiver, stored, counters, devices } = setup();
    const r = res(await receiver.handle('sip-udp', Buffer.from(pub()), FROM));
    expect([r.status, sipHeader(r, 'Expires')]).toEqual([200, '3600']);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.keys.deviceId).toBe(9);
    expect(devices).toEqual([['10.0.0.5', '00:90:8f:57:d9:71']]);
    expect(counters.snapshot()['sip-udp']).toMatchObject({ received: 1, parsed: 1, stored: 1, malformed: 0 });
  });

  it('answers a retransmission with the same bytes and does not store it again', async () => {
    const { receiver, stored } = setup();
    const a = await receiver.handle('sip-udp', Buffer.from(pub()), FROM);
    const b = await receiver.handle('sip-udp', Buffer.from(pub()), FROM);
    expect(b).toBe(a);
    expect(stored).toHaveLength(1);
  });

  it('answers 500 when the store fails, and stores the retransmission that follows', async () => {
    let fail = true;
    const { receiver, stored, counters } = setup(async () => { if (fail) throw new Error('disk full'); });
    const first = res(await receiver.handle('sip-udp', Buffer.from(pub()), FROM));
    expect([first.status, first.reason, sipHeader(first, 'Retry-After')]).toEqual([500, 'Server Internal Error: report not stored (disk full)', '5']);
    fail = false;
    expect(res(await receiver.handle('sip-udp', Buffer.from(pub()), FROM)).status).toBe(200);
    expect(stored).toHaveLength(1);
    expect(counters.snapshot()['sip-udp']).toMatchObject({ dropped: 1, stored: 1 });
  });

  it('keeps the entity tag of a refresh (SIP-If-Match) and caps Expires at an hour', async () => {
    const { receiver } = setup();
    const refresh = buildSipRequest({
      method: 'PUBLISH', requestUri: 'sip:c', from: '<sip:a@x>', fromTag: 'f', to: '<sip:c>', callId: 'pub-9', cseq: 2, source: { ip: '10.0.0.5', port: 5060 },
      headers: [['Event', 'vq-rtcpxr'], ['SIP-If-Match', 'abc123'], ['Expires', '86400']],
    });
    const r = res(await receiver.handle('sip-udp', Buffer.from(refresh), FROM));
    expect([r.status, sipHeader(r, 'SIP-ETag'), sipHeader(r, 'Expires')]).toEqual([200, 'abc123', '3600']);
  });

  it('answers 400 to a request missing Call-ID or with a CSeq of another method, and nothing without a Via', async () => {
    const { receiver, counters } = setup();
    const noCallId = 'OPTIONS sip:c SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:c>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const r1 = res(await receiver.handle('sip-udp', Buffer.from(noCallId), FROM));
    expect([r1.status, r1.reason]).toEqual([400, 'Bad Request: missing Call-ID']);
    const mismatch = buildSipRequest({ method: 'OPTIONS', requestUri: 'sip:c', from: '<sip:a@x>', fromTag: 'f', to: '<sip:c>', callId: 'm', cseq: 1, source: { ip: '10.0.0.5', port: 5060 } }).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
    expect(res(await receiver.handle('sip-udp', Buffer.from(mismatch), FROM)).reason).toBe('Bad Request: CSeq method INVITE is not OPTIONS');
    const noVia = 'OPTIONS sip:c SIP/2.0\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:c>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n';
    expect(await receiver.handle('sip-udp', Buffer.from(noVia), FROM)).toBeNull();
    expect(await receiver.handle('sip-udp', Buffer.from([0, 1, 2, 0xff]), FROM)).toBeNull();
    expect(counters.snapshot()['sip-udp']?.malformed).toBe(4);
  });

  it('keeps reason phrases on one line however the decoder error reads', async () => {
    const { receiver } = setup();
    // No report line anywhere: the decoder's error quotes the hostile first line.
    const body = `${'\u0007'.repeat(10)}CallID=${'x'.repeat(400)}\r\n`;
    const bad = buildSipRequest({
      method: 'PUBLISH', requestUri: 'sip:c', from: '<sip:a@x>', fromTag: 'f', to: '<sip:c>', callId: 'long', cseq: 1, source: { ip: '10.0.0.5', port: 5060 },
      headers: [['Event', 'vq-rtcpxr']], contentType: 'application/vq-rtcpxr', body: `Hello ${body}`,
    });
    const r = res(await receiver.handle('sip-udp', Buffer.from(bad), FROM));
    expect(r.status).toBe(400);
    expect(r.reason.length).toBeLessThanOrEqual(160);
    expect(r.reason).not.toMatch(/[\r\n\x00-\x1f]/);
  });
});
