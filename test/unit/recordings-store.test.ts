import fs from 'node:fs';
import os from 'node:os';
import { CountingIds } from '../../server/store/ids.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatagramBatch, datagramAt } from '../../server/pipeline/recordings/datagram-batch.js';
import { RecordingTracker } from '../../server/pipeline/recordings/tracker.js';
import type { RecordedCallSeries, RecordedCallSummary } from '../../server/pipeline/recordings/types.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { RecordingStore } from '../../server/store/recording-store.js';
import { PHONE_ADDR, recordedCallRecords, recordingFeed } from '../fixtures/gen-recording.js';

function openStore() {
  const store = openStoreOnThisThread(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-')), 'db.sqlite'));
  return { store, t: store.recordings };
}

/** Two interleaved calls through the tracker, their datagrams in one batch, their summaries at the end. */
function twoCalls() {
  const batch = new DatagramBatch();
  const ended: Array<{ summary: RecordedCallSummary; series: RecordedCallSeries }> = [];
  const tracker = new RecordingTracker({
    inactivityMs: 30_000, callIds: new CountingIds(1), streamIds: new CountingIds(1),
    sink: { datagram: (id, t, port, bytes) => batch.add(id, t, port, bytes), callChanged: () => undefined, callEnded: (c) => ended.push({ summary: c.summary(), series: c.series() }) },
  });
  const feed = recordingFeed([
    ...recordedCallRecords({ seed: 1, sessionId: 1, packetCount: 300 }),
    ...recordedCallRecords({ seed: 2, sessionId: 2, packetCount: 300, rx: { lossRate: 0.3 } }),
  ]);
  for (const d of feed) tracker.handle(d.bytes, d.timeMs, PHONE_ADDR, 50010);
  tracker.endAll('end-of-capture');
  return { feed, batch, ended };
}

describe('recordings store', () => {
  it('keeps each call\'s datagrams with their arrival times, byte for byte, across several batches', async () => {
    const { store, t } = openStore();
    const { feed, batch, ended } = twoCalls();
    const all = batch.take();
    // Split in two writes to cross a chunk boundary.
    const half = new DatagramBatch();
    const rest = new DatagramBatch();
    for (let i = 0; i < all.n; i++) (i < all.n / 2 ? half : rest).add(all.callId[i]!, all.arrivalMs[i]!, all.srcPort[i]!, datagramAt(all, i));
    await t.writeDatagrams(half.take());
    await t.writeDatagrams(rest.take());
    const call1 = (await t.readDatagrams(1))!;
    const expected = feed.filter((_, i) => all.callId[i] === 1);
    expect(call1.n).toBe(expected.length);
    for (let i = 0; i < call1.n; i++) {
      expect(Buffer.from(datagramAt(call1, i)).equals(Buffer.from(expected[i]!.bytes))).toBe(true);
      expect(call1.arrivalMs[i]).toBe(expected[i]!.timeMs);
      expect(call1.srcPort[i]).toBe(50010);
    }
    expect(await t.readDatagrams(3)).toBeNull();
    const before = await store.rowIds();
    expect([before.recordedCall.next(), before.recordedStream.next()]).toEqual([3, 1]);
    await t.saveCalls(ended);
    const after = await store.rowIds();
    expect([after.recordedCall.next(), after.recordedStream.next()]).toEqual([3, 5]);
  });

  it('lists calls newest first with device, MOS and verdict filters, and gives back streams and series', async () => {
    const { t } = openStore();
    const { ended } = twoCalls();
    await t.saveCalls(ended);
    const all = await t.listCalls({ limit: 10 });
    expect(all.map((c) => [c.id, c.streamCount])).toEqual([[2, 2], [1, 2]]);
    const bad = ended.find((e) => e.summary.id === 2)!.summary;
    expect(bad.verdict).toBe('poor');
    expect((await t.listCalls({ limit: 10, verdicts: ['poor'] })).map((c) => c.id)).toEqual([2]);
    expect((await t.listCalls({ limit: 10, minMos: 4 })).map((c) => c.id)).toEqual([1]);
    expect((await t.listCalls({ limit: 10, deviceAddr: '203.0.113.1' }))).toEqual([]);
    expect((await t.listCalls({ limit: 1, beforeId: 2 })).map((c) => c.id)).toEqual([1]);
    const call = (await t.getCall(1))!;
    expect(call.streams.map((s) => s.direction).sort()).toEqual(['rx', 'tx']);
    expect(call.streams[0]).toEqual(ended[0]!.summary.streams[0]);
    const series = (await t.getSeries(1))!;
    expect(series.streams[0]!.perSecond.length).toBeGreaterThan(5);
    expect(series.samples.length).toBeGreaterThan(0);
  });

  it('drops whole calls past the age, then oldest first until the datagrams fit the size', async () => {
    const { t } = openStore();
    const { batch, ended } = twoCalls();
    await t.writeDatagrams(batch.take());
    await t.saveCalls(ended);
    const endOf = (id: number) => ended.find((e) => e.summary.id === id)!.summary.endMs;
    const { datagramBytes } = await t.stats();
    expect(await t.enforceRetention(1e12, datagramBytes, endOf(2) + 1000)).toEqual({ deletedCalls: 0 });
    expect(await t.enforceRetention(1e12, datagramBytes - 1, endOf(2) + 1000)).toEqual({ deletedCalls: 1 });
    expect(await t.readDatagrams(1)).toBeNull();
    expect(await t.getCall(1)).toBeNull();
    expect(await t.enforceRetention(500, 1e12, endOf(2) + 1000)).toEqual({ deletedCalls: 1 });
    expect(await t.stats()).toEqual({ calls: 0, datagramBytes: 0 });
  });
});
