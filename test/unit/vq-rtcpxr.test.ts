import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeVqRtcpxr, decodeVqRtcpxrReports, MAX_VQ_BODY_BYTES, MAX_VQ_WARNINGS, type VqReport } from '../../parsers/vq-rtcpxr.js';
import { buildVqRtcpxrBody, type VqReportOptions } from '../../server/simulator/wire/sip.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/vq/${name}`, import.meta.url), 'utf8');
}

function decode(text: string | Uint8Array): VqReport {
  const report = decodeVqRtcpxr(text);
  if (isDecodeError(report)) throw new Error(`unexpected decode error: ${report.message}`);
  return report;
}

function reports(text: string): VqReport[] {
  const all = decodeVqRtcpxrReports(text);
  if (isDecodeError(all)) throw new Error(`unexpected decode error: ${all.message}`);
  return all;
}

const GENERATED: VqReportOptions = {
  callId: 'gen-1@10.0.0.10',
  localId: '<sip:1000@10.0.0.10>',
  remoteId: '<sip:2000@10.0.0.20>',
  localAddr: { ip: '10.0.0.10', port: 6000, ssrc: 0xdeadbeef },
  remoteAddr: { ip: '10.0.0.20', port: 6002, ssrc: 0x00000001 },
  localMac: '00:90:8F:57:D9:71',
  startMs: Date.UTC(2024, 4, 6, 7, 8, 9),
  stopMs: Date.UTC(2024, 4, 6, 7, 9, 9),
  local: { lossPct: 2.5, rttMs: 120, mosLq: 3.9, mosCq: 3.7, rlq: 80 },
  remote: { lossPct: 0.5 },
  dialog: { fromTag: 'ft', toTag: 'tt' },
};

describe('RFC 6035 F13 example', () => {
  const report = decode(fixture('rfc6035-f13.txt').replace(/\n/g, '\r\n'));

  it('reads the report type and the identity lines', () => {
    expect(report.type).toBe('VQSessionReport');
    expect(report.callTerm).toBe(true);
    expect(report.callId).toBe('6dg37f1890463');
    expect(report.localId).toBe('Alice <sip:alice@example.org>');
    expect(report.remoteId).toBe('Bill <sip:bill@example.net>');
    expect(report.origId).toBe('Alice <sip:alice@example.org>');
    expect(report.localGroup).toBe('example-phone-55671');
    expect(report.remoteGroup).toBe('example-gateway-09871');
    expect(report.localMac).toBe('00:00:5e:00:53:01');
    expect(report.remoteMac).toBe('00:00:5e:00:53:02');
  });

  it('reads a bare-hex SSRC as hex, with a warning', () => {
    expect(report.localAddr).toMatchObject({ ip: '192.0.2.100', port: 5000, ssrc: 0x1a3b5c7d });
    expect(report.remoteAddr).toMatchObject({ ip: '198.51.100.150', port: 5002, ssrc: 0x2468abcd });
    expect(report.warnings).toContain('line 8 LocalAddr SSRC: no 0x prefix, read as hex');
  });

  it('types every local metric with its unit, joining folded lines', () => {
    const m = report.localMetrics!;
    expect(m.timestamps).toEqual({
      start: '2004-10-10T18:23:43Z',
      stop: '2004-10-01T18:26:02Z',
      startMs: Date.UTC(2004, 9, 10, 18, 23, 43),
      stopMs: Date.UTC(2004, 9, 1, 18, 26, 2),
    });
    expect(m.sessionDesc).toEqual({
      payloadType: 18,
      payloadDesc: 'G729',
      sampleRateHz: 8000,
      frameDurationMs: 20,
      frameOctets: 20,
      framesPerPacket: 2,
      packetsPerSecond: 50,
      fmtp: 'annexb=no',
      plc: 3,
      silenceSuppression: true,
    });
    expect(m.jitterBuffer).toEqual({ adaptive: 3, rate: 2, nominalMs: 40, maxMs: 80, absMaxMs: 120 });
    expect(m.packetLoss).toEqual({ networkLossPct: 5, jbDiscardPct: 2 });
    expect(m.burstGapLoss).toEqual({ burstDensityPct: 0, burstDurationMs: 0, gapDensityPct: 2, gapDurationMs: 500, gmin: 16 });
    expect(m.delay).toEqual({ roundTripMs: 200, endSystemMs: 140, symmOneWayMs: 200, interArrivalJitterMs: 2, meanAbsJitterMs: 10 });
    expect(m.signal).toEqual({ signalLevelDb: -21, noiseLevelDb: -50, rerlDb: 55 });
    expect(m.qualityEst).toEqual({ rlq: 90, rcq: 85, extri: 90, mosLq: 4.2, mosCq: 4.3, qoeEstAlg: 'P.564' });
  });

  it('keeps the remote block apart from the local one', () => {
    expect(report.remoteMetrics?.signal?.noiseLevelDb).toBe(-45);
    expect(report.remoteMetrics?.qualityEst).toEqual({ rlq: 90, rcq: 85, mosLq: 4.3, mosCq: 4.2, qoeEstAlg: 'P.564' });
  });

  it('reads the folded DialogID with both tags', () => {
    expect(report.dialogId).toEqual({
      callId: '1890463548@alice.example.org',
      toTag: '8472761',
      fromTag: '9123dh311',
      params: { 'to-tag': '8472761', 'from-tag': '9123dh311' },
    });
  });

  it('warns that STOP comes before START, and about nothing else it did not tolerate', () => {
    expect(report.warnings).toEqual([
      'line 13 LocalMetrics Timestamps: STOP is before START',
      'line 24 RemoteMetrics Timestamps: STOP is before START',
      'line 8 LocalAddr SSRC: no 0x prefix, read as hex',
    ]);
  });
});

