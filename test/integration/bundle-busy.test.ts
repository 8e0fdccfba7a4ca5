/**
 * A busy phone's hour as a bundle: 200,000 log lines and a few recorded calls, with the heap
 * measured while it is written. Logs are paged from the store and captures made call by call, so
 * the heap must not grow with the logs (they alone are ~40 MB of text, far more as objects).
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { CountingIds } from '../../server/store/ids.js';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VERDICT_THRESHOLDS } from '../../server/analysis/e-model.js';
import { buildBundle } from '../../server/bundles/build.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import { recordedCallRecord } from '../../server/pipeline/recordings/call-record.js';
import { DatagramBatch } from '../../server/pipeline/recordings/datagram-batch.js';
import { RecordingTracker } from '../../server/pipeline/recordings/tracker.js';
import type { RecordedCallSeries, RecordedCallSummary } from '../../server/pipeline/recordings/types.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { DeviceRecord, LogRecord } from '../../server/store/types.js';
import { PHONE_ADDR, recordedCallRecords, recordingFeed } from '../fixtures/gen-recording.js';
import { packLogs } from '../../server/store/log-columns.js';

const LINES = 200_000;
const HOUR_MS = 3_600_000;
const START_MS = Date.parse('2026-11-26T09:00:00Z');
const CALLS = 4;
/** Generous: the logs alone would be several times this if they were held. */
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;

/** A real baseline needs the garbage of the set-up gone: vitest gives no --expose-gc, so switch it on here. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose_gc');
  (vm.runInNewContext('gc') as () => void)();
}

function logLine(id: number): LogRecord {
  const t = START_MS + Math.floor((id * HOUR_MS) / LINES);
  const message = `SIP: [${id}] sent "OPTIONS sip:proxy@10.20.0.1:5060" to 10.20.0.1:5060 Call-ID ${id.toString(16)}@${PHONE_ADDR} keep-alive ok`;
  return {
    id, receivedAt: t, deviceId: 1, source: 'syslog-udp', format: 'rfc3164', facility: 16, severity: 6, deviceTime: null, deviceTs: t, hostname: null,
    app: 'voip_task', pid: '412', msgid: null, module: 'sip_stack', seq: id, sid: null, message, raw: Buffer.from(`<134>Nov 26 09:00:00 voip_task[412]: [S=${id}] ${message}`),
    structuredData: null, warnings: [], importId: null,
  };
}

describe('a bundle of a busy device over an hour', () => {
  it('is written with bounded heap, every log line in it, streamed into a zip', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bundle-busy-'));
    const store = openStoreOnThisThread(path.join(dir, 'db.sqlite'));
    const device: DeviceRecord = { id: 1, address: PHONE_ADDR, mac: '00:90:8f:00:00:01', model: '450HD', firmware: 'UC_3.4.5', hostname: null,
      firstSeen: START_MS, lastSeen: START_MS + HOUR_MS, logs: LINES, seqGaps: 0, seqOutOfOrder: 0, modules: { sip_stack: LINES } };
    for (let id = 1; id <= LINES; id += 10_000) {
      await store.write({ logs: packLogs(Array.from({ length: Math.min(10_000, LINES - id + 1) }, (_, k) => logLine(id + k))), devices: id === 1 ? [device] : [] });
    }
    // A few recorded calls of a minute each, spread over the hour, in the recordings and the call model.
    const batch = new DatagramBatch();
    const ended: Array<{ summary: RecordedCallSummary; series: RecordedCallSeries }> = [];
    const tracker = new RecordingTracker({
      inactivityMs: 30_000, callIds: new CountingIds(1), streamIds: new CountingIds(1),
      sink: { datagram: (id, t, port, bytes) => batch.add(id, t, port, bytes), callChanged: () => undefined, callEnded: (c) => ended.push({ summary: { ...c.summary(), deviceId: 1 }, series: c.series() }) },
    });
    for (let i = 0; i < CALLS; i++) {
      const feed = recordingFeed(recordedCallRecords({ seed: i + 1, sessionId: i + 1, startMs: START_MS + (i + 1) * 600_000, packetCount: 3000, rx: { lossRate: 0.02 } }), { firstSequence: i * 20_000 });
      for (const d of feed) tracker.handle(d.bytes, d.timeMs, PHONE_ADDR, 50010);
    }
    tracker.endAll('end-of-capture');
    const rec = store.recordings;
    await rec.writeDatagrams(batch.take());
    await rec.saveCalls(ended);
    const callsT = store.calls;
    for (const e of ended) await callsT.ingest(recordedCallRecord(e.summary, e.series), DEFAULT_VERDICT_THRESHOLDS);

    collectGarbage();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakRss = before.rss;
    const sample = () => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    };
    const timer = setInterval(sample, 5);
    const outPath = path.join(dir, 'busy.zip');
    const started = performance.now();
    const result = await buildBundle({
      store, devices: new DeviceRegistry([device], new CountingIds(2).next), dumpPath: () => path.join(dir, 'none'), recordingPort: 50000, collectorAddr: '',
      thresholds: DEFAULT_VERDICT_THRESHOLDS, version: 'test',
    }, { device: PHONE_ADDR, fromMs: START_MS, toMs: START_MS + HOUR_MS }, { redact: false, format: 'zip', maxBytes: 1024 * 1024 * 1024 },
    { workDir: path.join(dir, 'work'), outPath, now: () => START_MS + 2 * HOUR_MS, onProgress: sample });
    clearInterval(timer);
    sample();
    const elapsedMs = performance.now() - started;
    const heapGrowth = peakHeap - before.heapUsed;
    console.log(`busy bundle: ${LINES} lines + ${CALLS} calls → ${result.bytes} bytes (${result.contentBytes} unpacked) in ${Math.round(elapsedMs)} ms; heap +${(heapGrowth / 1048576).toFixed(1)} MB, RSS +${((peakRss - before.rss) / 1048576).toFixed(1)} MB`);
    expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    expect(statSync(outPath).size).toBe(result.bytes);
    expect(result.dropped).toEqual([]);
    // The whole log is in: the zip's central directory names the files, the logs are the bulk of it.
    const zip = readFileSync(outPath);
    expect(zip.includes(Buffer.from('logs.txt'))).toBe(true);
    expect(result.contentBytes).toBeGreaterThan(LINES * 150);
    await store.close();
  }, 240_000);
});
