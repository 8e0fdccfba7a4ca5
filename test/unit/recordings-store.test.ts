import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import { twoRecordedCalls } from '../fixtures/two-recorded-calls.js';

// What the recordings store keeps and answers is the recordings contract (test/contract/recording-store.test.ts);
// here how the embedded store numbers recorded calls and streams after what it holds.
describe('recordings store ids', () => {
  it('continues numbering after the highest call with datagrams and the highest stored stream', async () => {
    const store = openStoreOnThisThread(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-')), 'db.sqlite'));
    const t = store.recordings;
    const { batch, ended } = twoRecordedCalls();
    await t.writeDatagrams(batch.take());
    const before = await store.rowIds();
    expect([before.recordedCall.next(), before.recordedStream.next()]).toEqual([3, 1]);
    await t.saveCalls(ended);
    const after = await store.rowIds();
    expect([after.recordedCall.next(), after.recordedStream.next()]).toEqual([3, 5]);
    await store.close();
  });
});
