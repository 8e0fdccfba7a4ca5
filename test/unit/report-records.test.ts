import { describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeSip, type SipRequest } from '../../parsers/sip.js';
import { decodeSipReport, isRefusal, reportToCallRecords, type DecodedSipReport } from '../../server/pipeline/quality/report-records.js';
import { buildQoeService, buildSipRequest, buildVqPublish } from '../../server/simulator/wire/sip.js';

/** RFC 6035 §4.7.3 F13 as the spec renders it: folded lines, bare-hex SSRC, STOP before START. */
const RFC6035_F13 = [
  'VQSessionReport: CallTerm',
  'CallID: 6dg37f1890463',
  'LocalID: Alice <sip:alice@example.org>',
  'RemoteID: Bill <sip:bill@example.net>',
  'OrigID: Alice <sip:alice@example.org>',
  'LocalGroup: example-phone-55671',
  'RemoteGroup: example-gateway-09871',
  'LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=1a3b5c7d',
  'LocalMAC: 00:00:5e:00:53:01',
  'RemoteAddr:IP=198.51.100.150 PORT=5002 SSRC=0x2468abcd',
  'RemoteMAC: 00:00:5e:00:53:02',
  'LocalMetrics:',
  'Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z',
  'SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50',
  '                FMTP="annexb=no" PLC=3 SSUP=on',
  'JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120',
  'PacketLoss:NLR=5.0 JDR=2.0',
  'BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16',
  'Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10',
  'Signal:SL=-21 NL=-50 RERL=55',
  'QualityEst:RLQ=90 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3',
  '  QoEEstAlg=P.564',
  'RemoteMetrics:',
  'Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z',
  'SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50',
  'JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120',
  'PacketLoss:NLR=5.0 JDR=2.0',
  'Signal:SL=-21 NL=-45 RERL=127',
  'QualityEst:RLQ=90 RCQ=85 MOSLQ=4.3 MOSCQ=4.2',
  'DialogID:1890463548@alice.example.org;to-tag=8472761;',
  '   from-tag=9123dh311',
  '',
].join('\r\n');

function request(text: string): SipRequest {
  const m = decodeSip(text);
  if (isDecodeError(m) || m.kind !== 'request') throw new Error('bad fixture');
  return m;
}

function publish(body: string, over: { event?: string; contentType?: string } = {}): SipRequest {
  return request(buildSipRequest({
    method: 'PUBLISH', requestUri: 'sip:collector', from: '<sip:p@x>', fromTag: 'a', to: '<sip:collector>', callId: 'pub', cseq: 1,
    source: { ip: '192.0.2.100', port: 5060 }, headers: [['Event', over.event ?? 'vq-rtcpxr']], contentType: over.contentType ?? 'application/vq-rtcpxr', body,
  }));
}

function decoded(req: SipRequest): DecodedSipReport {
  const d = decodeSipReport(req);
  if (d === null || isRefusal(d)) throw new Error(`not a report: ${JSON.stringify(d)}`);
  return d;
}

