/**
 * Microsoft [MS-QoE] voice-quality reports (`application/vq-rtcpxr+xml`, sent by SfB/Teams
 * firmware in a SIP SERVICE at the end of each call).
 *
 * tshark has no dissector for this XML, so names follow the QoE database / CQD columns where one
 * exists (`JitterInterArrival` → `jitterInterArrivalMs`), with units in our names:
 *
 * | element under InboundStream/OutboundStream        | ours                      | QoE DB column            |
 * |---------------------------------------------------|---------------------------|--------------------------|
 * | Network/Jitter/InterArrival, InterArrivalMax      | jitterInterArrival(Max)Ms | JitterInterArrival(Max)  |
 * | Network/Jitter/v3:InterArrivalSD                  | jitterInterArrivalSdMs    |                          |
 * | Network/PacketLoss/LossRate, LossRateMax          | packetLossRate(Max)       | PacketLossRate(Max)      |
 * | Network/BurstGapLoss/BurstDensity, BurstDuration  | burstDensity, burstDurationMs | BurstDensity, BurstDuration |
 * | Network/BurstGapLoss/GapDensity, GapDuration      | gapDensity, gapDurationMs | GapDensity, GapDuration  |
 * | Network/Delay/RoundTrip, RoundTripMax             | roundTrip(Max)Ms          | RoundTrip(Max)           |
 * | Network/Utilization/Packets, BandwidthEst         | packetUtilization, bandwidthEstBps | PacketUtilization, BandwidthEst |
 * | Network/v2:RatioConcealedSamplesAvg (+Stretched, Compressed), v3:ConcealRatioMax | ratio… | Ratio…           |
 * | Payload/Audio/PayloadType, PayloadDescription, SampleRate | payloadType, payloadDescription, sampleRateHz | |
 * | Payload/Audio/v2:AudioFECUsed, v3:AudioPostFECPLR | audioFecUsed, audioPostFecPlr |                      |
 * | Payload/Audio/v4:NetworkJitterAvg, PacketReorderRatio | networkJitterAvgMs, packetReorderRatio | NetworkJitterAvg |
 * | QualityEstimates/Audio/RecvListenMOS(Min), SendListenMOS(Min) | recvListenMos(Min), sendListenMos(Min) | |
 * | QualityEstimates/Audio/NetworkMOS/OverallAvg, OverallMin | overallAvgNetworkMos, overallMinNetworkMos | OverallAvgNetworkMOS |
 * | …/NetworkMOS/DegradationAvg, Max, JitterAvg, PacketLossAvg | degradation… | DegradationAvg …      |
 *
 * Elements are matched by local name within the `ms-rtcp-metrics` namespace family (v1 default,
 * `ms-rtcp-metrics.vN` for later additions); elements of other namespaces are `xs:any` extensions
 * and are skipped. Every leaf of a stream is also kept in `raw` by its local-name path.
 *
 * XML safety: saxes never expands entities declared in a DTD and never fetches anything; on top of
 * that a DOCTYPE is refused outright (QoE reports have none), input size, element count and depth
 * are bounded, so external entities and billion-laughs have nothing to work with.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { decodeError, isDecodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'ms-qoe';

/** The QoE Monitoring Agent refuses bodies over 300 KB (413), so nothing legitimate is larger. */
export const MAX_QOE_XML_BYTES = 300 * 1024;
export const MAX_QOE_ELEMENTS = 20_000;
export const MAX_QOE_DEPTH = 64;
export const MAX_QOE_WARNINGS = 50;

const NAMESPACE = /^ms-rtcp-metrics(?:\.v(\d+))?$/;

export type MsQoeDirection = 'inbound' | 'outbound';
export type MsQoeRole = 'caller' | 'callee';

