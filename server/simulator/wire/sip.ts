/**
 * Deterministic builders for the SIP traffic a 400HD sends to a quality collector: PUBLISH with an
 * RFC 6035 vq-rtcpxr body (generic-SIP firmware), SERVICE with an MS-QoE XML body (SfB firmware),
 * and OPTIONS pings. Same inputs, same bytes: tests and the phone simulator both rely on that.
 */

export interface SipEndpoint {
  readonly ip: string;
  readonly port: number;
}

export interface SipRequestOptions {
  readonly method: string;
  readonly requestUri: string;
  readonly from: string;
  readonly fromTag: string;
  readonly to: string;
  readonly toTag?: string;
  readonly callId: string;
  readonly cseq: number;
  /** The sender's address, for Via and Contact. */
  readonly source: SipEndpoint;
  readonly transport?: 'UDP' | 'TCP' | 'TLS';
  readonly branch?: string;
  /** Extra headers after the mandatory ones, in order. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly contentType?: string;
  readonly body?: string;
  /** Use compact header names (v, f, t, i, l, c, o) as some phones do to keep UDP under the MTU. */
  readonly compact?: boolean;
  /** Fold the Via and From headers over two lines (legal, RFC 3261 §7.3.1, and a parser trap). */
  readonly fold?: boolean;
}

const CRLF = '\r\n';

