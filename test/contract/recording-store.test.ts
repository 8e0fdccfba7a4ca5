// The recordings contract (server/store/recording-store.ts) on every backend: recorded calls with
// their streams and series, the original datagrams byte for byte in arrival order, retention by
// age and by size, removal of an import.
import { expect, it } from 'vitest';
import { DatagramBatch, datagramAt } from '../../server/pipeline/recordings/datagram-batch.js';
import { RecordingTracker } from '../../server/pipeline/recordings/tracker.js';
import { CountingIds } from '../../server/store/ids.js';
import { buildAcdr, buildRtp } from '../../server/simulator/wire/acdr.js';
import { PHONE_ADDR } from '../fixtures/gen-recording.js';
import { twoRecordedCalls } from '../fixtures/two-recorded-calls.js';
import { eachBackend } from './backends.js';

eachBackend('recording store', (backend) => {
  it('keeps each call\'s datagrams with their arrival times, byte for byte, across several batches', async () => {
    const { recordings: t } = await backend.open();
    const { feed, batch } = twoRecordedCalls();
    const all = batch.take();
    // Split in two writes to cross a batch boundary.
    const half = new DatagramBatch();
    const rest = new DatagramBatch();
    for (let i = 0; i < all.n; i++) (i < all.n / 2 ? half : rest).add(all.callId[i]!, all.arrivalMs[i]!, all.srcPort[i]!, datagramAt(all, i));
    await t.writeDatagrams(half.take());
    await t.writeDatagrams(rest.take());
    const call1 = (await t.readDatagrams(1))!;
    const expected = feed.filter((_, i) => all.callId[i] === 1);
    expect(call1.n).toBe(expected.length);
    expect([...call1.callId].every((id) => id === 1)).toBe(true);
    for (let i = 0; i < call1.n; i++) {
      expect(Buffer.from(datagramAt(call1, i)).equals(Buffer.from(expected[i]!.bytes))).toBe(true);
      expect(call1.arrivalMs[i]).toBe(expected[i]!.timeMs);
      expect(call1.srcPort[i]).toBe(50010);
    }
    expect(await t.readDatagrams(3)).toBeNull();
    expect((await t.stats()).datagramBytes).toBe(all.data.length);
  });

  it('lists calls newest first with device, MOS and verdict filters, and gives back streams and series', async () => {
    const { recordings: t } = await backend.open();
    const { ended } = twoRecordedCalls();
    await t.saveCalls(ended);
    const all = await t.listCalls({ limit: 10 });
    expect(all.map((c) => [c.id, c.streamCount])).toEqual([[2, 2], [1, 2]]);
    const bad = ended.find((e) => e.summary.id === 2)!.summary;
    expect(bad.verdict).toBe('poor');
    expect((await t.listCalls({ limit: 10, verdicts: ['poor'] })).map((c) => c.id)).toEqual([2]);
    expect((await t.listCalls({ limit: 10, minMos: 4 })).map((c) => c.id)).toEqual([1]);
    expect((await t.listCalls({ limit: 10, deviceAddr: '203.0.113.1' }))).toEqual([]);
    expect((await t.listCalls({ limit: 10, deviceAddr: PHONE_ADDR })).map((c) => c.id)).toEqual([2, 1]);
    expect((await t.listCalls({ limit: 10, active: true }))).toEqual([]);
    expect((await t.listCalls({ limit: 1, beforeId: 2 })).map((c) => c.id)).toEqual([1]);
    const { streams: _streams, ...head } = ended[0]!.summary;
    expect((await t.listCalls({ limit: 1, beforeId: 2 }))[0]).toEqual({ ...head, streamCount: 2 });
    const call = (await t.getCall(1))!;
    expect(call.streams.map((s) => s.direction).sort()).toEqual(['rx', 'tx']);
    expect(call.streams[0]).toEqual(ended[0]!.summary.streams[0]);
    const series = (await t.getSeries(1))!;
    expect(series.streams[0]!.perSecond.length).toBeGreaterThan(5);
    expect(series.samples.length).toBeGreaterThan(0);
    expect(await t.getCall(3)).toBeNull();
    expect(await t.getSeries(3)).toBeNull();
  });

  it('gives back a call\'s recording kinds and its PCM streams as saved', async () => {
    const { recordings: t } = await backend.open();
    const session = { boardId: 7, resetCounter: 0, sessionId: 5 };
    const pcm = (ssrc: number, k: number) => buildRtp({ payloadType: 0, sequence: k, timestamp: k * 160, ssrc, payload: new Uint8Array(160).fill(k) });
    const tracker = new RecordingTracker({
      inactivityMs: 30_000, callIds: new CountingIds(1), streamIds: new CountingIds(1),
      sink: { datagram: () => undefined, callChanged: () => undefined, callEnded: () => undefined },
    });
    for (let k = 0; k < 20; k++) {
      for (const [tp, m, payload] of [[9, 15, pcm(1, k)], [10, 15, pcm(2, k)], [2, 7, Uint8Array.of(k)], [2, 99, Uint8Array.of(k, k)]] as const) {
        tracker.handle(buildAcdr({ version: 7, tracePoint: tp, mediaType: m, session }, payload), 1000 + k * 20, PHONE_ADDR, 50010);
      }
    }
    const summary = tracker.activeCalls()[0]!.summary();
    expect(summary.recordingKinds.map((k) => [k.kind, k.datagrams])).toEqual([['network', 20], ['tdm', 20], ['ec-debug', 20], ['other', 20]]);
    await t.saveCalls([{ summary, series: null }]);
    const back = (await t.getCall(summary.id))!;
    expect(back.recordingKinds).toEqual(summary.recordingKinds);
    expect(back.streams.map((s) => [s.recordingKind, s.kind, s.audio]).sort()).toEqual([['network', 'pcm', true], ['tdm', 'pcm', true]]);
    expect((await t.listCalls({ limit: 10 }))[0]!.recordingKinds).toEqual(summary.recordingKinds);
  });

  it('replaces a saved call by id, and a save without series keeps the stored one', async () => {
    const { recordings: t } = await backend.open();
    const { ended } = twoRecordedCalls();
    const first = ended[0]!;
    await t.saveCalls([{ summary: { ...first.summary, active: true, endMs: first.summary.startMs + 1 }, series: null }]);
    expect(await t.getSeries(1)).toBeNull();
    expect((await t.listCalls({ limit: 10, active: true })).map((c) => c.id)).toEqual([1]);
    await t.saveCalls([first]);
    await t.saveCalls([{ summary: first.summary, series: null }]);
    expect(await t.getCall(1)).toEqual(first.summary);
    expect(await t.getSeries(1)).toEqual(first.series);
    expect(await t.listCalls({ limit: 10, active: true })).toEqual([]);
    expect(await t.stats()).toEqual({ calls: 1, datagramBytes: 0 });
  });

  it('drops whole calls past the age, then oldest first until the datagrams fit the size', async () => {
    const { recordings: t } = await backend.open();
    const { batch, ended } = twoRecordedCalls();
    await t.writeDatagrams(batch.take());
    await t.saveCalls(ended);
    const endOf = (id: number) => ended.find((e) => e.summary.id === id)!.summary.endMs;
    const { datagramBytes } = await t.stats();
    expect(await t.enforceRetention(1e12, datagramBytes, endOf(2) + 1000)).toEqual({ deletedCalls: 0 });
    expect(await t.enforceRetention(1e12, datagramBytes - 1, endOf(2) + 1000)).toEqual({ deletedCalls: 1 });
    expect(await t.readDatagrams(1)).toBeNull();
    expect(await t.getCall(1)).toBeNull();
    expect(await t.getSeries(1)).toBeNull();
    expect(await t.readDatagrams(2)).not.toBeNull();
    expect(await t.enforceRetention(500, 1e12, endOf(2) + 1000)).toEqual({ deletedCalls: 1 });
    expect(await t.stats()).toEqual({ calls: 0, datagramBytes: 0 });
  });

  it('removes every call of an import with its streams, series and datagrams, and nothing else', async () => {
    const { recordings: t } = await backend.open();
    const { batch, ended } = twoRecordedCalls();
    await t.writeDatagrams(batch.take());
    await t.saveCalls([{ ...ended[0]!, importId: 9 }, ended[1]!]);
    expect(await t.deleteImport(9)).toEqual({ deletedCalls: 1 });
    expect(await t.getCall(1)).toBeNull();
    expect(await t.getSeries(1)).toBeNull();
    expect(await t.readDatagrams(1)).toBeNull();
    expect((await t.listCalls({ limit: 10 })).map((c) => c.id)).toEqual([2]);
    expect(await t.readDatagrams(2)).not.toBeNull();
    expect(await t.deleteImport(9)).toEqual({ deletedCalls: 0 });
  });
});