export interface MsQoeAudioMetrics {
  readonly jitterInterArrivalMs?: number;
  readonly jitterInterArrivalMaxMs?: number;
  readonly jitterInterArrivalSdMs?: number;
  /** Fraction 0..1 (0.1 = 10 %), not percent. */
  readonly packetLossRate?: number;
  readonly packetLossRateMax?: number;
  readonly burstDensity?: number;
  readonly burstDurationMs?: number;
  readonly gapDensity?: number;
  readonly gapDurationMs?: number;
  readonly roundTripMs?: number;
  readonly roundTripMaxMs?: number;
  readonly packetUtilization?: number;
  readonly bandwidthEstBps?: number;
  readonly ratioConcealedSamplesAvg?: number;
  readonly ratioStretchedSamplesAvg?: number;
  readonly ratioCompressedSamplesAvg?: number;
  readonly concealRatioMax?: number;
  readonly payloadType?: number;
  readonly payloadDescription?: string;
  readonly sampleRateHz?: number;
  readonly audioFecUsed?: boolean;
  readonly audioPostFecPlr?: number;
  readonly networkJitterAvgMs?: number;
  readonly packetReorderRatio?: number;
  readonly recvListenMos?: number;
  readonly recvListenMosMin?: number;
  readonly sendListenMos?: number;
  readonly sendListenMosMin?: number;
  readonly overallAvgNetworkMos?: number;
  readonly overallMinNetworkMos?: number;
  readonly degradationAvg?: number;
  readonly degradationMax?: number;
  /** Fraction of the degradation caused by jitter. */
  readonly degradationJitterAvg?: number;
  /** Fraction of the degradation caused by packet loss. */
  readonly degradationPacketLossAvg?: number;
  readonly networkMosAlg?: string;
}

export interface MsQoeStream {
  /** Inbound: what the reporting endpoint received. */
  readonly direction: MsQoeDirection;
  readonly id?: string;
  /** Who sent the media, when the report says whether the reporter was the caller. */
  readonly sender?: MsQoeRole;
  readonly receiver?: MsQoeRole;
  readonly metrics: MsQoeAudioMetrics;
  /** Every leaf under the stream by local-name path (`Network/Jitter/InterArrival`), typed or not. */
  readonly raw: Readonly<Record<string, string>>;
}

export interface MsQoeAddress {
  readonly ip?: string;
  readonly port?: number;
  readonly mac?: string;
}

export interface MsQoeMediaLine {
  /** `main-audio`, `main-video`, `applicationsharing`, ... */
  readonly label?: string;
  readonly localAddr?: MsQoeAddress;
  readonly remoteAddr?: MsQoeAddress;
  readonly streams: readonly MsQoeStream[];
  /** Leaves of Description and other non-stream children, by local-name path. */
  readonly raw: Readonly<Record<string, string>>;
}

export interface MsQoeParty {
  readonly uri?: string;
  readonly userAgent?: string;
  readonly contactUri?: string;
  readonly pai?: string;
}

export interface MsQoeDialog {
  readonly callId?: string;
  readonly fromTag?: string;
  readonly toTag?: string;
  readonly start?: string;
  readonly end?: string;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly fromUri?: string;
  readonly toUri?: string;
  /** Whether the reporting endpoint placed the call. */
  readonly reporterIsCaller?: boolean;
  readonly localUserAgent?: string;
  readonly remoteUserAgent?: string;
  readonly localContactUri?: string;
  readonly remoteContactUri?: string;
  readonly localPai?: string;
  readonly remotePai?: string;
  readonly confUri?: string;
  readonly dialogCategory?: string;
  readonly correlationId?: string;
}

export interface MsQoeSession {
  readonly kind: 'VQSessionReport' | 'VQSessionIntervalReport';
  readonly sessionId?: string;
  readonly endpointName?: string;
  readonly dialog: MsQoeDialog;
  /** Caller side: FromURI (the dialog's From), plus the local or remote agent by `Caller`. */
  readonly caller: MsQoeParty;
  readonly callee: MsQoeParty;
  readonly mediaLines: readonly MsQoeMediaLine[];
}

export interface MsQoeReport {
  /** ms-rtcp-metrics namespace versions present, ascending (1 = the default namespace). */
  readonly namespaceVersions: readonly number[];
  readonly version?: string;
  readonly schemaVersion?: string;
  readonly sessions: readonly MsQoeSession[];
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// A small element tree, only of ms-rtcp-metrics elements

interface Element {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  text: string;
  readonly children: Element[];
  readonly line: number;
}

class Abort extends Error {
  constructor(readonly error: DecodeError) {
    super(error.message);
  }
}

function decodeText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input.replace(/^\uFEFF/, '');
  const b = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2)).swap16().toString('utf16le');
  return b.toString('utf8').replace(/^\uFEFF/, '');
}

