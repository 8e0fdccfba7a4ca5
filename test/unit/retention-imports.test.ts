import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportStore } from '../../server/store/import-store.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('imports retention', () => {
  it('forgets finished imports older than the limit and keeps recent ones and one still reading', async () => {
    const store = openStoreOnThisThread(path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-retention-imports-')), 'db.sqlite'));
    const imports = store.imports;
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
    await store.close();
  });
});