describe('AudioCodes Mediant sample', () => {
  const report = decode(fixture('audiocodes-mediant.txt'));

  it('accepts CallID= and Port= and leaves empty groups out', () => {
    expect(report.type).toBe('VQSessionReport');
    expect(report.callTerm).toBe(false);
    expect(report.callId).toBe('20328634741612201520943@172.17.116.201');
    expect(report.localAddr).toMatchObject({ ip: '172.17.116.201', port: 6000, ssrc: 0x54c62a13 });
    expect(report.localGroup).toBeUndefined();
    expect(report.remoteGroup).toBeUndefined();
    expect(report.localMac).toBe('00:90:8f:57:d9:71');
    expect(report.warnings).toContain('line 2: CallID= read as CallID:');
  });

  it('joins the unindented MOSCQ line to QualityEst and reads capitalised SSUP', () => {
    expect(report.localMetrics?.qualityEst).toEqual({ rlq: 93, mosLq: 4.1, mosCq: 4.1 });
    expect(report.localMetrics?.sessionDesc?.silenceSuppression).toBe(false);
    expect(report.warnings).toContain('line 20: unindented continuation joined to line 19');
  });

  it('maps the 127 sentinels to null rather than to numbers', () => {
    expect(report.remoteMetrics?.signal).toEqual({ signalLevelDb: null, noiseLevelDb: null, rerlDb: null });
    expect(report.remoteMetrics?.qualityEst).toEqual({ rlq: null, mosLq: null, mosCq: null });
  });
});

