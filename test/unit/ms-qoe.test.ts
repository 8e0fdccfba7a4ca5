import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeMsQoe, MAX_QOE_DEPTH, MAX_QOE_ELEMENTS, MAX_QOE_XML_BYTES, type MsQoeReport } from '../../parsers/ms-qoe.js';
import { buildQoeXml, type QoeReportOptions } from '../../server/simulator/wire/sip.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/qoe/${name}`, import.meta.url), 'utf8');
}

function decode(xml: string | Uint8Array): MsQoeReport {
  const report = decodeMsQoe(xml);
  if (isDecodeError(report)) throw new Error(`unexpected decode error: ${report.message}`);
  return report;
}

function error(xml: string | Uint8Array): string {
  const result = decodeMsQoe(xml);
  if (!isDecodeError(result)) throw new Error('expected a decode error');
  return result.message;
}

const GENERATED: QoeReportOptions = {
  version: 4,
  callId: 'gen-call@10.0.0.10',
  fromTag: 'f1',
  toTag: 't1',
  startMs: Date.UTC(2024, 1, 2, 3, 4, 5),
  endMs: Date.UTC(2024, 1, 2, 3, 9, 5),
  caller: false,
  fromUri: 'sip:bob@contoso.com',
  toUri: 'sip:alice@contoso.com',
  localUserAgent: 'AUDC-IPPhone/3.4.6.604 (445HD)',
  remoteUserAgent: 'UCCAPI/16.0 <"quoted"> & co',
  endpointName: '445HD-D971',
  localAddr: { ip: '10.0.0.10', port: 40000 },
  remoteAddr: { ip: '10.0.0.20', port: 40002 },
  inbound: { jitterMs: 14, lossRate: 0.03, networkMosAvg: 3.4, degradationAvg: 0.6, concealedRatioAvg: 0.05, jitterSdMs: 4, networkJitterAvgMs: 9, packetReorderRatio: 0.002 },
  outbound: { roundTripMs: 130, sendListenMos: 4 },
};

describe('MS-QoE v2: the spec example', () => {
  const report = decode(fixture('v2-spec-example.xml'));
  const session = report.sessions[0]!;

  it('reads namespaces, schema version and the dialog', () => {
    expect(report.namespaceVersions).toEqual([1, 2]);
    expect(report.schemaVersion).toBe('2.0');
    expect(report.warnings).toEqual([]);
    expect(session.kind).toBe('VQSessionReport');
    expect(session.sessionId).toBe('6dc3-1f2a9b@10.0.0.10;from-tag=9123dh311;to-tag=8472761');
    expect(session.endpointName).toBe('445HD-D971');
    expect(session.dialog).toMatchObject({
      callId: '6dc3-1f2a9b@10.0.0.10',
      fromTag: '9123dh311',
      toTag: '8472761',
      startMs: Date.UTC(2023, 10, 14, 22, 13, 20),
      endMs: Date.UTC(2023, 10, 14, 22, 16, 2),
      reporterIsCaller: true,
    });
  });

  it('assigns the local agent to the caller when the reporter is the caller', () => {
    expect(session.caller).toEqual({
      uri: 'sip:alice@contoso.com',
      userAgent: 'AUDC-IPPhone/3.4.6.604 (445HD)',
      contactUri: 'sip:alice@contoso.com;opaque=user:epid:x;gruu',
    });
    expect(session.callee).toEqual({ uri: 'sip:bob@contoso.com', userAgent: 'UCCAPI/16.0 OC/16.0', contactUri: 'sip:bob@contoso.com;opaque=user:epid:y;gruu' });
  });

  it('types every inbound audio metric present', () => {
    const line = session.mediaLines[0]!;
    expect(line.label).toBe('main-audio');
    expect(line.localAddr).toEqual({ ip: '10.0.0.10', port: 40000 });
    expect(line.remoteAddr).toEqual({ ip: '10.0.0.20', port: 40002 });
    const inbound = line.streams[0]!;
    expect(inbound).toMatchObject({ direction: 'inbound', id: '0', sender: 'callee', receiver: 'caller' });
    expect(inbound.metrics).toEqual({
      jitterInterArrivalMs: 12,
      jitterInterArrivalMaxMs: 31,
      packetLossRate: 0.05,
      packetLossRateMax: 0.12,
      burstDensity: 0.25,
      burstDurationMs: 120,
      gapDensity: 0.012,
      gapDurationMs: 4500,
      packetUtilization: 8100,
      ratioConcealedSamplesAvg: 0.02,
      payloadType: 8,
      payloadDescription: 'PCMA',
      sampleRateHz: 8000,
      recvListenMos: 3.9,
      overallAvgNetworkMos: 3.2,
      degradationAvg: 0.4,
    });
  });

  it('reads the outbound round trip and send MOS', () => {
    const outbound = session.mediaLines[0]!.streams[1]!;
    expect(outbound).toMatchObject({ direction: 'outbound', sender: 'caller', receiver: 'callee' });
    expect(outbound.metrics).toEqual({ roundTripMs: 180, roundTripMaxMs: 240, packetUtilization: 8100, sendListenMos: 4.1 });
    expect(outbound.raw['Network/Delay/RoundTrip']).toBe('180');
  });
});

