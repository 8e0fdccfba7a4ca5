/**
 * Builds one ticket bundle: gathers the scope, writes every file into a work folder (logs paged
 * from the store, captures call by call), then packs report, manifest and files into the archive.
 * When the archive is over the size limit, audio goes first, then original captures, then plain
 * ones; the report and the manifest say what went and why.
 */
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { timeline, samplesCsv } from '../json/call-timeline.js';
import { logLineJson } from '../json/log-line.js';
import { callJson as recordedCallJson } from '../json/recorded-call.js';
import { callJson, sampleJson, streamJson } from '../json/call.js';
import type { Call, QualitySample } from '../calls/model.js';
import { AudioUnavailable, mixedWav, streamWav } from '../export/recording-audio.js';
import { originalPcap, plainPcap } from '../export/recording-pcap.js';
import type { RecordedCallSummary } from '../pipeline/recordings/types.js';
import type { RecordingStore } from '../store/recording-store.js';
import type { DeviceRecord, StoredLog } from '../store/types.js';
import type { CrashReport } from '../crashes/report.js';
import { writeArchive } from './archive.js';
import { gatherContent, logPages, logsAround, type BundleContent, type BundleSources } from './gather.js';
import { redactPlainPcap } from './pcap-redact.js';
import { Redactor } from './redact.js';
import { reportHtml, type ReportCall, type ReportCrash, type ReportDevice, type ReportEvent, type ReportModel } from './report-html.js';
import { Stage, type StagedFile } from './stage.js';
import { timeSeriesSvg, type ChartBand } from './svg-chart.js';
import { DROPPABLE_KINDS, type BundleOptions, type BundleScope, type DroppedPart, type DroppableKind } from './types.js';

/** Calls drawn in the report; the rest are listed (their samples are in the bundle either way). */
const MAX_CHARTED_CALLS = 50;
/** Log lines before and after each event in the report. */
const EVENT_LOG_LINES = 6;
const MAX_CRASH_FRAMES = 40;
/** syslog `[S=n]` counters: a drop this large is a restart, not lost lines (as the device registry counts). */
const SEQ_RESTART_DROP = 1000;

export interface BuildTarget {
  /** Work folder for the files before packing; removed afterwards. */
  readonly workDir: string;
  readonly outPath: string;
  readonly now: () => number;
  readonly onProgress?: (progress: number, step: string) => void;
}

export interface BuildResult {
  readonly bytes: number;
  readonly contentBytes: number;
  readonly files: number;
  readonly dropped: readonly DroppedPart[];
  readonly overLimit: boolean;
}