describe('other vendors', () => {
  it('reads the AudioCodes excerpt whose metric lines lack a LocalMetrics line', () => {
    const report = decode(fixture('audiocodes-anchor-excerpt.txt'));
    expect(report.localMetrics?.jitterBuffer).toEqual({ adaptive: 3, rate: 0, nominalMs: 7, maxMs: 10, absMaxMs: 300 });
    expect(report.localMetrics?.qualityEst?.mosCq).toBe(4.1);
    expect(report.warnings).toContain('line 5: JitterBuffer before any LocalMetrics/RemoteMetrics line, counted as local');
  });

  it('reads snom older-draft ordering, glued parameters and extension lines', () => {
    const report = decode(fixture('snom-older-draft.txt'));
    expect(report.callId).toBe('3c26a8de500f-12ct7zov3kjs');
    expect(report.localAddr).toMatchObject({ port: 62754, ssrc: 0xcbe3450e });
    expect(report.remoteAddr?.ssrc).toBe(0xb80b52f3);
    expect(report.localMetrics?.jitterBuffer).toEqual({ adaptive: 0, rate: 0, nominalMs: 0, maxMs: 20, absMaxMs: 240 });
    expect(report.localMetrics?.delay).toEqual({ roundTripMs: 0, endSystemMs: 0, interArrivalJitterMs: 4 });
    expect(report.remoteMetrics?.jitterBuffer?.absMaxMs).toBeNull();
    expect(report.remoteMetrics?.delay?.interArrivalJitterMs).toBe(2);
    expect(report.dialogId).toMatchObject({ toTag: '866ed0cf03', fromTag: '45hkui59ns' });
    expect(report.extensions).toEqual([
      { tag: 'x-UserAgent', value: 'snom360/8.2.sf' },
      { tag: 'FromID', value: '<sip:101@pbx.example.com>' },
      { tag: 'ToID', value: '<sip:102@pbx.example.com;user=phone>' },
      { tag: 'x-SIPmetrics', value: 'SVA=RG SRD=310 SFC=0' },
      { tag: 'x-SIPterm', value: 'SDC=OK' },
    ]);
    expect(report.warnings).toContain('line 14 LocalMetrics JitterBuffer: missing space after JBM=20');
  });

  it('reads an alert report header', () => {
    const report = decode(fixture('alert-yealink-style.txt'));
    expect(report.type).toBe('VQAlertReport');
    expect(report.alert).toEqual({ type: 'MOSLQ', severity: 'Critical', direction: 'local' });
    expect(report.localMetrics?.packetLoss).toEqual({ networkLossPct: 12.5, jbDiscardPct: 3.1 });
    expect(report.localMetrics?.burstGapLoss?.burstDensityPct).toBe(45.3);
    expect(report.warnings).toEqual([]);
  });

  it('reads an interval report with IPv6 addresses and a quoted FMTP containing spaces', () => {
    const report = decode(fixture('interval-liblinphone-style.txt'));
    expect(report.type).toBe('VQIntervalReport');
    expect(report.localAddr).toMatchObject({ ip: '2001:db8::60', port: 7078 });
    expect(report.localMetrics?.sessionDesc).toMatchObject({ payloadDesc: 'opus', sampleRateHz: 48000, fmtp: 'useinbandfec=1; stereo=0' });
    expect(report.localMetrics?.qualityEst).toMatchObject({ mosLqEstAlg: 'linphone', mosCqEstAlg: 'linphone' });
    expect(report.warnings).toEqual([]);
  });

  it('accepts "VQSessionReport : CallTerm" with a space before the colon and lower-case tags', () => {
    const report = decode('VQSessionReport : CallTerm\nCALLID: x\nlocalmetrics:\npacketloss: nlr=1.5\n');
    expect(report.callTerm).toBe(true);
    expect(report.callId).toBe('x');
    expect(report.localMetrics?.packetLoss).toEqual({ networkLossPct: 1.5 });
  });

  it('keeps unknown parameters of known lines in the raw line table', () => {
    const report = decode('VQSessionReport\nCallID: x\nLocalMetrics:\nDelay: RTD=10 x-PDV=7\n');
    expect(report.localMetrics?.delay).toEqual({ roundTripMs: 10 });
    expect(report.localMetrics?.lines['Delay']).toEqual({ RTD: '10', 'x-PDV': '7' });
  });
});

/** A report in a vendor's dialect, written for these tests; `head` is the report line, `extra` lines go last. */
function dialect(head: string, extra: string[] = [], eol = '\r\n'): string {
  return [
    head,
    'CallID: d1@10.1.1.5',
    'LocalID: <sip:301@pbx.example.net>',
    'RemoteID: <sip:302@pbx.example.net>',
    'LocalAddr: IP= 10.1.1.5 Port=5004 SSRC=2882400018',
    'RemoteAddr: IP=10.1.1.9 PORT=5006 SSRC=0x0a0b0c0d',
    'LocalMetrics:',
    'Timestamps: START=2026-12-06T09:00:00Z STOP=2026-12-06T09:02:00Z',
    'SessionDesc: PT=0 PD=PCMU SR=8000',
    'JitterBuffer: JBA=3 JBR=0 JBN=40 JBM=60JBX=200',
    'PacketLoss: NLR=2.0 JDR=0.5',
    'QualityEst: MOSLQ=3.9 MOSCQ=3.8',
    ...extra,
  ].join(eol) + eol;
}