/** A branch derived from the request's identity: RFC 3261 magic cookie + stable suffix. */
export function branchFor(callId: string, cseq: number): string {
  let h = 0x811c9dc5;
  for (const ch of `${callId}/${cseq}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `z9hG4bK${h.toString(16).padStart(8, '0')}`;
}

/** A SIP request as text with a correct Content-Length (bytes, not characters). */
export function buildSipRequest(o: SipRequestOptions): string {
  const name = (long: string, short: string): string => (o.compact ? short : long);
  const transport = o.transport ?? 'UDP';
  const branch = o.branch ?? branchFor(o.callId, o.cseq);
  const body = o.body ?? '';
  const via = `SIP/2.0/${transport} ${o.source.ip}:${o.source.port};branch=${branch};rport`;
  const lines = [
    `${o.method} ${o.requestUri} SIP/2.0`,
    o.fold ? `${name('Via', 'v')}: SIP/2.0/${transport}${CRLF}  ${via.slice(`SIP/2.0/${transport} `.length)}` : `${name('Via', 'v')}: ${via}`,
    'Max-Forwards: 70',
    o.fold ? `${name('From', 'f')}: ${o.from}${CRLF}\t;tag=${o.fromTag}` : `${name('From', 'f')}: ${o.from};tag=${o.fromTag}`,
    `${name('To', 't')}: ${o.to}${o.toTag !== undefined ? `;tag=${o.toTag}` : ''}`,
    `${name('Call-ID', 'i')}: ${o.callId}`,
    `CSeq: ${o.cseq} ${o.method}`,
    `${name('Contact', 'm')}: <sip:${o.source.ip}:${o.source.port}>`,
    ...(o.headers ?? []).map(([k, v]) => `${k}: ${v}`),
    ...(o.contentType !== undefined ? [`${name('Content-Type', 'c')}: ${o.contentType}`] : []),
    `${name('Content-Length', 'l')}: ${Buffer.byteLength(body, 'utf8')}`,
  ];
  return lines.join(CRLF) + CRLF + CRLF + body;
}

// ---------------------------------------------------------------------------------------------
// RFC 6035 vq-rtcpxr bodies

export interface VqAddr extends SipEndpoint {
  readonly ssrc: number;
}

/** What one side measured; defaults describe a healthy G.711 call. */
export interface VqMetricValues {
  readonly payloadType?: number;
  readonly codec?: string;
  readonly sampleRateHz?: number;
  readonly frameMs?: number;
  readonly jbNominalMs?: number;
  readonly jbMaxMs?: number;
  readonly jbAbsMaxMs?: number;
  readonly lossPct?: number;
  readonly discardPct?: number;
  readonly burstDensityPct?: number;
  readonly burstDurationMs?: number;
  readonly gapDensityPct?: number;
  readonly gapDurationMs?: number;
  readonly rttMs?: number;
  readonly esdMs?: number;
  readonly iajMs?: number;
  readonly signalDbm0?: number;
  readonly noiseDbm0?: number;
  readonly rerlDb?: number;
  readonly rlq?: number;
  readonly rcq?: number;
  readonly mosLq?: number;
  readonly mosCq?: number;
}

export interface VqReportOptions {
  readonly kind?: 'session' | 'interval' | 'alert';
  readonly alert?: { readonly type: string; readonly severity: 'Warning' | 'Critical' | 'Clear'; readonly dir: 'local' | 'remote' };
  /** `rfc6035`: the RFC's own layout. `audiocodes`: the Mediant/400HD quirks (CallID=, Port=, empty groups, 2 decimals). */
  readonly style?: 'rfc6035' | 'audiocodes';
  readonly callId: string;
  readonly localId: string;
  readonly remoteId: string;
  readonly origId?: string;
  readonly localAddr: VqAddr;
  readonly remoteAddr: VqAddr;
  readonly localGroup?: string;
  readonly remoteGroup?: string;
  readonly localMac?: string;
  readonly remoteMac?: string;
  readonly startMs: number;
  readonly stopMs: number;
  readonly local?: VqMetricValues;
  readonly remote?: VqMetricValues;
  readonly dialog?: { readonly fromTag: string; readonly toTag: string };
}

const HEALTHY: Required<VqMetricValues> = {
  payloadType: 8,
  codec: 'PCMA',
  sampleRateHz: 8000,
  frameMs: 20,
  jbNominalMs: 40,
  jbMaxMs: 80,
  jbAbsMaxMs: 300,
  lossPct: 0,
  discardPct: 0,
  burstDensityPct: 0,
  burstDurationMs: 0,
  gapDensityPct: 0,
  gapDurationMs: 6325,
  rttMs: 40,
  esdMs: 11,
  iajMs: 3,
  signalDbm0: -34,
  noiseDbm0: -67,
  rerlDb: 17,
  rlq: 93,
  rcq: 92,
  mosLq: 4.1,
  mosCq: 4.1,
};

/** RFC 3339 UTC without milliseconds, as every sample in the spec writes it. */
export function vqTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function metricLines(m: VqMetricValues, startMs: number, stopMs: number, ac: boolean): string[] {
  const v = { ...HEALTHY, ...m };
  const sep = ac ? ': ' : ':';
  const pct = (x: number): string => x.toFixed(ac ? 2 : 1);
  const mos = (x: number): string => x.toFixed(ac ? 2 : 1);
  return [
    `Timestamps${sep}START=${vqTimestamp(startMs)} STOP=${vqTimestamp(stopMs)}`,
    `SessionDesc${sep}PT=${v.payloadType} PD=${v.codec} SR=${v.sampleRateHz} FD=${v.frameMs} PLC=3 SSUP=${ac ? 'Off' : 'off'}`,
    `JitterBuffer${sep}JBA=3 JBR=0 JBN=${v.jbNominalMs} JBM=${v.jbMaxMs} JBX=${v.jbAbsMaxMs}`,
    `PacketLoss${sep}NLR=${pct(v.lossPct)} JDR=${pct(v.discardPct)}`,
    `BurstGapLoss${sep}BLD=${pct(v.burstDensityPct)} BD=${v.burstDurationMs} GLD=${pct(v.gapDensityPct)} GD=${v.gapDurationMs} GMIN=16`,
    `Delay${sep}RTD=${v.rttMs} ESD=${v.esdMs} IAJ=${v.iajMs}`,
    `Signal${sep}SL=${v.signalDbm0} NL=${v.noiseDbm0} RERL=${v.rerlDb}`,
    `QualityEst${sep}RLQ=${v.rlq} RCQ=${v.rcq} MOSLQ=${mos(v.mosLq)} MOSCQ=${mos(v.mosCq)} QoEEstAlg=P.564`,
  ];
}

/** An RFC 6035 report body (CRLF line ends). */
export function buildVqRtcpxrBody(o: VqReportOptions): string {
  const ac = o.style === 'audiocodes';
  const sep = ac ? ': ' : ':';
  const first =
    o.kind === 'interval'
      ? 'VQIntervalReport'
      : o.kind === 'alert'
        ? `VQAlertReport: Type=${o.alert?.type ?? 'MOSLQ'} Severity=${o.alert?.severity ?? 'Warning'} Dir=${o.alert?.dir ?? 'local'}`
        : ac
          ? 'VQSessionReport'
          : 'VQSessionReport: CallTerm';
  const port = ac ? 'Port' : 'PORT';
  const addr = (a: VqAddr): string => `IP=${a.ip} ${port}=${a.port} SSRC=0x${hex32(a.ssrc)}`;
  const lines = [
    first,
    ac ? `CallID=${o.callId}` : `CallID${sep}${o.callId}`,
    `LocalID${sep}${o.localId}`,
    `RemoteID${sep}${o.remoteId}`,
    `OrigID${sep}${o.origId ?? o.localId}`,
    `LocalAddr${sep}${addr(o.localAddr)}`,
    `RemoteAddr${sep}${addr(o.remoteAddr)}`,
    // AudioCodes sends the group lines even when empty, with nothing after the colon.
    ac ? `LocalGroup:${o.localGroup ? ` ${o.localGroup}` : ''}` : `LocalGroup${sep}${o.localGroup ?? 'default'}`,
    ac ? `RemoteGroup:${o.remoteGroup ? ` ${o.remoteGroup}` : ''}` : `RemoteGroup${sep}${o.remoteGroup ?? 'default'}`,
    ...(o.localMac !== undefined ? [`LocalMAC${sep}${o.localMac}`] : []),
    ...(o.remoteMac !== undefined ? [`RemoteMAC${sep}${o.remoteMac}`] : []),
    'LocalMetrics:',
    ...metricLines(o.local ?? {}, o.startMs, o.stopMs, ac),
    ...(o.remote ? ['RemoteMetrics:', ...metricLines(o.remote, o.startMs, o.stopMs, ac)] : []),
    ...(o.dialog ? [`DialogID${sep}${o.callId};to-tag=${o.dialog.toTag};from-tag=${o.dialog.fromTag}`] : []),
  ];
  return lines.join(CRLF) + CRLF;
}

export interface VqPublishOptions {
  readonly report: VqReportOptions;
  /** The collector's SIP URI host (the phone's `qoe_server_address`). */
  readonly collector: string;
  readonly source: SipEndpoint;
  readonly publishCallId: string;
  readonly cseq?: number;
  readonly userAgent?: string;
  readonly compact?: boolean;
  readonly fold?: boolean;
}

/** A PUBLISH carrying a vq-rtcpxr body, with the AudioCodes envelope (§3.1 of the spec). */
export function buildVqPublish(o: VqPublishOptions): string {
  const uri = `sip:${o.source.ip}`;
  return buildSipRequest({
    method: 'PUBLISH',
    requestUri: `sip:${o.collector}`,
    from: `<${uri}>`,
    fromTag: branchFor(o.publishCallId, 0).slice(7),
    to: `<sip:${o.collector}>`,
    callId: o.publishCallId,
    cseq: o.cseq ?? 1,
    source: o.source,
    headers: [
      [o.compact ? 'o' : 'Event', 'vq-rtcpxr'],
      ['Expires', '3600'],
      ['User-Agent', o.userAgent ?? 'AUDC-IPPhone/3.4.8.M4 (445HD-Rev1; 00908F57D971)'],
    ],
    contentType: 'application/vq-rtcpxr',
    body: buildVqRtcpxrBody(o.report),
    ...(o.compact !== undefined ? { compact: o.compact } : {}),
    ...(o.fold !== undefined ? { fold: o.fold } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// MS-QoE XML bodies

/** What one stream's QoE elements carry; omitted values are left out of the XML. */
export interface QoeStreamValues {
  readonly jitterMs?: number;
  readonly jitterMaxMs?: number;
  readonly lossRate?: number;
  readonly lossRateMax?: number;
  readonly burstDensity?: number;
  readonly burstDurationMs?: number;
  readonly gapDensity?: number;
  readonly gapDurationMs?: number;
  readonly roundTripMs?: number;
  readonly roundTripMaxMs?: number;
  readonly packets?: number;
  readonly bandwidthEstBps?: number;
  readonly payloadType?: number;
  readonly codec?: string;
  readonly sampleRateHz?: number;
  readonly recvListenMos?: number;
  readonly sendListenMos?: number;
  readonly networkMosAvg?: number;
  readonly networkMosMin?: number;
  readonly degradationAvg?: number;
  /** v2 and later. */
  readonly concealedRatioAvg?: number;
  /** v3 and later. */
  readonly jitterSdMs?: number;
  /** v4 and later. */
  readonly networkJitterAvgMs?: number;
  readonly packetReorderRatio?: number;
}

export interface QoeReportOptions {
  /** Highest ms-rtcp-metrics namespace version used: 1 uses only the default namespace. */
  readonly version: 1 | 2 | 3 | 4;
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly caller: boolean;
  readonly fromUri: string;
  readonly toUri: string;
  readonly localUserAgent: string;
  readonly remoteUserAgent: string;
  readonly endpointName: string;
  readonly localAddr: SipEndpoint;
  readonly remoteAddr: SipEndpoint;
  readonly inbound: QoeStreamValues;
  readonly outbound: QoeStreamValues;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function el(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

function group(name: string, inner: string): string {
  return inner === '' ? '' : `<${name}>${inner}</${name}>`;
}

function streamXml(tag: 'InboundStream' | 'OutboundStream', s: QoeStreamValues, version: number): string {
  const v = (min: number, name: string, value: string | number | undefined): string =>
    version >= min ? el(min === 1 ? name : `v${min}:${name}`, value) : '';
  const network = [
    group('Jitter', v(1, 'InterArrival', s.jitterMs) + v(1, 'InterArrivalMax', s.jitterMaxMs) + v(3, 'InterArrivalSD', s.jitterSdMs)),
    group('PacketLoss', v(1, 'LossRate', s.lossRate) + v(1, 'LossRateMax', s.lossRateMax)),
    group(
      'BurstGapLoss',
      v(1, 'BurstDensity', s.burstDensity) + v(1, 'BurstDuration', s.burstDurationMs) + v(1, 'GapDensity', s.gapDensity) + v(1, 'GapDuration', s.gapDurationMs),
    ),
    group('Delay', v(1, 'RoundTrip', s.roundTripMs) + v(1, 'RoundTripMax', s.roundTripMaxMs)),
    group('Utilization', v(1, 'Packets', s.packets) + v(1, 'BandwidthEst', s.bandwidthEstBps)),
    v(2, 'RatioConcealedSamplesAvg', s.concealedRatioAvg),
  ].join('');
  const payload = group(
    'Audio',
    v(1, 'PayloadType', s.payloadType) +
      v(1, 'PayloadDescription', s.codec) +
      v(1, 'SampleRate', s.sampleRateHz) +
      v(4, 'NetworkJitterAvg', s.networkJitterAvgMs) +
      v(4, 'PacketReorderRatio', s.packetReorderRatio),
  );
  const networkMos = group('NetworkMOS', v(1, 'OverallAvg', s.networkMosAvg) + v(1, 'OverallMin', s.networkMosMin) + v(1, 'DegradationAvg', s.degradationAvg));
  const quality = group('Audio', v(1, 'RecvListenMOS', s.recvListenMos) + v(1, 'SendListenMOS', s.sendListenMos) + networkMos);
  return `<${tag} Id="0">${group('Network', network)}${group('Payload', payload)}${group('QualityEstimates', quality)}</${tag}>`;
}

/** An MS-QoE VQReportEvent with one session and one main-audio media line. */
export function buildQoeXml(o: QoeReportOptions): string {
  const ns = [`xmlns="ms-rtcp-metrics"`, ...[2, 3, 4].filter((n) => n <= o.version).map((n) => `xmlns:v${n}="ms-rtcp-metrics.v${n}"`)];
  const schema = o.version >= 2 ? ` v2:SchemaVersion="${o.version}.0"` : '';
  const sessionId = `${o.callId};from-tag=${o.fromTag};to-tag=${o.toTag}`;
  const addr = (tag: string, a: SipEndpoint): string => `<${tag}>${el('IPAddr', a.ip)}${el('Port', a.port)}</${tag}>`;
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<VQReportEvent ${ns.join(' ')}${schema}>`,
    `<VQSessionReport SessionId="${xmlEscape(sessionId)}">`,
    `<Endpoint Name="${xmlEscape(o.endpointName)}"/>`,
    `<DialogInfo CallId="${xmlEscape(o.callId)}" FromTag="${xmlEscape(o.fromTag)}" ToTag="${xmlEscape(o.toTag)}" Start="${vqTimestamp(o.startMs)}" End="${vqTimestamp(o.endMs)}">`,
    el('FromURI', o.fromUri) + el('ToURI', o.toUri) + el('Caller', String(o.caller)),
    el('LocalUserAgent', o.localUserAgent) + el('RemoteUserAgent', o.remoteUserAgent),
    '</DialogInfo>',
    '<MediaLine Label="main-audio">',
    `<Description>${addr('LocalAddr', o.localAddr)}${addr('RemoteAddr', o.remoteAddr)}</Description>`,
    streamXml('InboundStream', o.inbound, o.version),
    streamXml('OutboundStream', o.outbound, o.version),
    '</MediaLine>',
    '</VQSessionReport>',
    '</VQReportEvent>',
    '',
  ].join('\n');
}