interface DeviceHeard {
  logs: number;
  firstMs: number | null;
  lastMs: number | null;
  seqGaps: number;
  lastSeq: number | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const iso = (ms: number) => new Date(ms).toISOString();

export async function buildBundle(src: BundleSources, scope: BundleScope, options: BundleOptions, target: BuildTarget): Promise<BuildResult> {
  const progress = target.onProgress ?? (() => undefined);
  const createdAt = target.now();
  progress(0.02, 'finding what belongs to the scope');
  const content = await gatherContent(src, scope);
  const redactor = options.redact ? new Redactor() : null;
  if (redactor) {
    progress(0.05, 'reading everything once to learn what to redact');
    await discoverAll(src, content, redactor);
  }
  const R = <T>(v: T): T => (redactor ? redactor.deep(v) : v);
  const stage = new Stage(target.workDir);
  const dropped: DroppedPart[] = [];
  const audio = options.includeAudio ?? !options.redact;
  try {
    const heard = await writeLogs(src, content, stage, R, (f) => progress(0.1 + 0.4 * f, 'writing logs'));
    const calls = await writeCalls(src, content, stage, R, (f) => progress(0.5 + 0.15 * f, 'writing calls and quality samples'));
    const recordings = await writeRecordings(src, content, stage, redactor, audio, dropped, R, (f) => progress(0.65 + 0.2 * f, 'writing recordings'));
    const crashes = await writeCrashes(src, content, stage, redactor !== null, dropped, R);
    await stage.put('devices.json', 'json', 'the devices in scope: facts and what was heard from each', JSON.stringify(R(devicesJson(src, content, heard)), null, 2));
    if (!audio && options.redact) dropped.push({ what: 'audio (WAV)', files: 0, bytes: 0, reason: 'redacted bundle: voice is personal data; ask for audio explicitly to include it' });
    else if (!audio) dropped.push({ what: 'audio (WAV)', files: 0, bytes: 0, reason: 'not asked for' });

    progress(0.88, 'packing');
    const model = (files: readonly StagedFile[], drops: readonly DroppedPart[], overLimit: boolean): ReportModel =>
      reportModel(src, content, options, R, createdAt, calls, recordings, crashes, heard, files, drops, overLimit);
    const sizeDropped = new Set<DroppableKind>();
    for (;;) {
      const kept = stage.files.filter((f) => !sizeDropped.has(f.kind as DroppableKind) && f.path !== 'report.html' && f.path !== 'manifest.json');
      const drops = [...dropped, ...[...sizeDropped].map((k) => dropPart(k, stage.files, options.maxBytes))];
      const remaining = DROPPABLE_KINDS.filter((k) => !sizeDropped.has(k) && kept.some((f) => f.kind === k));
      const nothingLeftToDrop = remaining.length === 0;
      const report = await replace(stage, 'report.html', 'report', 'this report: summary, verdicts, charts, log excerpts, crashes, devices', reportHtml(model(kept, drops, false)));
      const manifest = await replace(stage, 'manifest.json', 'manifest', 'every file with its SHA-256 and size, the query and what was left out',
        JSON.stringify(manifestJson(src, content, options, R, createdAt, [report, ...kept], drops, false, redactor), null, 2));
      const tmp = `${target.outPath}.tmp`;
      await writeArchive(options.format, [report, manifest, ...kept], tmp, new Date(createdAt));
      const bytes = (await stat(tmp)).size;
      if (bytes <= options.maxBytes || nothingLeftToDrop) {
        const overLimit = bytes > options.maxBytes;
        if (overLimit) {
          // Say so in the files themselves, then pack once more.
          const r2 = await replace(stage, 'report.html', 'report', report.description, reportHtml(model(kept, drops, true)));
          const m2 = await replace(stage, 'manifest.json', 'manifest', manifest.description,
            JSON.stringify(manifestJson(src, content, options, R, createdAt, [r2, ...kept], drops, true, redactor), null, 2));
          await writeArchive(options.format, [r2, m2, ...kept], tmp, new Date(createdAt));
        }
        await rename(tmp, target.outPath);
        const final = [report, manifest, ...kept];
        progress(1, 'done');
        return { bytes: (await stat(target.outPath)).size, contentBytes: final.reduce((a, f) => a + f.bytes, 0), files: final.length, dropped: drops, overLimit };
      }
      sizeDropped.add(remaining[0]!);
    }
  } finally {
    await rm(target.workDir, { recursive: true, force: true });
  }
}

async function replace(stage: Stage, name: string, kind: string, description: string, text: string): Promise<StagedFile> {
  stage.remove(name);
  return stage.put(name, kind, description, text);
}

const KIND_WORDS: Readonly<Record<DroppableKind, string>> = {
  audio: 'audio (WAV)',
  'pcap-original': 'recordings as received (original ACDR pcap)',
  'pcap-plain': 'recordings as plain RTP pcap',
};

function dropPart(kind: DroppableKind, files: readonly StagedFile[], maxBytes: number): DroppedPart {
  const of = files.filter((f) => f.kind === kind);
  return { what: KIND_WORDS[kind], files: of.length, bytes: of.reduce((a, f) => a + f.bytes, 0), reason: `size limit ${maxBytes} bytes (audio goes first, then original captures, then plain ones)` };
}

/** One read of everything the bundle will contain, so bare mentions of a value learned later are caught too. */
async function discoverAll(src: BundleSources, content: BundleContent, r: Redactor): Promise<void> {
  r.discoverDeep(content.scope);
  r.discoverDeep(content.devices);
  for (const c of content.calls) r.discoverDeep(c);
  r.discoverDeep(content.recordings);
  for (const c of content.crashes) r.discover(c.report);
  r.discoverDeep([...content.dumps.values()]);
  for await (const page of logPages(src.store, content)) {
    for (const l of page) {
      r.discover(utf8.decode(l.raw));
      if (l.hostname) r.discover(l.hostname);
    }
  }
}

async function writeLogs(src: BundleSources, content: BundleContent, stage: Stage, R: <T>(v: T) => T, progress: (f: number) => void): Promise<Map<number, DeviceHeard>> {
  const txt = await stage.open('logs.txt', 'logs', 'raw syslog lines in received order: receive time, device, the line as received (continuation lines of a multi-line message indented by a tab)');
  const jsonl = await stage.open('logs.jsonl', 'logs', 'the same lines parsed, one JSON object per line (the /api/logs LogLine shape)');
  const heard = new Map<number, DeviceHeard>();
  const span = Math.max(1, content.toMs - content.fromMs);
  for await (const page of logPages(src.store, content)) {
    const t: string[] = [];
    const j: string[] = [];
    for (const l of page) {
      const address = src.devices.byId(l.deviceId)?.address ?? `device-${l.deviceId}`;
      const json = R(logLineJson(l, address));
      t.push(`${json.receivedAt} ${json.device.address} ${json.raw.replace(/\r?\n/g, '\n\t')}\n`);
      j.push(JSON.stringify(json) + '\n');
      noteHeard(heard, l);
    }
    await txt.write(t.join(''));
    await jsonl.write(j.join(''));
    const last = page[page.length - 1];
    if (last) progress((last.receivedAt - content.fromMs) / span);
  }
  await txt.close();
  await jsonl.close();
  return heard;
}

function noteHeard(heard: Map<number, DeviceHeard>, l: StoredLog): void {
  let h = heard.get(l.deviceId);
  if (!h) {
    h = { logs: 0, firstMs: null, lastMs: null, seqGaps: 0, lastSeq: null };
    heard.set(l.deviceId, h);
  }
  h.logs++;
  h.firstMs ??= l.receivedAt;
  h.lastMs = l.receivedAt;
  if (l.seq !== null) {
    if (h.lastSeq !== null && l.seq > h.lastSeq + 1 && l.seq - h.lastSeq < SEQ_RESTART_DROP) h.seqGaps += l.seq - h.lastSeq - 1;
    h.lastSeq = l.seq;
  }
}

interface WrittenCall {
  readonly call: Call;
  readonly json: ReturnType<typeof callJson> & { streams: Array<ReturnType<typeof streamJson>> };
  readonly files: string[];
  readonly charts: string[];
  readonly events: ReportEvent[];
}

async function writeCalls(src: BundleSources, content: BundleContent, stage: Stage, R: <T>(v: T) => T, progress: (f: number) => void): Promise<WrittenCall[]> {
  const callsT = src.store.calls;
  const charted = new Set([...content.calls].sort((a, b) => verdictRank(b.call) - verdictRank(a.call) || a.call.startMs - b.call.startMs)
    .slice(0, MAX_CHARTED_CALLS).map((c) => c.call.id));
  const out: WrittenCall[] = [];
  for (const [i, detail] of content.calls.entries()) {
    const c = detail.call;
    const dir = `calls/call-${c.id}`;
    const samples = await callsT.samples(c.id);
    const device = c.deviceId === null ? undefined : src.devices.byId(c.deviceId);
    const json = R({ ...callJson(c), streams: detail.streams.map(streamJson) });
    const files = [
      (await stage.put(`${dir}/call.json`, 'json', `call ${c.id}: the call, its streams and verdicts (/api/calls/${c.id})`, JSON.stringify({ ...json, device: device ? R({ id: device.id, address: device.address, mac: device.mac, model: device.model }) : null }, null, 2))).path,
      (await stage.put(`${dir}/samples.csv`, 'samples', `call ${c.id}: every quality sample, one row each (/api/calls/${c.id}/samples.csv)`, samplesCsv(samples))).path,
      (await stage.put(`${dir}/samples.json`, 'samples', `call ${c.id}: the same samples as JSON`, JSON.stringify(samples.map(sampleJson)))).path,
    ];
    const show = charted.has(c.id);
    out.push({
      call: c, json, files,
      charts: show ? callCharts(src, c, samples) : [],
      events: show ? await callEvents(src, c, samples, R) : [],
    });
    progress((i + 1) / Math.max(1, content.calls.length));
  }
  return out;
}

function verdictRank(c: Call): number {
  return { poor: 3, fair: 2, unknown: 1, good: 0 }[c.verdict];
}

const CHARTS: ReadonlyArray<{ title: string; unit: string; metrics: readonly string[]; band: 'mos' | 'lossPct' | 'jitterMs'; yMin?: number; yMax?: number }> = [
  { title: 'MOS', unit: 'MOS 1–5', metrics: ['mosLq', 'mosCq'], band: 'mos', yMin: 1, yMax: 5 },
  { title: 'Packet loss', unit: '%', metrics: ['lossPct'], band: 'lossPct' },
  { title: 'Jitter', unit: 'ms', metrics: ['jitterMs'], band: 'jitterMs' },
];

function callCharts(src: BundleSources, c: Call, samples: readonly QualitySample[]): string[] {
  const t = src.thresholds;
  const bands: Record<string, ChartBand> = {
    mos: { fair: t.fairMos, poor: t.poorMos, lowerIsWorse: true },
    lossPct: { fair: t.fairLossPct, poor: t.poorLossPct, lowerIsWorse: false },
    jitterMs: { fair: t.fairJitterMs, poor: t.poorJitterMs, lowerIsWorse: false },
  };
  const series = timeline(samples);
  const fromMs = Math.min(c.startMs, ...samples.map((s) => s.startMs));
  const toMs = Math.max(c.endMs ?? c.startMs, ...samples.map((s) => s.endMs));
  return CHARTS.flatMap((chart) => {
    const lines = series.filter((s) => chart.metrics.includes(s.metric));
    if (lines.length === 0) return [];
    return [timeSeriesSvg({
      title: chart.title, unit: chart.unit, fromMs, toMs, band: bands[chart.band]!,
      ...(chart.yMin !== undefined ? { yMin: chart.yMin } : {}), ...(chart.yMax !== undefined ? { yMax: chart.yMax } : {}),
      series: lines.map((s) => ({ label: `${s.direction ?? 'call'} ${s.source}${chart.metrics.length > 1 ? ` ${s.metric}` : ''}${s.streamId !== null ? ` #${s.streamId}` : ''}`, points: s.points })),
    })];
  });
}

/** Start, the worst moment by loss and by jitter (when past the fair limit), end: each with the phone's log lines around it. */
async function callEvents(src: BundleSources, c: Call, samples: readonly QualitySample[], R: <T>(v: T) => T): Promise<ReportEvent[]> {
  const moments: Array<[string, number]> = [['call start', c.startMs]];
  const worst = (metric: 'lossPct' | 'jitterMs', limit: number, label: string) => {
    let best: QualitySample | null = null;
    for (const s of samples) if ((s.metrics[metric] ?? -1) > (best?.metrics[metric] ?? limit)) best = s;
    if (best) moments.push([`${label} ${Math.round(best.metrics[metric]! * 10) / 10} (${best.source}, ${best.direction ?? 'call'})`, best.startMs]);
  };
  worst('lossPct', src.thresholds.fairLossPct, 'worst loss %');
  worst('jitterMs', src.thresholds.fairJitterMs, 'worst jitter ms');
  if (c.endMs !== null) moments.push(['call end', c.endMs]);
  return Promise.all(moments.map(async ([label, at]) => ({ label, at: iso(at), lines: (await logsAround(src.store, c.deviceId, at, EVENT_LOG_LINES)).map((l) => reportLine(src, l, R)) })));
}

function reportLine(src: BundleSources, l: StoredLog, R: <T>(v: T) => T) {
  return R({
    receivedAt: iso(l.receivedAt),
    device: src.devices.byId(l.deviceId)?.address ?? `device-${l.deviceId}`,
    severity: l.severity === null ? null : (['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'][l.severity] ?? null),
    module: l.module,
    text: l.message,
  });
}

interface WrittenRecording {
  readonly summary: RecordedCallSummary;
  readonly files: string[];
}

async function writeRecordings(src: BundleSources, content: BundleContent, stage: Stage, redactor: Redactor | null, audio: boolean, dropped: DroppedPart[],
  R: <T>(v: T) => T, progress: (f: number) => void): Promise<WrittenRecording[]> {
  const recT = src.store.recordings;
  const out: WrittenRecording[] = [];
  let withheldOriginals = 0;
  for (const [i, s] of content.recordings.entries()) {
    const dir = `recordings/recording-${s.id}`;
    const files: string[] = [];
    const series = await recT.getSeries(s.id);
    files.push((await stage.put(`${dir}/summary.json`, 'json', `recorded call ${s.id}: streams with Wireshark-compatible stats, and per-second series`,
      JSON.stringify(R({ ...recordedCallJson(s), series }), null, 2))).path);
    // One call's datagrams at a time: memory follows the longest call, not the bundle.
    const datagrams = await recT.readDatagrams(s.id);
    if (datagrams) {
      if (redactor) withheldOriginals++;
      else {
        files.push((await stage.put(`${dir}/original.pcap`, 'pcap-original', `recorded call ${s.id} as received (ACDR over UDP; Wireshark: Decode As UDP port ${src.recordingPort} → AC DR)`,
          originalPcap(datagrams, { deviceAddr: s.deviceAddr, recordingPort: src.recordingPort, collectorAddr: src.collectorAddr }))).path);
      }
      const plain = plainPcap(datagrams, s.deviceAddr);
      files.push((await stage.put(`${dir}/plain.pcap`, 'pcap-plain', `recorded call ${s.id} as plain RTP/RTCP with a synthetic SIP/SDP naming the ports${redactor ? ' (addresses replaced by stand-ins, RTCP SDES text masked)' : ''}`,
        redactor ? redactPlainPcap(plain, redactor) : plain)).path);
      if (audio) files.push(...await writeAudio(stage, dir, s, datagrams));
    }
    out.push({ summary: R(s), files });
    progress((i + 1) / Math.max(1, content.recordings.length));
  }
  if (withheldOriginals > 0) {
    dropped.push({ what: 'recordings as received (original ACDR pcap)', files: withheldOriginals, bytes: 0,
      reason: 'redacted bundle: ACDR headers carry addresses in binary and their SIP/syslog records are not rewritten; the plain pcap (addresses replaced) is included instead' });
  }
  return out;
}

async function writeAudio(stage: Stage, dir: string, s: RecordedCallSummary, datagrams: NonNullable<Awaited<ReturnType<RecordingStore['readDatagrams']>>>): Promise<string[]> {
  const files: string[] = [];
  for (const st of s.streams.filter((x) => x.audio)) {
    try {
      files.push((await stage.put(`${dir}/stream-${st.id}-${st.direction}.wav`, 'audio', `recorded call ${s.id}, stream ${st.id} (${st.direction}, ${st.codec ?? ''}) as 8 kHz 16-bit mono WAV`, streamWav(datagrams, st))).path);
    } catch (err) {
      if (!(err instanceof AudioUnavailable)) throw err;
    }
  }
  const rx = s.streams.find((x) => x.direction === 'rx' && x.audio);
  const tx = s.streams.find((x) => x.direction === 'tx' && x.audio);
  if (rx && tx) files.push((await stage.put(`${dir}/mixed.wav`, 'audio', `recorded call ${s.id}: stereo WAV, received left, sent right`, mixedWav(datagrams, rx, tx))).path);
  return files;
}

interface WrittenCrash {
  readonly crash: ReportCrash;
}

async function writeCrashes(src: BundleSources, content: BundleContent, stage: Stage, redacting: boolean, dropped: DroppedPart[], R: <T>(v: T) => T): Promise<WrittenCrash[]> {
  const out: WrittenCrash[] = [];
  const originals = new Map<number, string>();
  let withheld = 0;
  let missing = 0;
  for (const dump of content.dumps.values()) {
    if (redacting) {
      withheld++;
      continue;
    }
    const w = await stage.open(`crashes/dump-${dump.id}.orig`, 'crash-original', `uploaded dump ${dump.id} as received, byte for byte (${dump.kind}, ${dump.size} bytes)`);
    try {
      for await (const chunk of createReadStream(src.dumpPath(dump.sha256))) await w.write(chunk as Buffer);
      originals.set(dump.id, (await w.close()).path);
    } catch {
      await w.close();
      stage.remove(`crashes/dump-${dump.id}.orig`);
      missing++;
    }
  }
  if (withheld > 0) dropped.push({ what: 'crash dumps as uploaded', files: withheld, bytes: 0, reason: 'redacted bundle: cores and archives are binary and cannot be rewritten; the decoded reports (redacted) are included' });
  if (missing > 0) dropped.push({ what: 'crash dumps as uploaded', files: missing, bytes: 0, reason: 'the original file is no longer in the data folder' });
  for (const c of content.crashes) {
    const report = JSON.parse(c.report) as CrashReport;
    const dump = content.dumps.get(c.dumpId);
    const { report: _text, ...record } = c;
    const file = await stage.put(`crashes/crash-${c.id}.json`, 'crash', `crash ${c.id}: the decoded report with its stack (/api/crashes/${c.groupHash}/${c.id})`,
      JSON.stringify(R({ ...record, at: iso(c.at), report, dump: dump ? { id: dump.id, name: dump.name, sha256: dump.sha256, kind: dump.kind, size: dump.size, ticket: dump.ticket, note: dump.note } : null }), null, 2));
    const crashing = report.threads.find((t) => t.crashing) ?? report.threads[0];
    const frames = (crashing?.frames ?? []).slice(0, MAX_CRASH_FRAMES).map((f) =>
      `#${String(f.index).padStart(2, '0')} ${f.pc ?? ''} ${f.module ?? '?'}${f.offset ? `+${f.offset}` : ''}${f.function ? ` (${f.function}${f.functionOffset !== undefined ? `+${f.functionOffset}` : ''})` : ''} [${f.trust}]`);
    const lines = (await logsAround(src.store, c.deviceId, c.at, EVENT_LOG_LINES)).map((l) => reportLine(src, l, R));
    out.push({
      crash: R({
        id: c.id,
        title: `${c.signal ?? 'crash'} in ${c.process ?? 'unknown process'}`,
        at: iso(c.at),
        device: c.deviceRef ?? (c.deviceId !== null ? src.devices.byId(c.deviceId)?.address ?? `device-${c.deviceId}` : 'unknown device'),
        firmware: c.firmware,
        signal: c.signal,
        process: c.process,
        abortMessage: report.abortMessage ?? null,
        frames,
        events: [{ label: 'crash', at: iso(c.at), lines }],
        files: [file.path, ...(originals.has(c.dumpId) ? [originals.get(c.dumpId)!] : [])],
      }),
    });
  }
  return out;
}

/** The devices in scope; for a fleet-wide window, those heard from in it. */
function scopeDevices(src: BundleSources, content: BundleContent, heard: ReadonlyMap<number, DeviceHeard>): DeviceRecord[] {
  if (!content.allDevices) return [...content.devices];
  const ids = new Set<number>([...heard.keys(), ...content.calls.flatMap((c) => (c.call.deviceId === null ? [] : [c.call.deviceId]))]);
  return [...ids].flatMap((id) => src.devices.byId(id) ?? []);
}

function devicesJson(src: BundleSources, content: BundleContent, heard: ReadonlyMap<number, DeviceHeard>) {
  return scopeDevices(src, content, heard).map((d) => {
    const h = heard.get(d.id);
    return {
      ...d, firstSeen: iso(d.firstSeen), lastSeen: iso(d.lastSeen),
      inScope: { logs: h?.logs ?? 0, firstLog: h?.firstMs ? iso(h.firstMs) : null, lastLog: h?.lastMs ? iso(h.lastMs) : null, seqGaps: h?.seqGaps ?? 0 },
    };
  });
}

function reportDevices(src: BundleSources, content: BundleContent, heard: ReadonlyMap<number, DeviceHeard>, recordings: readonly WrittenRecording[], R: <T>(v: T) => T): ReportDevice[] {
  return scopeDevices(src, content, heard).map((d) => {
    const h = heard.get(d.id);
    const calls = content.calls.filter((c) => c.call.deviceId === d.id);
    const sources = new Set(calls.flatMap((c) => c.call.sources));
    const recs = recordings.filter((r) => r.summary.deviceId === d.id).length;
    const crashCount = content.crashes.filter((c) => c.deviceId === d.id).length;
    const reports = [...sources].filter((s) => s.startsWith('vq-') || s === 'ms-qoe');
    const missing: string[] = [];
    if (!h) missing.push('no syslog line from this phone in the window: check its syslog server setting, or whether it was on');
    if (h && h.seqGaps > 0) missing.push(`${h.seqGaps} syslog lines lost on the way (gaps in the phone's [S=n] counter)`);
    if (calls.length > 0 && reports.length === 0) missing.push('no voice-quality report (SIP PUBLISH vq-rtcpxr or QoE SERVICE) for its calls: check the phone\'s quality-report collector setting');
    if (calls.length > 0 && recs === 0) missing.push('no debug recording (ACDR) of its calls: enable DSP/RTP recording towards the collector if audio or packet detail is needed');
    return R({
      title: `${d.address}${d.model ? ` (${d.model})` : ''}`,
      facts: [['id', String(d.id)], ['address', d.address], ['MAC', d.mac ?? ''], ['model', d.model ?? ''], ['firmware', d.firmware ?? ''], ['hostname', d.hostname ?? ''],
        ['first seen', iso(d.firstSeen)], ['last seen', iso(d.lastSeen)]] as Array<[string, string]>,
      heard: [
        ['syslog lines', h ? `${h.logs} (${iso(h.firstMs!)} – ${iso(h.lastMs!)})` : '0'],
        ['calls', String(calls.length)],
        ['quality sources', [...sources].join(', ') || 'none'],
        ['debug recordings', String(recs)],
        ['crash dumps', String(crashCount)],
      ] as Array<[string, string]>,
      missing,
    });
  });
}

function reportModel(src: BundleSources, content: BundleContent, options: BundleOptions, R: <T>(v: T) => T, createdAt: number, calls: readonly WrittenCall[],
  recordings: readonly WrittenRecording[], crashes: readonly WrittenCrash[], heard: ReadonlyMap<number, DeviceHeard>,
  files: readonly StagedFile[], dropped: readonly DroppedPart[], overLimit: boolean): ReportModel {
  const present = new Set(files.map((f) => f.path));
  const toReport = (w: WrittenCall): ReportCall => {
    const recs = recordings.filter((r) => r.summary.sessionId === w.call.recordingSession && (w.call.deviceId === null || r.summary.deviceId === null || r.summary.deviceId === w.call.deviceId));
    return {
      id: w.call.id,
      title: `Call ${w.call.id}${w.json.localId || w.json.remoteId ? `: ${w.json.localId ?? '?'} ↔ ${w.json.remoteId ?? '?'}` : ''}`,
      start: w.json.start ?? '', end: w.json.end, device: deviceLabel(src, w.call.deviceId, R),
      verdict: w.call.verdict, verdictReason: w.json.verdictReason, worstMos: w.call.worstMos, maxLossPct: w.call.maxLossPct, maxJitterMs: w.call.maxJitterMs,
      sources: w.call.sources,
      streams: w.json.streams.map((s) => ({ direction: s.direction, ssrcHex: s.ssrcHex, codec: s.codec, local: `${s.localAddr ?? '?'}:${s.localPort ?? '?'}`, remote: `${s.remoteAddr ?? '?'}:${s.remotePort ?? '?'}`, sources: s.sources, verdict: s.verdict, verdictReason: s.verdictReason })),
      charts: w.charts, events: w.events, files: w.files,
      recordings: recs.map((r) => `recording ${r.summary.id}: ${r.summary.datagrams} datagrams, ${r.summary.streams.length} streams, files ${r.files.filter((f) => present.has(f)).join(', ') || 'none (left out)'}`),
    };
  };
  const worst = [...calls].sort((a, b) => verdictRank(b.call) - verdictRank(a.call))[0];
  const verdict = worst?.call.verdict ?? (crashes.length > 0 ? 'poor' : 'unknown');
  const why = calls.filter((c) => c.call.verdict === verdict && c.json.verdictReason).slice(0, 5).map((c) => `call ${c.call.id}: ${c.json.verdictReason}`);
  if (crashes.length > 0) why.push(`${crashes.length} crash${crashes.length > 1 ? 'es' : ''}: ${crashes.slice(0, 3).map((c) => c.crash.title).join('; ')}`);
  const totalLogs = [...heard.values()].reduce((a, h) => a + h.logs, 0);
  return {
    title: `Ticket bundle: ${scopeWords(content.scope, R)}`,
    generatedAt: iso(createdAt), version: src.version, scope: scopeWords(content.scope, R), from: iso(content.fromMs), to: iso(content.toMs), redacted: options.redact,
    verdict, verdictWhy: why,
    counts: [['calls', String(calls.length)], ['poor / fair calls', `${calls.filter((c) => c.call.verdict === 'poor').length} / ${calls.filter((c) => c.call.verdict === 'fair').length}`],
      ['recorded calls', String(recordings.length)], ['log lines', String(totalLogs)], ['crashes', String(crashes.length)]],
    notes: content.notes, dropped, overLimit,
    calls: calls.filter((c) => c.charts.length > 0 || c.events.length > 0).map(toReport),
    otherCalls: calls.filter((c) => c.charts.length === 0 && c.events.length === 0).map(toReport),
    crashes: crashes.map((c) => ({ ...c.crash, files: c.crash.files.filter((f) => present.has(f)) })),
    devices: reportDevices(src, content, heard, recordings, R),
    files,
  };
}

function deviceLabel(src: BundleSources, id: number | null, R: <T>(v: T) => T): string {
  if (id === null) return 'unknown device';
  return R(src.devices.byId(id)?.address ?? `device-${id}`);
}

/** The scope in words (redacted like everything else). */
export function scopeWords(scope: BundleScope, R: <T>(v: T) => T = (v) => v): string {
  if ('callId' in scope) return `call ${scope.callId}`;
  if ('device' in scope) return R(`device ${scope.device}, ${iso(scope.fromMs)} – ${iso(scope.toMs)}`);
  return R(`${scope.devices?.length ? `devices ${scope.devices.join(', ')}` : 'all devices'}, ${iso(scope.fromMs)} – ${iso(scope.toMs)}`);
}

function manifestJson(src: BundleSources, content: BundleContent, options: BundleOptions, R: <T>(v: T) => T, createdAt: number, files: readonly StagedFile[],
  dropped: readonly DroppedPart[], overLimit: boolean, redactor: Redactor | null) {
  const scope = 'callId' in content.scope ? content.scope : { ...content.scope, fromMs: undefined, toMs: undefined, from: iso(content.scope.fromMs), to: iso(content.scope.toMs) };
  return {
    format: 'ipp-collector ticket bundle 1',
    collector: { name: 'ipp-collector', version: src.version },
    createdAt: iso(createdAt),
    query: R({ scope, options: { redact: options.redact, format: options.format, maxBytes: options.maxBytes, includeAudio: options.includeAudio ?? !options.redact } }),
    timeRange: { from: iso(content.fromMs), to: iso(content.toMs) },
    files: files.map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256, kind: f.kind, description: f.description })),
    notManifested: ['manifest.json (it cannot hold its own hash)'],
    dropped,
    overLimit,
    notes: content.notes,
    redaction: redactor ? {
      replaced: redactor.summary(),
      tokens: 'ip-N: IP addresses; uri-N: SIP/tel URIs and user@host addresses; phone-N: phone numbers; user-N: user and display names. One value, one token, across every file.',
      captures: 'plain pcaps: IP headers and the synthetic SIP/SDP carry stand-in addresses (table below: token → stand-in); RTCP SDES text (CNAME) is overwritten with its token or * at the same length; RTP payloads (voice) are unchanged. Original ACDR pcaps, crash dump originals and (unless asked for) WAV audio are left out.',
      addressesInCaptures: redactor.addressTable(),
    } : null,
  };
}