describe('vendor dialects', () => {
  it('reads a session report with and without CallTerm, a space after "=", a decimal SSRC and Port= apart from IP=', () => {
    for (const [head, term] of [['VQSessionReport: CallTerm', true], ['VQSessionReport', false]] as const) {
      const report = decode(dialect(head));
      expect(report.callTerm).toBe(term);
      expect(report.localAddr).toMatchObject({ ip: '10.1.1.5', port: 5004, ssrc: 2882400018 });
      expect(report.remoteAddr).toMatchObject({ ip: '10.1.1.9', port: 5006, ssrc: 0x0a0b0c0d });
      expect(report.localMetrics?.jitterBuffer).toEqual({ adaptive: 3, rate: 0, nominalMs: 40, maxMs: 60, absMaxMs: 200 });
      expect(report.warnings).toEqual(expect.arrayContaining([
        'line 5 LocalAddr: space after IP=', 'line 5 LocalAddr SSRC: decimal, read as decimal', 'line 10 LocalMetrics JitterBuffer: missing space after JBM=60',
      ]));
    }
  });

  it('reads an interval report and an alert whose Severity, Type and Direction are lines of their own', () => {
    expect(decode(dialect('VQIntervalReport')).type).toBe('VQIntervalReport');
    const alert = decode(dialect('VQAlertReport', ['Severity: Warning', 'Type: NLR', 'Direction: remote']));
    expect(alert.alert).toEqual({ severity: 'Warning', type: 'NLR', direction: 'remote' });
    expect(alert.warnings.filter((w) => w.includes('alert'))).toEqual([]);
    expect(alert.localMetrics?.packetLoss?.networkLossPct).toBe(2);
  });

  it('keeps vendor x- lines as extensions and lines that are not "Tag: value" raw, counted, and reads the rest', () => {
    const report = decode(dialect('VQSessionReport', ['x-ac-Codec: G711U rate=64k', '!! garbage from a broken relay !!', 'Metrics:']));
    expect(report.extensions).toEqual([{ tag: 'x-ac-Codec', value: 'G711U rate=64k' }]);
    expect(report.unparsedLines).toEqual(['!! garbage from a broken relay !!']);
    expect(report.warnings).toContain('line 14: not "Tag: value": "!! garbage from a broken relay !!"');
    expect(report.localMetrics?.qualityEst?.mosLq).toBe(3.9);
  });

  it('reads CallID= inside a DialogID line as the call', () => {
    const body = dialect('VQSessionReport').replace('CallID: d1@10.1.1.5', 'DialogID: d2@10.1.1.5;to-tag=a1;from-tag=b2');
    const report = decode(body);
    expect(report.dialogId).toMatchObject({ callId: 'd2@10.1.1.5', toTag: 'a1', fromTag: 'b2' });
    expect(report.warnings).not.toContain('no CallID line');
    expect(decode(dialect('VQSessionReport').replace('CallID: d1@10.1.1.5', 'CallID=d3@10.1.1.5')).callId).toBe('d3@10.1.1.5');
  });

  it('reads LF, CRLF and mixed line ends alike', () => {
    const crlf = decode(dialect('VQSessionReport'));
    const lf = decode(dialect('VQSessionReport', [], '\n'));
    let n = 0;
    const mixed = decode(dialect('VQSessionReport').replace(/\r\n/g, () => (n++ % 2 ? '\n' : '\r\n')));
    expect(lf).toEqual(crlf);
    expect(mixed).toEqual(crlf);
  });

  it('gives every report of a body that holds several, each numbered by the body\'s own lines', () => {
    const body = dialect('VQIntervalReport') + dialect('VQSessionReport: CallTerm') + 'VQAlertReport\r\n';
    const [interval, session, alert, ...rest] = reports(body);
    expect(rest).toEqual([]);
    expect(interval!.type).toBe('VQIntervalReport');
    expect(session).toMatchObject({ type: 'VQSessionReport', callTerm: true, callId: 'd1@10.1.1.5' });
    expect(session!.warnings).toContain('line 22 LocalMetrics JitterBuffer: missing space after JBM=60');
    expect(alert!.warnings).toContain('no LocalMetrics block');
    expect(reports(dialect('VQSessionReport'))).toEqual([decode(dialect('VQSessionReport'))]);
  });

  it('keeps lines before the first report line raw on that report, and refuses a body with no report line', () => {
    const body = 'x-Relay: sbc-3 forwarded this\r\n\r\n' + dialect('VQSessionReport');
    const [report, ...rest] = reports(body);
    expect(rest).toEqual([]);
    expect(report!.callId).toBe('d1@10.1.1.5');
    expect(report!.unparsedLines).toEqual(['x-Relay: sbc-3 forwarded this']);
    expect(report!.warnings).toContain('line 1: before the first report line, kept raw: "x-Relay: sbc-3 forwarded this"');
    expect(report!.warnings).toContain('line 12 LocalMetrics JitterBuffer: missing space after JBM=60');
    const refused = decodeVqRtcpxrReports('just a note\r\nCallID: none@10.1.1.5\r\n');
    expect(isDecodeError(refused) && refused.message).toBe('line 1 is not a VQSessionReport/VQIntervalReport/VQAlertReport line: "just a note"');
    expect(isDecodeError(decodeVqRtcpxr(body))).toBe(true);
  });

  it('gives the first report from decodeVqRtcpxr when the body holds several, saying so', () => {
    const report = decode(dialect('VQIntervalReport') + dialect('VQSessionReport: CallTerm'));
    expect(report).toMatchObject({ type: 'VQIntervalReport', callTerm: false, callId: 'd1@10.1.1.5' });
    expect(report.warnings).toContain('line 13: 1 more report(s) in the body, not read here (decodeVqRtcpxrReports reads every one)');
    expect(report.warnings.some((w) => w.includes('repeated'))).toBe(false);
  });

  it('splits values run together after an address, a hex SSRC, a time, a codec name and an alert field', () => {
    const report = decode([
      'VQAlertReport: Type=MOSCQSeverity=Critical Dir=local',
      'CallID: glued-1@10.2.0.7',
      'LocalAddr: IP=10.2.0.7PORT=40000SSRC=0x1f2e3d4c',
      'RemoteAddr: SSRC=0x0a0b0c0dIP=10.2.0.8 PORT=40010',
      'LocalMetrics:',
      'Timestamps: START=2026-12-06T11:00:00ZSTOP=2026-12-06T11:05:00Z',
      'SessionDesc: PT=8PD=PCMASR=8000 FMTP=apt=96',
      'QualityEst: MOSLQ=4.0MOSCQ=3.9',
    ].join('\n'));
    expect(report.alert).toEqual({ type: 'MOSCQ', severity: 'Critical', direction: 'local' });
    expect(report.localAddr).toMatchObject({ ip: '10.2.0.7', port: 40000, ssrc: 0x1f2e3d4c });
    expect(report.remoteAddr).toMatchObject({ ip: '10.2.0.8', port: 40010, ssrc: 0x0a0b0c0d });
    expect(report.localMetrics?.timestamps).toMatchObject({ startMs: Date.UTC(2026, 11, 6, 11, 0, 0), stopMs: Date.UTC(2026, 11, 6, 11, 5, 0) });
    expect(report.localMetrics?.sessionDesc).toEqual({ payloadType: 8, payloadDesc: 'PCMA', sampleRateHz: 8000, fmtp: 'apt=96' });
    expect(report.localMetrics?.qualityEst).toEqual({ mosLq: 4, mosCq: 3.9 });
    expect(report.warnings).toContain('line 3 LocalAddr: missing space after IP=10.2.0.7');
    expect(report.warnings.filter((w) => !w.includes('missing space'))).toEqual([]);
  });

  it('reads an alert report line folded over two lines', () => {
    const report = decode('VQAlertReport: Type=NLR Severity=Warning\r\n  Dir=remote\r\nCallID: fold-1@10.4.0.2\r\nLocalMetrics:\r\nPacketLoss: NLR=9.5\r\n');
    expect(report.alert).toEqual({ type: 'NLR', severity: 'Warning', direction: 'remote' });
    expect(report.localMetrics?.packetLoss).toEqual({ networkLossPct: 9.5 });
    expect(report.warnings).toEqual([]);
  });

  it('reads Metrics: as the grouping line of the local block, and Port= on a line of its own', () => {
    const report = decode([
      'VQIntervalReport',
      'CallID: grp-1@10.3.0.4',
      'LocalAddr: IP=10.3.0.4',
      'Port=41000',
      'RemoteAddr: IP=10.3.0.5 Port=41002 SSRC=0x00a1b2c3',
      'Metrics:',
      'PacketLoss: NLR=1.25 JDR=0.25',
      'RemoteMetrics:',
      'PacketLoss: NLR=0.5 JDR=0',
    ].join('\r\n'));
    expect(report.localAddr).toEqual({ ip: '10.3.0.4', port: 41000, params: { IP: '10.3.0.4', PORT: '41000' } });
    expect(report.remoteAddr).toMatchObject({ ip: '10.3.0.5', port: 41002, ssrc: 0xa1b2c3 });
    expect(report.localMetrics?.packetLoss).toEqual({ networkLossPct: 1.25, jbDiscardPct: 0.25 });
    expect(report.remoteMetrics?.packetLoss).toEqual({ networkLossPct: 0.5, jbDiscardPct: 0 });
    expect(report.warnings).toEqual(['line 4: unindented continuation joined to line 3']);
  });
});

