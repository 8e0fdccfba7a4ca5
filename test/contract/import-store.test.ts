// The imports contract (server/store/import-store.ts) on every backend: an import's row through
// its life, what a stopped collector left unfinished, retention, and removal with its calls.
import { expect, it } from 'vitest';
import { DEFAULT_VERDICT_THRESHOLDS } from '../../server/analysis/e-model.js';
import { eachBackend } from './backends.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

eachBackend('import store', (backend) => {
  it('keeps an import\'s status, progress, summary and damage through its updates, newest first in the list', async () => {
    const { imports } = await backend.open();
    const a = await imports.create('mirror "span".pcapng', 1234, NOW);
    expect(a).toMatchObject({ fileName: 'mirror "span".pcapng', size: 1234, status: 'queued', progressBytes: 0, sha256: null, summary: null, errors: [], createdMs: NOW, finishedMs: null });
    await imports.update(a.id, { status: 'reading', progressBytes: 600 });
    const summary = { frames: 140, perProtocol: { sip: 140 }, undecoded: { 'ERSPAN type I': 2 } };
    const errors = [{ offset: 4096, message: 'record cut short' }];
    const done = await imports.update(a.id, { status: 'done', progressBytes: 1234, sha256: 'ab'.repeat(32), summary, errors, finishedMs: NOW + 5 });
    expect(done).toEqual({ ...a, status: 'done', progressBytes: 1234, sha256: 'ab'.repeat(32), summary, errors, finishedMs: NOW + 5 });
    expect(await imports.get(a.id)).toEqual(done);
    const b = await imports.create('second.pcap', 10, NOW + 10);
    expect((await imports.list(10)).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await imports.list(1)).map((r) => r.id)).toEqual([b.id]);
    expect(await imports.update(b.id + a.id + 1, { status: 'done' })).toBeNull();
    expect(await imports.get(b.id + a.id + 1)).toBeNull();
  });

  it('marks imports a stopped collector left unfinished as failed, saying why, and leaves finished ones alone', async () => {
    const { imports } = await backend.open();
    const queued = await imports.create('a.pcap', 1, NOW);
    const reading = await imports.create('b.pcap', 1, NOW);
    await imports.update(reading.id, { status: 'reading', errors: [{ offset: 10, message: 'bad block' }] });
    const done = await imports.create('c.pcap', 1, NOW);
    await imports.update(done.id, { status: 'done', finishedMs: NOW });
    expect(await imports.failUnfinished(NOW + 1)).toBe(2);
    expect(await imports.get(queued.id)).toMatchObject({ status: 'failed', finishedMs: NOW + 1, errors: [{ offset: null, message: 'the collector stopped before the import finished' }] });
    expect((await imports.get(reading.id))!.errors).toEqual([{ offset: 10, message: 'bad block' }, { offset: null, message: 'the collector stopped before the import finished' }]);
    expect((await imports.get(done.id))!.status).toBe('done');
    expect(await imports.failUnfinished(NOW + 2)).toBe(0);
  });

  it('forgets finished imports older than the limit and keeps recent ones and one still reading', async () => {
    const { imports } = await backend.open();
    const oldDone = await imports.create('old.pcap', 10, NOW - 40 * DAY_MS);
    await imports.update(oldDone.id, { status: 'done', finishedMs: NOW - 40 * DAY_MS });
    const oldFailed = await imports.create('bad.pcap', 10, NOW - 40 * DAY_MS);
    await imports.update(oldFailed.id, { status: 'failed', finishedMs: NOW - 39 * DAY_MS });
    const reading = await imports.create('huge.pcap', 10, NOW - 40 * DAY_MS);
    await imports.update(reading.id, { status: 'reading' });
    const recent = await imports.create('new.pcap', 10, NOW - DAY_MS);
    await imports.update(recent.id, { status: 'done', finishedMs: NOW - DAY_MS });

    expect(await imports.enforceRetention(30 * DAY_MS, NOW)).toEqual({ deletedImports: 2 });
    expect((await imports.list(10)).map((r) => r.fileName)).toEqual(['new.pcap', 'huge.pcap']);
  });

  it('removes an import with the calls it brought and nothing else', async () => {
    const store = await backend.open();
    const imp = await store.imports.create('calls.pcap', 10, NOW);
    const other = await store.imports.create('other.pcap', 10, NOW);
    const record = (sipCallId: string, importId: number | undefined) => ({
      keys: { sipCallId, startMs: NOW, endMs: NOW + 1000 },
      info: importId === undefined ? {} : { importId },
      segments: [], streams: [], callSamples: [{ source: 'vq-session' as const, startMs: NOW, endMs: NOW + 1000, metrics: { mosLq: 4 } }],
    });
    const mine = await store.calls.ingest(record('in-import@x', imp.id), DEFAULT_VERDICT_THRESHOLDS);
    const theirs = await store.calls.ingest(record('in-other@x', other.id), DEFAULT_VERDICT_THRESHOLDS);
    const live = await store.calls.ingest(record('live@x', undefined), DEFAULT_VERDICT_THRESHOLDS);
    expect(await store.imports.deleteImport(imp.id)).toEqual({ deletedCalls: 1 });
    expect(await store.imports.get(imp.id)).toBeNull();
    expect(await store.calls.getCall(mine.call.id)).toBeNull();
    expect(await store.calls.getCall(theirs.call.id)).not.toBeNull();
    expect(await store.calls.getCall(live.call.id)).not.toBeNull();
    expect(await store.imports.get(other.id)).not.toBeNull();
  });

  it.runIf(backend.name === 'clickhouse')('a collector starting up fails only its own unfinished imports, not one another collector is reading', async () => {
    const first = await backend.open({ slot: 1 });
    const second = await backend.open({ slot: 2, sameAs: first });
    const theirs = await first.imports.create('big.pcap', 1, NOW);
    await first.imports.update(theirs.id, { status: 'reading' });
    const mine = await second.imports.create('left.pcap', 1, NOW);
    expect(await second.imports.failUnfinished(NOW + 1)).toBe(1);
    expect((await second.imports.get(theirs.id))!.status).toBe('reading');
    expect((await first.imports.get(mine.id))!.status).toBe('failed');
    expect((await second.imports.list(10)).map((r) => r.id).sort()).toEqual([theirs.id, mine.id].sort());
  });
});
