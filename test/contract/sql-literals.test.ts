// The literals every ClickHouse query is built with round-trip any text through a real server:
// what a phone sends can never end the literal or change the query.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseDb, parseStoreUrl } from '../../server/store/clickhouse/connection.js';
import { likeContains, str } from '../../server/store/clickhouse/sql.js';
import { TsvWriter } from '../../server/store/clickhouse/tsv.js';
import { startClickHouse, type RunningClickHouse } from '../../bench/clickhouse-server.js';
import { hasClickHouse } from '../support/fleet-servers.js';

(hasClickHouse() ? describe : describe.skip)('ClickHouse literals and TSV rows [clickhouse]', () => {
  let server: RunningClickHouse;
  let db: ClickHouseDb;
  beforeAll(async () => {
    server = await startClickHouse();
    db = await ClickHouseDb.connect(parseStoreUrl(server.url));
  }, 90_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  const hostile = ["'", "\\", "\\'", "'; DROP TABLE x; --", '\u0000\t\n\r\u0007', 'é中😀', "%_\\%", '\u007f'];

  it('quotes strings so the server reads back exactly what was meant', async () => {
    const samples = [...hostile, ...fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), 200)];
    const rows = await db.rows<{ i: number; s: string }>(`SELECT number AS i, [${samples.map(str).join(', ')}][number + 1] AS s FROM system.numbers LIMIT ${samples.length}`);
    expect(rows.map((r) => r.s)).toEqual(samples);
  });

  it('matches LIKE patterns literally', async () => {
    const [r] = await db.rows<{ a: number; b: number }>(`SELECT ${"'x%_y'"} LIKE ${likeContains('%_')} AS a, 'xaby' LIKE ${likeContains('%_')} AS b`);
    expect(r).toEqual({ a: 1, b: 0 });
  });

  it('writes any bytes, nulls and arrays through TSV unchanged', async () => {
    await db.run('CREATE TABLE tsv_probe (i UInt32, s String, n Nullable(Int64), a Array(String)) ENGINE = MergeTree ORDER BY i');
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const w = new TsvWriter();
    hostile.forEach((h, i) => w.row([i, h, i % 2 ? null : -i - 1, [h, 'plain']]));
    w.row([hostile.length, bytes, 2 ** 40, []]);
    await db.insertTsv('tsv_probe', ['i', 's', 'n', 'a'], w.take());
    const rows = await db.rows<{ i: number; s: string; n: number | null; a: string[] }>('SELECT i, s, n, a FROM tsv_probe WHERE i < 100 ORDER BY i');
    expect(rows.slice(0, hostile.length)).toEqual(hostile.map((h, i) => ({ i, s: h, n: i % 2 ? null : -i - 1, a: [h, 'plain'] })));
    const [raw] = await db.rows<{ h: string }>(`SELECT hex(s) AS h FROM tsv_probe WHERE i = ${hostile.length}`);
    expect(raw!.h).toBe(Buffer.from(bytes).toString('hex').toUpperCase());
  });
});