describe('generated reports', () => {
  it('round-trips the RFC-style generator', () => {
    const report = decode(buildVqRtcpxrBody(GENERATED));
    expect(report.warnings).toEqual([]);
    expect(report.callTerm).toBe(true);
    expect(report.localAddr).toEqual({ ip: '10.0.0.10', port: 6000, ssrc: 0xdeadbeef, params: { IP: '10.0.0.10', PORT: '6000', SSRC: '0xdeadbeef' } });
    expect(report.localMac).toBe('00:90:8f:57:d9:71');
    expect(report.localMetrics?.packetLoss?.networkLossPct).toBe(2.5);
    expect(report.localMetrics?.delay?.roundTripMs).toBe(120);
    expect(report.localMetrics?.qualityEst).toMatchObject({ rlq: 80, mosLq: 3.9, mosCq: 3.7 });
    expect(report.localMetrics?.timestamps?.stopMs).toBe(GENERATED.stopMs);
    expect(report.remoteMetrics?.packetLoss?.networkLossPct).toBe(0.5);
    expect(report.dialogId).toMatchObject({ callId: 'gen-1@10.0.0.10', fromTag: 'ft', toTag: 'tt' });
  });

  it('round-trips the AudioCodes-style generator, warning only about CallID=', () => {
    const report = decode(buildVqRtcpxrBody({ ...GENERATED, style: 'audiocodes', kind: 'session' }));
    expect(report.warnings).toEqual(['line 2: CallID= read as CallID:']);
    expect(report.callTerm).toBe(false);
    expect(report.localGroup).toBeUndefined();
    expect(report.localMetrics?.qualityEst?.mosLq).toBe(3.9);
  });

  it('round-trips alert and interval kinds', () => {
    const alert = decode(buildVqRtcpxrBody({ ...GENERATED, kind: 'alert', alert: { type: 'NLR', severity: 'Warning', dir: 'remote' } }));
    expect(alert.alert).toEqual({ type: 'NLR', severity: 'Warning', direction: 'remote' });
    expect(decode(buildVqRtcpxrBody({ ...GENERATED, kind: 'interval' })).type).toBe('VQIntervalReport');
  });

  it('decodes bytes the same as text', () => {
    const text = buildVqRtcpxrBody(GENERATED);
    expect(decode(Buffer.from(text))).toEqual(decode(text));
  });
});