describe('MS-QoE namespace versions', () => {
  it('reads a v1 report with only the default namespace, reported by the callee', () => {
    const report = decode(fixture('v1-default-namespace.xml'));
    expect(report.namespaceVersions).toEqual([1]);
    expect(report.version).toBe('1.0');
    const s = report.sessions[0]!;
    expect(s.dialog.reporterIsCaller).toBe(false);
    expect(s.caller).toEqual({ uri: 'sip:carol@fabrikam.com', userAgent: 'UCCAPI/4.0.7577.4356 OC/4.0.7577.4356 (Microsoft Lync 2010)' });
    expect(s.callee).toEqual({ uri: 'sip:dave@fabrikam.com', userAgent: 'OCPhone/4.0.7577.4398 (Microsoft Lync 2010 (Phone Edition))' });
    const [inbound, outbound] = s.mediaLines[0]!.streams;
    expect(inbound).toMatchObject({ sender: 'caller', receiver: 'callee' });
    expect(inbound!.metrics).toMatchObject({
      recvListenMosMin: 3.9,
      overallAvgNetworkMos: 4.05,
      overallMinNetworkMos: 3.6,
      degradationMax: 0.5,
      degradationJitterAvg: 0.3,
      degradationPacketLossAvg: 0.7,
    });
    expect(outbound!.metrics).toMatchObject({ bandwidthEstBps: 1_500_000, sendListenMosMin: 4, packetLossRate: 0.002 });
    expect(s.mediaLines[0]!.raw['Description/LocalAddr/SubnetMask']).toBe('255.255.255.0');
  });

  it('reads v2 and v3 elements: concealment ratios, FEC, jitter SD and the MAC', () => {
    const report = decode(fixture('v3-callee-report.xml'));
    expect(report.namespaceVersions).toEqual([1, 2, 3]);
    expect(report.schemaVersion).toBe('3.0');
    const line = report.sessions[0]!.mediaLines[0]!;
    expect(line.localAddr).toEqual({ ip: '10.1.0.5', port: 50010, mac: '00-90-8F-0A-1B-2C' });
    expect(line.raw['Description/MidCallReport']).toBe('false');
    expect(line.streams[0]!.metrics).toMatchObject({
      jitterInterArrivalSdMs: 11.5,
      ratioConcealedSamplesAvg: 0.09,
      ratioStretchedSamplesAvg: 0.04,
      ratioCompressedSamplesAvg: 0.01,
      concealRatioMax: 0.4,
      audioFecUsed: true,
      audioPostFecPlr: 0.09,
      networkMosAlg: 'P.563-like',
      sampleRateHz: 16000,
    });
    expect(report.sessions[0]!.dialog).toMatchObject({ localPai: 'sip:frank@contoso.com', startMs: Date.UTC(2016, 1, 3, 4, 5, 6, 789) });
  });

  it('reads v4 elements, interval reports, and skips foreign-namespace extensions', () => {
    const report = decode(fixture('v4-two-sessions.xml'));
    expect(report.namespaceVersions).toEqual([1, 2, 4, 7]);
    expect(report.sessions.map((s) => s.kind)).toEqual(['VQSessionIntervalReport', 'VQSessionReport']);
    const interval = report.sessions[0]!.mediaLines[0]!;
    expect(interval.localAddr).toEqual({ ip: '2001:db8:10::5', port: 50000 });
    expect(interval.streams[0]!.metrics).toMatchObject({ networkJitterAvgMs: 3.5, packetReorderRatio: 0.001, overallAvgNetworkMos: 4.1 });
    expect(Object.keys(interval.streams[0]!.raw).some((k) => k.includes('Secret'))).toBe(false);
    expect(report.sessions[1]!.mediaLines[0]!.streams.map((s) => s.direction)).toEqual(['inbound', 'outbound']);
  });

  it('round-trips every generator version', () => {
    for (const version of [1, 2, 3, 4] as const) {
      const report = decode(buildQoeXml({ ...GENERATED, version }));
      expect(report.warnings).toEqual([]);
      expect(report.namespaceVersions).toEqual([1, 2, 3, 4].filter((v) => v <= version));
      const s = report.sessions[0]!;
      expect(s.callee.userAgent).toBe('AUDC-IPPhone/3.4.6.604 (445HD)');
      expect(s.caller.userAgent).toBe('UCCAPI/16.0 <"quoted"> & co');
      const inbound = s.mediaLines[0]!.streams[0]!.metrics;
      expect(inbound).toMatchObject({ jitterInterArrivalMs: 14, packetLossRate: 0.03, overallAvgNetworkMos: 3.4, degradationAvg: 0.6 });
      expect(inbound.ratioConcealedSamplesAvg).toBe(version >= 2 ? 0.05 : undefined);
      expect(inbound.jitterInterArrivalSdMs).toBe(version >= 3 ? 4 : undefined);
      expect(inbound.networkJitterAvgMs).toBe(version >= 4 ? 9 : undefined);
      expect(s.mediaLines[0]!.streams[1]!.metrics).toEqual({ roundTripMs: 130, sendListenMos: 4 });
    }
  });

  it('decodes UTF-8 bytes with a BOM and UTF-16 LE bytes the same as text', () => {
    const xml = buildQoeXml(GENERATED);
    const expected = decode(xml);
    expect(decode(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)]))).toEqual(expected);
    expect(decode(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml.replace('utf-8', 'utf-16'), 'utf16le')]))).toEqual(expected);
  });

  it('reads elements written without any namespace, with a warning', () => {
    const report = decode('<VQReportEvent><VQSessionReport><DialogInfo CallId="c"/><MediaLine Label="main-audio"/></VQSessionReport></VQReportEvent>');
    expect(report.sessions[0]!.dialog.callId).toBe('c');
    expect(report.warnings).toEqual(['elements carry no namespace; read as ms-rtcp-metrics']);
  });
});