/** Parses to a tree of ms-rtcp-metrics elements; other namespaces' subtrees are dropped. */
function parseTree(xml: string, versions: Set<number>): Element | DecodeError {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const fail = (message: string): never => {
    throw new Abort(decodeError(FORMAT, message, parser.line));
  };
  let root: Element | undefined;
  const stack: (Element | undefined)[] = [];
  let elements = 0;
  parser.on('doctype', () => fail('DOCTYPE is not allowed in a QoE report'));
  parser.on('error', (e) => fail(`XML: ${e.message}`));
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++elements > MAX_QOE_ELEMENTS) fail(`more than ${MAX_QOE_ELEMENTS} elements`);
    if (stack.length >= MAX_QOE_DEPTH) fail(`nesting deeper than ${MAX_QOE_DEPTH}`);
    // Hand-rolled generators sometimes drop xmlns entirely; such elements are read as ours.
    const ns = tag.uri === '' ? [] : NAMESPACE.exec(tag.uri);
    const parent = stack[stack.length - 1];
    // An element outside our namespaces, or under one, is an extension: keep its place, not its content.
    if (!ns || (stack.length > 0 && parent === undefined)) {
      stack.push(undefined);
      return;
    }
    if (tag.uri !== '') versions.add(ns[1] === undefined ? 1 : Number(ns[1]));
    const attrs = new Map<string, string>();
    for (const a of Object.values(tag.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      const attrNs = NAMESPACE.exec(a.uri);
      if (attrNs) versions.add(attrNs[1] === undefined ? 1 : Number(attrNs[1]));
      if (!attrs.has(a.local)) attrs.set(a.local, a.value);
    }
    const el: Element = { name: tag.local, attrs, text: '', children: [], line: parser.line };
    if (parent) parent.children.push(el);
    else root ??= el;
    stack.push(el);
  });
  parser.on('text', (text) => {
    const top = stack[stack.length - 1];
    if (top) top.text += text;
  });
  parser.on('cdata', (text) => {
    const top = stack[stack.length - 1];
    if (top) top.text += text;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(xml).close();
  } catch (e) {
    if (e instanceof Abort) return e.error;
    return decodeError(FORMAT, `XML: ${e instanceof Error ? e.message : String(e)}`, parser.line);
  }
  return root ?? decodeError(FORMAT, 'no ms-rtcp-metrics root element');
}

function child(el: Element | undefined, name: string): Element | undefined {
  return el?.children.find((c) => c.name === name);
}

function childText(el: Element | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}