describe('quality reports as call records', () => {
  it('makes one call record per report of a PUBLISH that carries an interval and a session report', () => {
    const interval = RFC6035_F13.replace('VQSessionReport: CallTerm', 'VQIntervalReport');
    const recs = reportToCallRecords(decoded(publish(interval + RFC6035_F13)), { receivedMs: 0 });
    expect(recs.map((r) => [r.keys.sipCallId, r.streams[0]!.samples[0]!.source])).toEqual([['6dg37f1890463', 'vq-interval'], ['6dg37f1890463', 'vq-session']]);
  });

  it('takes a report that follows a stray line, keeping the line raw on the report', () => {
    const d = decoded(publish('Report follows\r\n' + RFC6035_F13));
    if (d.kind !== 'vq-rtcpxr') throw new Error('not a vq report');
    expect(d.reports.map((r) => [r.callId, r.unparsedLines])).toEqual([['6dg37f1890463', ['Report follows']]]);
    expect(reportToCallRecords(d, { receivedMs: 0 })).toHaveLength(1);
  });

  it('refuses a body with no report in it, saying why', () => {
    const d = decodeSipReport(publish('hello\r\nworld\r\n'));
    expect(isRefusal(d) && d.status).toBe(400);
  });

  it('maps the RFC 6035 example: the body CallID, both SSRCs, ordered times, rx from LocalMetrics and tx from RemoteMetrics', () => {
    const [rec] = reportToCallRecords(decoded(publish(RFC6035_F13)), { receivedMs: 0, deviceId: 3 });
    const start = Date.UTC(2004, 9, 1, 18, 26, 2);
    const end = Date.UTC(2004, 9, 10, 18, 23, 43);
    expect(rec!.keys).toEqual({
      sipCallId: '6dg37f1890463', localId: 'Alice <sip:alice@example.org>', remoteId: 'Bill <sip:bill@example.net>', deviceId: 3,
      ssrcs: [0x1a3b5c7d, 0x2468abcd], media: [{ addr: '192.0.2.100', port: 5000 }, { addr: '198.51.100.150', port: 5002 }], startMs: start, endMs: end,
    });
    expect(rec!.info).toEqual({ codec: 'G729', active: false });
    expect(rec!.segments).toEqual([{ startMs: start, endMs: end, reason: 'report', codec: 'G729' }]);
    const [rx, tx] = rec!.streams;
    expect(rx).toMatchObject({ direction: 'rx', ssrc: 0x2468abcd, localAddr: '192.0.2.100', localPort: 5000, remoteAddr: '198.51.100.150', remotePort: 5002, payloadType: 18, codec: 'G729' });
    expect(rx!.samples).toEqual([{
      source: 'vq-session', startMs: start, endMs: end,
      metrics: {
        mosLq: 4.2, mosCq: 4.3, rFactor: 90, lossPct: 5, discardPct: 2, burstDensityPct: 0, burstDurationMs: 0, gapDensityPct: 2, gapDurationMs: 500,
        jitterMs: 2, jitterBufferNominalMs: 40, jitterBufferMaxMs: 80, roundTripMs: 200, endSystemDelayMs: 140, signalLevelDb: -21, noiseLevelDb: -50,
        residualEchoReturnLossDb: 55,
      },
    }]);
    expect(tx).toMatchObject({ direction: 'tx', ssrc: 0x1a3b5c7d });
    // RERL=127 is "unavailable": no value rather than a bogus 127 dB.
    expect(tx!.samples[0]!.metrics).not.toHaveProperty('residualEchoReturnLossDb');
    expect(tx!.samples[0]!.metrics.noiseLevelDb).toBe(-45);
  });

  it('marks interval reports as an ongoing call without a segment, and alerts as vq-alert samples', () => {
    const base = { callId: 'c@x', localId: '<sip:a@x>', remoteId: '<sip:b@x>', localAddr: { ip: '10.0.0.1', port: 1, ssrc: 1 }, remoteAddr: { ip: '10.0.0.2', port: 2, ssrc: 2 }, startMs: 0, stopMs: 5000 };
    const body = (kind: 'interval' | 'alert') => buildVqPublish({ collector: 'c', source: { ip: '10.0.0.1', port: 5060 }, publishCallId: 'p', report: { ...base, kind } });
    const [interval] = reportToCallRecords(decoded(request(body('interval'))), { receivedMs: 0 });
    expect(interval!.info.active).toBe(true);
    expect(interval!.segments).toEqual([]);
    expect(interval!.streams[0]!.samples[0]!.source).toBe('vq-interval');
    const [alert] = reportToCallRecords(decoded(request(body('alert'))), { receivedMs: 0 });
    expect(alert!.streams[0]!.samples[0]!.source).toBe('vq-alert');
  });

  it('falls back to the receive time when a report has no timestamps', () => {
    const [rec] = reportToCallRecords(decoded(publish('VQSessionReport\r\nCallID=x@y\r\nLocalMetrics:\r\nPacketLoss: NLR=1.0\r\n')), { receivedMs: 1234 });
    expect(rec!.keys).toMatchObject({ sipCallId: 'x@y', startMs: 1234, endMs: 1234 });
    expect(rec!.streams[0]!.samples[0]).toMatchObject({ startMs: 1234, endMs: 1234, metrics: { lossPct: 1 } });
  });

  it('maps QoE XML: loss fraction to percent, listening MOS by direction, callee reports swap local and remote', () => {
    const svc = request(buildQoeService({
      requestUri: 'sip:qoe', source: { ip: '10.0.0.10', port: 5060 }, serviceCallId: 's',
      report: {
        version: 1, callId: 'q@x', fromTag: 'f', toTag: 't', startMs: 1000, endMs: 61_000, caller: false, fromUri: 'sip:alice@c', toUri: 'sip:bob@c',
        localUserAgent: 'AUDC', remoteUserAgent: 'x', endpointName: 'e', localAddr: { ip: '10.0.0.10', port: 40000 }, remoteAddr: { ip: '10.0.0.20', port: 40002 },
        inbound: { lossRate: 0.05, jitterMs: 12, jitterMaxMs: 31, burstDensity: 0.25, recvListenMos: 3.9, degradationAvg: 0.4, packets: 8100, codec: 'PCMA', payloadType: 8 },
        outbound: { roundTripMs: 180, sendListenMos: 4.1 },
      },
    }));
    const [rec] = reportToCallRecords(decoded(svc), { receivedMs: 0 });
    expect(rec!.keys).toMatchObject({ sipCallId: 'q@x', localId: 'sip:bob@c', remoteId: 'sip:alice@c', startMs: 1000, endMs: 61_000 });
    expect(rec!.info).toEqual({ codec: 'PCMA', active: false });
    const [rx, tx] = rec!.streams;
    expect(rx).toMatchObject({ direction: 'rx', localPort: 40000, remotePort: 40002, codec: 'PCMA', payloadType: 8 });
    expect(rx!.samples[0]!.metrics).toEqual({ mosLq: 3.9, lossPct: 5, burstDensityPct: 25, jitterMs: 12, jitterMaxMs: 31, degradationMos: 0.4, packets: 8100 });
    expect(tx!.samples[0]).toMatchObject({ source: 'ms-qoe', metrics: { mosLq: 4.1, roundTripMs: 180 } });
  });

  it('refuses what is not a report with the status SIP expects and a reason that says why', () => {
    const wrongType = decodeSipReport(publish('x', { contentType: 'text/plain' }));
    expect(wrongType).toEqual({ status: 415, reason: 'Unsupported Media Type text/plain, expected application/vq-rtcpxr', headers: [['Accept', 'application/vq-rtcpxr']] });
    expect(decodeSipReport(publish('x', { event: 'presence' }))).toMatchObject({ status: 489, headers: [['Allow-Events', 'vq-rtcpxr']] });
    expect(decodeSipReport(publish('garbage'))).toMatchObject({ status: 400, reason: expect.stringMatching(/^Bad vq-rtcpxr body: line 1 is not a VQSessionReport/) as unknown });
    expect(decodeSipReport(publish(''))).toBeNull();
    const huge = decodeSipReport(publish(`VQSessionReport\r\n${'x'.repeat(70_000)}`));
    expect(huge).toMatchObject({ status: 400, reason: expect.stringMatching(/limit 65536/) as unknown });
  });
});