export interface QoeServiceOptions {
  readonly report: QoeReportOptions;
  /** SERVICE Request-URI, e.g. the pool's QoE GRUU. */
  readonly requestUri: string;
  readonly source: SipEndpoint;
  readonly serviceCallId: string;
  readonly cseq?: number;
  readonly transport?: 'UDP' | 'TCP' | 'TLS';
}

/** A SERVICE carrying an MS-QoE report, From the reporting user (the QoE agent checks that). */
export function buildQoeService(o: QoeServiceOptions): string {
  const user = o.report.caller ? o.report.fromUri : o.report.toUri;
  return buildSipRequest({
    method: 'SERVICE',
    requestUri: o.requestUri,
    from: `<${user}>`,
    fromTag: branchFor(o.serviceCallId, 0).slice(7),
    to: `<${user}>`,
    callId: o.serviceCallId,
    cseq: o.cseq ?? 1,
    source: o.source,
    headers: [['User-Agent', o.report.localUserAgent]],
    contentType: 'application/vq-rtcpxr+xml',
    body: buildQoeXml(o.report),
    ...(o.transport !== undefined ? { transport: o.transport } : {}),
  });
}

/** An OPTIONS keep-alive/ping as phones send to their registrar or collector. */
export function buildOptions(o: { readonly source: SipEndpoint; readonly target: string; readonly callId: string; readonly cseq?: number }): string {
  return buildSipRequest({
    method: 'OPTIONS',
    requestUri: `sip:${o.target}`,
    from: `<sip:${o.source.ip}>`,
    fromTag: branchFor(o.callId, 0).slice(7),
    to: `<sip:${o.target}>`,
    callId: o.callId,
    cseq: o.cseq ?? 1,
    source: o.source,
    headers: [['Accept', 'application/sdp']],
  });
}