/** All leaves below `el` by local-name path; the first of repeated paths wins. */
function leaves(el: Element, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const c of el.children) {
    const path = prefix === '' ? c.name : `${prefix}/${c.name}`;
    if (c.children.length === 0) {
      if (!(path in out)) out[path] = c.text.trim();
    } else leaves(c, path, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

type Parse = (text: string, where: string, warnings: string[]) => number | string | boolean | undefined;

/** xs:double/xs:int as MS-QoE writes them; negative values mean nothing in these metrics. */
const num: Parse = (text, where, warnings) => {
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (Number.isFinite(n)) return n;
  warnings.push(`${where}: ${JSON.stringify(text.slice(0, 30))} is not a non-negative number`);
  return undefined;
};
const str: Parse = (text) => text;
const bool: Parse = (text, where, warnings) => {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  warnings.push(`${where}: ${JSON.stringify(text.slice(0, 30))} is not a boolean`);
  return undefined;
};

const STREAM_METRICS: Readonly<Record<string, readonly [keyof MsQoeAudioMetrics, Parse]>> = {
  'Network/Jitter/InterArrival': ['jitterInterArrivalMs', num],
  'Network/Jitter/InterArrivalMax': ['jitterInterArrivalMaxMs', num],
  'Network/Jitter/InterArrivalSD': ['jitterInterArrivalSdMs', num],
  'Network/PacketLoss/LossRate': ['packetLossRate', num],
  'Network/PacketLoss/LossRateMax': ['packetLossRateMax', num],
  'Network/BurstGapLoss/BurstDensity': ['burstDensity', num],
  'Network/BurstGapLoss/BurstDuration': ['burstDurationMs', num],
  'Network/BurstGapLoss/GapDensity': ['gapDensity', num],
  'Network/BurstGapLoss/GapDuration': ['gapDurationMs', num],
  'Network/Delay/RoundTrip': ['roundTripMs', num],
  'Network/Delay/RoundTripMax': ['roundTripMaxMs', num],
  'Network/Utilization/Packets': ['packetUtilization', num],
  'Network/Utilization/BandwidthEst': ['bandwidthEstBps', num],
  'Network/RatioConcealedSamplesAvg': ['ratioConcealedSamplesAvg', num],
  'Network/RatioStretchedSamplesAvg': ['ratioStretchedSamplesAvg', num],
  'Network/RatioCompressedSamplesAvg': ['ratioCompressedSamplesAvg', num],
  'Network/ConcealRatioMax': ['concealRatioMax', num],
  'Payload/Audio/PayloadType': ['payloadType', num],
  'Payload/Audio/PayloadDescription': ['payloadDescription', str],
  'Payload/Audio/SampleRate': ['sampleRateHz', num],
  'Payload/Audio/AudioFECUsed': ['audioFecUsed', bool],
  'Payload/Audio/AudioPostFECPLR': ['audioPostFecPlr', num],
  'Payload/Audio/NetworkJitterAvg': ['networkJitterAvgMs', num],
  'Payload/Audio/PacketReorderRatio': ['packetReorderRatio', num],
  'QualityEstimates/Audio/RecvListenMOS': ['recvListenMos', num],
  'QualityEstimates/Audio/RecvListenMOSMin': ['recvListenMosMin', num],
  'QualityEstimates/Audio/SendListenMOS': ['sendListenMos', num],
  'QualityEstimates/Audio/SendListenMOSMin': ['sendListenMosMin', num],
  'QualityEstimates/Audio/NetworkMOS/OverallAvg': ['overallAvgNetworkMos', num],
  'QualityEstimates/Audio/NetworkMOS/OverallMin': ['overallMinNetworkMos', num],
  'QualityEstimates/Audio/NetworkMOS/DegradationAvg': ['degradationAvg', num],
  'QualityEstimates/Audio/NetworkMOS/DegradationMax': ['degradationMax', num],
  'QualityEstimates/Audio/NetworkMOS/DegradationJitterAvg': ['degradationJitterAvg', num],
  'QualityEstimates/Audio/NetworkMOS/DegradationPacketLossAvg': ['degradationPacketLossAvg', num],
  'QualityEstimates/Audio/NetworkMOS/NetworkMOSAlg': ['networkMosAlg', str],
};

const XS_DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?$/;

function dateMs(text: string | undefined, where: string, warnings: string[]): number | undefined {
  if (text === undefined) return undefined;
  // xs:dateTime without a zone is local time of the reporter; read it as UTC rather than guess.
  const ms = XS_DATE_TIME.test(text) ? Date.parse(/(?:Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`) : NaN;
  if (Number.isNaN(ms)) {
    warnings.push(`${where}: ${JSON.stringify(text.slice(0, 40))} is not an xs:dateTime`);
    return undefined;
  }
  return ms;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------
// Report

function stream(el: Element, direction: MsQoeDirection, reporter: MsQoeRole | undefined, where: string, warnings: string[]): MsQoeStream {
  const raw = leaves(el);
  const metrics: Record<string, unknown> = {};
  for (const [path, text] of Object.entries(raw)) {
    const spec = STREAM_METRICS[path];
    if (!spec || text === '') continue;
    const value = spec[1](text, `${where} ${path}`, warnings);
    if (value !== undefined) metrics[spec[0]] = value;
  }
  const other: MsQoeRole | undefined = reporter === undefined ? undefined : reporter === 'caller' ? 'callee' : 'caller';
  return defined({
    direction,
    id: el.attrs.get('Id'),
    sender: direction === 'inbound' ? other : reporter,
    receiver: direction === 'inbound' ? reporter : other,
    metrics: metrics as MsQoeAudioMetrics,
    raw,
  });
}

function addr(el: Element | undefined, where: string, warnings: string[]): MsQoeAddress | undefined {
  if (!el) return undefined;
  const portText = childText(el, 'Port');
  const port = portText === undefined ? undefined : num(portText, `${where} Port`, warnings);
  return defined({
    ip: childText(el, 'IPAddr'),
    port: typeof port === 'number' && Number.isInteger(port) && port <= 65535 ? port : undefined,
    mac: childText(el, 'MACAddr'),
  });
}

function mediaLine(el: Element, reporter: MsQoeRole | undefined, where: string, warnings: string[]): MsQoeMediaLine {
  const description = child(el, 'Description');
  const streams: MsQoeStream[] = [];
  const rest: Element = { ...el, children: [] };
  for (const c of el.children) {
    if (c.name === 'InboundStream') streams.push(stream(c, 'inbound', reporter, `${where} InboundStream`, warnings));
    else if (c.name === 'OutboundStream') streams.push(stream(c, 'outbound', reporter, `${where} OutboundStream`, warnings));
    else rest.children.push(c);
  }
  return defined({
    label: el.attrs.get('Label'),
    localAddr: addr(child(description, 'LocalAddr'), `${where} LocalAddr`, warnings),
    remoteAddr: addr(child(description, 'RemoteAddr'), `${where} RemoteAddr`, warnings),
    streams,
    raw: leaves(rest),
  });
}

function session(el: Element, warnings: string[]): MsQoeSession {
  const where = `line ${el.line} ${el.name}`;
  const info = child(el, 'DialogInfo');
  const text = (name: string): string | undefined => childText(info, name);
  const callerText = text('Caller');
  const reporterIsCaller = callerText === undefined ? undefined : (bool(callerText, `${where} Caller`, warnings) as boolean | undefined);
  const dialog: MsQoeDialog = defined({
    callId: info?.attrs.get('CallId'),
    fromTag: info?.attrs.get('FromTag'),
    toTag: info?.attrs.get('ToTag'),
    start: info?.attrs.get('Start'),
    end: info?.attrs.get('End'),
    startMs: dateMs(info?.attrs.get('Start'), `${where} DialogInfo Start`, warnings),
    endMs: dateMs(info?.attrs.get('End'), `${where} DialogInfo End`, warnings),
    fromUri: text('FromURI'),
    toUri: text('ToURI'),
    reporterIsCaller,
    localUserAgent: text('LocalUserAgent'),
    remoteUserAgent: text('RemoteUserAgent'),
    localContactUri: text('LocalContactURI'),
    remoteContactUri: text('RemoteContactURI'),
    localPai: text('LocalPAI'),
    remotePai: text('RemotePAI'),
    confUri: text('ConfURI'),
    dialogCategory: text('DialogCategory'),
    correlationId: text('CorrelationID'),
  });
  if (!info) warnings.push(`${where}: no DialogInfo`);
  else if (dialog.callId === undefined) warnings.push(`${where}: DialogInfo has no CallId`);
  const local: MsQoeParty = defined({ userAgent: dialog.localUserAgent, contactUri: dialog.localContactUri, pai: dialog.localPai });
  const remote: MsQoeParty = defined({ userAgent: dialog.remoteUserAgent, contactUri: dialog.remoteContactUri, pai: dialog.remotePai });
  const [callerSide, calleeSide] = reporterIsCaller === undefined ? [{}, {}] : reporterIsCaller ? [local, remote] : [remote, local];
  const reporter: MsQoeRole | undefined = reporterIsCaller === undefined ? undefined : reporterIsCaller ? 'caller' : 'callee';
  const mediaLines = el.children
    .filter((c) => c.name === 'MediaLine')
    .map((c) => mediaLine(c, reporter, `${where} MediaLine[${c.attrs.get('Label') ?? '?'}]`, warnings));
  if (mediaLines.length === 0) warnings.push(`${where}: no MediaLine`);
  return defined({
    kind: el.name as MsQoeSession['kind'],
    sessionId: el.attrs.get('SessionId'),
    endpointName: child(el, 'Endpoint')?.attrs.get('Name'),
    dialog,
    // From/To are the dialog's, so FromURI is the caller whoever reports.
    caller: defined({ uri: dialog.fromUri, ...callerSide }),
    callee: defined({ uri: dialog.toUri, ...calleeSide }),
    mediaLines,
  });
}

export function decodeMsQoe(input: string | Uint8Array): MsQoeReport | DecodeError {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > MAX_QOE_XML_BYTES) return decodeError(FORMAT, `XML is ${size} bytes, limit ${MAX_QOE_XML_BYTES}`);
  const versions = new Set<number>();
  const root = parseTree(decodeText(input), versions);
  if (isDecodeError(root)) return root;
  const warnings: string[] = [];
  if (versions.size === 0) warnings.push('elements carry no namespace; read as ms-rtcp-metrics');
  let sessionElements: Element[];
  if (root.name === 'VQReportEvent') {
    sessionElements = root.children.filter((c) => c.name === 'VQSessionReport' || c.name === 'VQSessionIntervalReport');
    if (sessionElements.length === 0) warnings.push('VQReportEvent holds no VQSessionReport');
  } else if (root.name === 'VQSessionReport' || root.name === 'VQSessionIntervalReport') {
    warnings.push(`root is ${root.name} without a VQReportEvent around it`);
    sessionElements = [root];
  } else {
    // CallQualityFeedbackReport (rate-my-call) and anything else: not a QoE report (MS-QoE answers 606).
    return decodeError(FORMAT, `root element is ${root.name}, not VQReportEvent`, root.line);
  }
  return defined({
    namespaceVersions: [...versions].sort((a, b) => a - b),
    version: root.name === 'VQReportEvent' ? root.attrs.get('Version') : undefined,
    schemaVersion: root.name === 'VQReportEvent' ? root.attrs.get('SchemaVersion') : undefined,
    sessions: sessionElements.map((s) => session(s, warnings)),
    warnings: warnings.length > MAX_QOE_WARNINGS ? [...warnings.slice(0, MAX_QOE_WARNINGS), `${warnings.length - MAX_QOE_WARNINGS} more warnings not listed`] : warnings,
  });
}
