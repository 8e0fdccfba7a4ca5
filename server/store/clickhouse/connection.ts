/**
 * One connection to the fleet store: the `clickhouse://` URL, the database created on first
 * start, what this server version can do, and typed row reads, commands and TSV inserts.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { TsvWriter, type TsvValue } from './tsv.js';

export interface ClickHouseTarget {
  /** http(s)://host:port for the client. */
  readonly httpUrl: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
}

const DEFAULT_HTTP_PORT = 8123;
const DEFAULT_HTTPS_PORT = 8443;
const REQUEST_TIMEOUT_MS = 30_000;
/** Failures reach the caller as errors, which say them once; the client's own log would repeat each. */
const QUIET = { level: ClickHouseLogLevel.OFF };

/**
 * `clickhouse://user:pass@host:8123/db` (or `clickhouses://` for HTTPS). The user defaults to
 * `default`, the database to `ipp`. The password never appears in messages (see `describe`).
 */
export function parseStoreUrl(text: string): ClickHouseTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`--store: "${text}" is not a URL (clickhouse://user:pass@host:8123/db)`);
  }
  const secure = u.protocol === 'clickhouses:';
  if (!secure && u.protocol !== 'clickhouse:') throw new Error(`--store: unknown scheme "${u.protocol}" (clickhouse:// or clickhouses://)`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'ipp';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`--store: database name "${database}" must be letters, digits and _`);
  const port = u.port || String(secure ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT);
  return {
    httpUrl: `${secure ? 'https' : 'http'}://${u.hostname}:${port}`,
    username: decodeURIComponent(u.username) || 'default',
    password: decodeURIComponent(u.password),
    database,
  };
}

/** For messages and health: the target without its password. */
export function describe(t: ClickHouseTarget): string {
  return `${t.httpUrl.replace(/^http/, 'clickhouse')}/${t.database} as ${t.username}`;
}

export interface ServerFeatures {
  readonly version: string;
  /** Data-skipping indexes (tokenbf_v1 for log search): from 19.x; 18.16 has none. */
  readonly skippingIndexes: boolean;
  /** `hasToken(haystack, word)`, which a token bloom filter can answer: from 19.x. */
  readonly hasToken: boolean;
}

export class ClickHouseDb {
  private constructor(private readonly client: ClickHouseClient, readonly target: ClickHouseTarget, readonly features: ServerFeatures) {}

  /** Connects, creates the database, reads the server's abilities. Rejects when the server cannot be reached. */
  static async connect(target: ClickHouseTarget): Promise<ClickHouseDb> {
    const admin = createClient({ url: target.httpUrl, username: target.username, password: target.password, request_timeout: REQUEST_TIMEOUT_MS, log: QUIET });
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${target.database}` });
      const [v] = await (await admin.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
      const functions = await (await admin.query({ query: "SELECT name FROM system.functions WHERE name = 'hasToken'", format: 'JSONEachRow' })).json<{ name: string }>();
      const major = Number(v!.v.split('.')[0]);
      const features = { version: v!.v, skippingIndexes: major >= 20, hasToken: functions.length > 0 };
      await admin.close();
      const client = createClient({
        url: target.httpUrl, username: target.username, password: target.password, database: target.database,
        request_timeout: REQUEST_TIMEOUT_MS, max_open_connections: 8, log: QUIET,
        // 64-bit integers come back as JSON numbers: every id and ms time fits in 2^53.
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      });
      return new ClickHouseDb(client, target, features);
    } catch (err) {
      await admin.close();
      throw err;
    }
  }

  async rows<T>(sql: string): Promise<T[]> {
    const rs = await this.client.query({ query: sql, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async run(sql: string): Promise<void> {
    await this.client.command({ query: sql });
  }

  /** One INSERT of TabSeparated rows (see tsv.ts), columns named in the order the rows hold them. */
  async insertTsv(table: string, columns: readonly string[], tsv: Buffer): Promise<void> {
    if (tsv.length === 0) return;
    await this.client.insert({ table, columns: columns as [string, ...string[]], format: 'TabSeparated', values: Readable.from([tsv], { objectMode: false }) });
  }

  /** One INSERT for all the rows; they are encoded first, so a bad value fails before anything is sent. */
  async insertRows(table: string, columns: readonly string[], rows: ReadonlyArray<readonly TsvValue[]>): Promise<void> {
    if (rows.length === 0) return;
    const w = new TsvWriter();
    for (const r of rows) w.row(r);
    await this.insertTsv(table, columns, w.take());
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