describe('hostile bodies', () => {
  const error = (input: string): string => {
    const result = decodeVqRtcpxr(input);
    if (!isDecodeError(result)) throw new Error('expected a decode error');
    return result.message;
  };

  it('rejects an empty body and one that is not a report', () => {
    expect(error('')).toBe('empty body');
    expect(error('\r\n  \r\n')).toBe('empty body');
    expect(error('<?xml version="1.0"?><VQReportEvent/>')).toMatch(/^line 1 is not a VQSessionReport/);
  });

  it('rejects a body over the size limit without scanning it', () => {
    expect(error('VQSessionReport\n' + 'x'.repeat(MAX_VQ_BODY_BYTES))).toBe(`body is ${MAX_VQ_BODY_BYTES + 16} bytes, limit ${MAX_VQ_BODY_BYTES}`);
  });

  it('reads what it can from a truncated body and says what is missing', () => {
    const full = buildVqRtcpxrBody(GENERATED);
    const report = decode(full.slice(0, full.indexOf('LocalMetrics:') - 5));
    expect(report.callId).toBe('gen-1@10.0.0.10');
    expect(report.warnings).toContain('no LocalMetrics block');
    expect(decode('VQSessionReport\n').warnings).toEqual(['no CallID line', 'no LocalMetrics block']);
  });

  it('drops wrongly typed and out-of-range values with a warning each', () => {
    const report = decode(
      'VQSessionReport\nCallID: x\nLocalAddr: IP=not-an-ip PORT=99999 SSRC=0xZZ\nLocalMAC: nope\nLocalMetrics:\n' +
        'PacketLoss: NLR=abc JDR=101\nQualityEst: MOSLQ=7 MOSCQ=4.1 RLQ=-3\nSessionDesc: SSUP=maybe PLC=9\nTimestamps: START=yesterday\n',
    );
    expect(report.localMetrics?.packetLoss).toEqual({});
    expect(report.localMetrics?.qualityEst).toEqual({ mosCq: 4.1 });
    expect(report.localMetrics?.timestamps).toEqual({ start: 'yesterday' });
    expect(report.localAddr).toEqual({ ip: 'not-an-ip', params: { IP: 'not-an-ip', PORT: '99999', SSRC: '0xZZ' } });
    expect(report.localMac).toBe('nope');
    expect(report.warnings).toEqual([
      'line 6 LocalMetrics PacketLoss NLR: "abc" is not a valid number',
      'line 6 LocalMetrics PacketLoss JDR: 101 is outside 0..100',
      'line 7 LocalMetrics QualityEst MOSLQ: 7 is outside 0..5',
      'line 7 LocalMetrics QualityEst RLQ: "-3" is not a valid number',
      'line 8 LocalMetrics SessionDesc SSUP: "maybe" is not on/off',
      'line 8 LocalMetrics SessionDesc PLC: 9 is outside 0..3',
      'line 9 LocalMetrics Timestamps START: "yesterday" is not an RFC 3339 time',
      'line 3 LocalAddr IP: "not-an-ip" is not an IP address',
      'line 3 LocalAddr PORT: 99999 is outside 0..65535',
      'line 3 LocalAddr SSRC: "0xZZ" is not a 32-bit hex value',
      'line 4 LocalMAC: "nope" is not a MAC address',
    ]);
  });

  it('keeps the first of repeated keys, lines and blocks', () => {
    const report = decode(
      'VQSessionReport\nCallID: first\nCallID: second\nLocalMetrics:\nDelay: RTD=1 RTD=2\nDelay: RTD=3\nLocalMetrics:\nPacketLoss: NLR=1\n',
    );
    expect(report.callId).toBe('first');
    expect(report.localMetrics?.delay).toEqual({ roundTripMs: 1 });
    expect(report.localMetrics?.packetLoss).toEqual({ networkLossPct: 1 });
    expect(report.warnings).toEqual([
      'line 3: repeated CallID (first on line 2), kept the first',
      'line 5 LocalMetrics Delay: repeated RTD, kept the first',
      'line 6 LocalMetrics Delay: repeated line, kept the first',
      'line 7: second LocalMetrics block merged into the first',
    ]);
  });

  it('caps the warning list for a body full of junk', () => {
    const report = decode('VQSessionReport\nCallID: x\nLocalMetrics:\nDelay: ' + 'junk '.repeat(10_000) + '\n');
    expect(report.warnings).toHaveLength(MAX_VQ_WARNINGS + 1);
    expect(report.warnings.at(-1)).toBe(`${10_000 - MAX_VQ_WARNINGS} more warnings not listed`);
  });

  it('stays linear on a long glued line and an unterminated quote', () => {
    const started = performance.now();
    const glued = decode('VQSessionReport\nLocalMetrics:\nDelay: RTD=' + '1RTD='.repeat(10_000) + '\n');
    expect(glued.localMetrics?.delay?.roundTripMs).toBe(1);
    const quoted = decode('VQSessionReport\nLocalMetrics:\nSessionDesc: FMTP="never closed ' + 'a '.repeat(20_000) + '\n');
    expect(quoted.localMetrics?.sessionDesc?.fmtp).toMatch(/^never closed/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('survives random text without throwing', () => {
    let seed = 99;
    const alphabet = 'VQSessionReport:=CallID LocalMetrics\r\n\t "0x;-.5aZ';
    for (let n = 0; n < 300; n++) {
      let text = n % 2 ? 'VQSessionReport\n' : '';
      for (let i = 0; i < 200; i++) text += alphabet[(seed = (seed * 1103515245 + 12345) >>> 0) % alphabet.length];
      expect(() => decodeVqRtcpxr(text)).not.toThrow();
    }
  });
});
