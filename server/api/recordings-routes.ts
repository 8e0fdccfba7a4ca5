/**
 * Debug recordings API: recorded calls with their streams' stats, series, captures for Wireshark
 * and G.711 audio. Calls in progress are answered from memory (fresh to the second), ended ones
 * from the store. Times of recorded packets are ACDR device times (see pipeline/recordings/types.ts).
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Verdict } from '../calls/model.js';
import { AudioUnavailable, mixedWav, streamWav } from '../export/recording-audio.js';
import { originalPcap, plainPcap, type RecordingPcapForm } from '../export/recording-pcap.js';
import type { RecordingIngest } from '../pipeline/recordings/recording-ingest.js';
import type { RecordedCallSeries, RecordedCallSummary, RecordedStreamSummary } from '../pipeline/recordings/types.js';
import type { RecordedCallQuery } from '../store/recording-store.js';
import type { Store } from '../store/types.js';
import { callJson } from '../json/recorded-call.js';
import { BadRequest, optionalInt, optionalList, optionalString, optionalTime } from './params.js';

export interface RecordingsApiDeps {
  readonly store: Store;
  /** Null when the recording listener is disabled (or not started yet): stored calls are still served. */
  readonly ingest: () => RecordingIngest | null;
  readonly recordingPort: number;
  /** Bind address, used as the destination of exported original datagrams when it is specific. */
  readonly collectorAddr: string;
}

const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;
const VERDICTS: ReadonlySet<string> = new Set<Verdict>(['good', 'fair', 'poor', 'unknown']);
const FORMS: ReadonlySet<string> = new Set<RecordingPcapForm>(['original', 'plain']);
const MAX_MOS = 5;
const WAV_FILE = /^(\d{1,15}|mixed)\.wav$/;

export function recordingsRouter(d: RecordingsApiDeps): Router {
  const r = Router();
  const tables = d.store.recordings;
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
  const callId = (req: Request) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new BadRequest(`call id: "${String(req.params.id)}" is not a positive whole number`);
    return id;
  };
  const summaryOf = async (id: number): Promise<RecordedCallSummary | null> =>
    d.ingest()?.activeCall(id)?.summary() ?? tables.getCall(id);
  const notFound = (res: Response, id: number) => res.status(404).json({ error: `no recorded call ${id}` });

  r.get('/recordings/calls', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const device = optionalString(q, 'device', 64);
    const activeText = optionalString(q, 'active', 5);
    if (activeText !== undefined && activeText !== 'true' && activeText !== 'false') throw new BadRequest('active: use true or false');
    const minMos = optionalNumber(q, 'minMos', 1, MAX_MOS);
    const maxMos = optionalNumber(q, 'maxMos', 1, MAX_MOS);
    const query: RecordedCallQuery = {
      ...(device !== undefined ? (/^\d+$/.test(device) ? { deviceId: Number(device) } : { deviceAddr: device }) : {}),
      fromMs: optionalTime(q, 'from'),
      toMs: optionalTime(q, 'to'),
      minMos,
      maxMos,
      verdicts: optionalList(q, 'verdict', VERDICTS) as Verdict[] | undefined,
      active: activeText === undefined ? undefined : activeText === 'true',
      beforeId: optionalInt(q, 'before', 1, Number.MAX_SAFE_INTEGER),
      limit: optionalInt(q, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE,
    };
    const rows = await tables.listCalls(query);
    res.json({
      calls: rows.map((row) => {
        // A call in progress is in the store as of its last save; memory has it to the second.
        const live = row.active ? d.ingest()?.activeCall(row.id)?.summary() : undefined;
        return live ? callJson({ ...live, streams: undefined, streamCount: live.streams.length }) : callJson(row);
      }),
      nextBefore: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
    });
  }));

  r.get('/recordings/calls/:id', wrap(async (req, res) => {
    const id = callId(req);
    const call = await summaryOf(id);
    if (!call) return void notFound(res, id);
    res.json(callJson(call));
  }));

  r.get('/recordings/calls/:id/series', wrap(async (req, res) => {
    const id = callId(req);
    const series: RecordedCallSeries | null = d.ingest()?.activeCall(id)?.series() ?? (await tables.getSeries(id));
    if (!series) return void notFound(res, id);
    res.json(series);
  }));

  r.get('/recordings/calls/:id/pcap', wrap(async (req, res) => {
    const id = callId(req);
    const form = (optionalList(req.query as Record<string, unknown>, 'form', FORMS)?.[0] ?? 'original') as RecordingPcapForm;
    const call = await summaryOf(id);
    if (!call) return void notFound(res, id);
    if (call.active) await d.ingest()?.flush();
    const datagrams = await tables.readDatagrams(id);
    if (!datagrams) return void res.status(404).json({ error: `no datagrams stored for recorded call ${id} (dropped by retention?)` });
    const pcap = form === 'plain'
      ? plainPcap(datagrams, call.deviceAddr)
      : originalPcap(datagrams, { deviceAddr: call.deviceAddr, recordingPort: d.recordingPort, collectorAddr: d.collectorAddr });
    res.type('application/vnd.tcpdump.pcap').attachment(`recording-${id}-${form}.pcap`).send(pcap);
  }));

  r.get('/recordings/calls/:id/audio/:file', wrap(async (req, res) => {
    const id = callId(req);
    const m = WAV_FILE.exec(String(req.params.file));
    if (!m) throw new BadRequest('audio: ask for STREAM_ID.wav or mixed.wav');
    const call = await summaryOf(id);
    if (!call) return void notFound(res, id);
    // The call's own audio (RTP) before the PCM recordings, which hear the handset side of the DSP.
    const pick = (dir: 'rx' | 'tx') => call.streams.find((s) => s.direction === dir && s.audio && s.kind === 'rtp')
      ?? call.streams.find((s) => s.direction === dir && s.audio) ?? null;
    let streams: RecordedStreamSummary[];
    if (m[1] === 'mixed') {
      const rx = pick('rx');
      const tx = pick('tx');
      if (!rx || !tx) return void res.status(422).json({ error: `call ${id} has no G.711 stream in both directions; undecodable codecs: ${call.undecodableCodecs.join(', ') || 'none'}` });
      streams = [rx, tx];
    } else {
      const s = call.streams.find((x) => x.id === Number(m[1]));
      if (!s) return void res.status(404).json({ error: `call ${id} has no stream ${m[1]}` });
      streams = [s];
    }
    if (call.active) await d.ingest()?.flush();
    const datagrams = await tables.readDatagrams(id);
    if (!datagrams) return void res.status(404).json({ error: `no datagrams stored for recorded call ${id}` });
    try {
      const wav = streams.length === 2 ? mixedWav(datagrams, streams[0]!, streams[1]!) : streamWav(datagrams, streams[0]!);
      res.type('audio/wav').attachment(`recording-${id}-${m[1]}.wav`).send(wav);
    } catch (err) {
      if (err instanceof AudioUnavailable) return void res.status(422).json({ error: err.message, undecodableCodecs: call.undecodableCodecs });
      throw err;
    }
  }));

  return r;
}

function optionalNumber(q: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const s = optionalString(q, name, 32);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min || n > max) throw new BadRequest(`${name}: "${s}" is not a number from ${min} to ${max}`);
  return n;
}