describe('MS-QoE hostile input', () => {
  it('refuses a DOCTYPE, so billion laughs never expands', () => {
    const started = performance.now();
    expect(error(fixture('hostile-billion-laughs.xml'))).toBe('DOCTYPE is not allowed in a QoE report');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('refuses an external entity declaration and never reads the file', () => {
    expect(error(fixture('hostile-external-entity.xml'))).toBe('DOCTYPE is not allowed in a QoE report');
  });

  it('refuses an undeclared entity reference instead of leaving it in place', () => {
    expect(error('<VQReportEvent xmlns="ms-rtcp-metrics"><VQSessionReport SessionId="&xxe;"/></VQReportEvent>')).toMatch(/^XML: .*undefined entity/);
  });

  it('rejects malformed XML with where it broke', () => {
    const result = decodeMsQoe('<VQReportEvent xmlns="ms-rtcp-metrics">\n<VQSessionReport>\n</VQReportEvent>');
    expect(isDecodeError(result) && result.message).toMatch(/^XML: .*unexpected close tag/);
    expect(isDecodeError(result) && result.offset).toBe(3);
    expect(error('')).toMatch(/^XML: /);
    expect(error('not xml at all')).toMatch(/^XML: /);
  });

  it('rejects a root that is not a QoE report, such as call-quality feedback', () => {
    expect(error('<CallQualityFeedbackReport xmlns="ms-rtcp-metrics"/>')).toBe('root element is CallQualityFeedbackReport, not VQReportEvent');
    expect(error('<foo xmlns="urn:other"/>')).toBe('no ms-rtcp-metrics root element');
  });

  it('bounds size, element count and depth', () => {
    expect(error('<a>' + ' '.repeat(MAX_QOE_XML_BYTES) + '</a>')).toBe(`XML is ${MAX_QOE_XML_BYTES + 7} bytes, limit ${MAX_QOE_XML_BYTES}`);
    expect(error('<VQReportEvent xmlns="ms-rtcp-metrics">' + '<x/>'.repeat(MAX_QOE_ELEMENTS) + '</VQReportEvent>')).toBe(`more than ${MAX_QOE_ELEMENTS} elements`);
    expect(error('<VQReportEvent xmlns="ms-rtcp-metrics">' + '<x>'.repeat(MAX_QOE_DEPTH) + '</x>'.repeat(MAX_QOE_DEPTH) + '</VQReportEvent>')).toBe(`nesting deeper than ${MAX_QOE_DEPTH}`);
  });

  it('drops metrics of the wrong type with a warning and keeps the rest', () => {
    const xml = buildQoeXml(GENERATED).replace('<InterArrival>14</InterArrival>', '<InterArrival>fast</InterArrival>').replace('<LossRate>0.03</LossRate>', '<LossRate>-1</LossRate>');
    const report = decode(xml);
    const inbound = report.sessions[0]!.mediaLines[0]!.streams[0]!;
    expect(inbound.metrics.jitterInterArrivalMs).toBeUndefined();
    expect(inbound.metrics.packetLossRate).toBeUndefined();
    expect(inbound.metrics.overallAvgNetworkMos).toBe(3.4);
    expect(inbound.raw['Network/Jitter/InterArrival']).toBe('fast');
    expect(report.warnings).toEqual([
      'line 3 VQSessionReport MediaLine[main-audio] InboundStream Network/Jitter/InterArrival: "fast" is not a non-negative number',
      'line 3 VQSessionReport MediaLine[main-audio] InboundStream Network/PacketLoss/LossRate: "-1" is not a non-negative number',
    ]);
  });

  it('warns about a session without DialogInfo or MediaLine and an empty report', () => {
    expect(decode('<VQReportEvent xmlns="ms-rtcp-metrics"><VQSessionReport/></VQReportEvent>').warnings).toEqual([
      'line 1 VQSessionReport: no DialogInfo',
      'line 1 VQSessionReport: no MediaLine',
    ]);
    expect(decode('<VQReportEvent xmlns="ms-rtcp-metrics"/>').warnings).toEqual(['VQReportEvent holds no VQSessionReport']);
  });
});
