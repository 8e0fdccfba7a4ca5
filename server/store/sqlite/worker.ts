/**
 * Store worker thread: owns the SQLite connection. Requests arrive as { id, method, args } and are
 * answered in order, so a write acknowledged here is committed before any later query runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FTS_INDEX_CHUNK_ROWS, SqliteDatabase } from './database.js';
import { QueryError, type LogWrite } from '../types.js';
import { lowerThreadPriority } from '../../thread-priority.js';

export interface StoreRequest { id: number; method: StoreMethod; args: unknown[] }
export type StoreResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; queryError: boolean };
export type StoreMethod = 'nextIds' | 'loadDevices' | 'write' | 'queryLogs' | 'getLog' | 'deleteImportedLogs' | 'enforceRetention' | 'stats' | 'domainCall' | 'close';

const port = parentPort;
if (!port) throw new Error('store worker started outside a worker thread');
/**
 * The store runs below the threads that read and decode datagrams: when the 2 cores are full
 * (50,000 lines/s used 17 of 20 core-seconds), a line waiting to be written costs only a later
 * write, but a line waiting to be decoded is late on every live tail and, once the socket's buffer
 * is full, lost. Nice 10, not 19: the store still gets about a tenth of a busy core, and its
 * queue absorbs a burst and catches up after it.
 */
const STORE_THREAD_NICE = 10;
lowerThreadPriority(STORE_THREAD_NICE);
let db: SqliteDatabase;
try {
  db = new SqliteDatabase((workerData as { file: string }).file);
} catch (err) {
  port.postMessage({ id: 0, ok: false, message: (err as Error).message, queryError: false } satisfies StoreResponse);
  process.exit(1);
}
port.postMessage({ id: 0, ok: true, value: null } satisfies StoreResponse);

port.on('message', (req: StoreRequest) => {
  let res: StoreResponse;
  try {
    const value = dispatch(req);
    res = { id: req.id, ok: true, value };
  } catch (err) {
    res = { id: req.id, ok: false, message: (err as Error).message, queryError: err instanceof QueryError };
  }
  port.postMessage(res);
  if (req.method === 'close') port.close();
  else if (req.method === 'write') scheduleIndexing((req.args[0] as LogWrite).backlog ?? 0);
});

/**
 * Search indexing yields to ingest: it runs when no batch has arrived for a moment, and
 * interleaves with a steady stream of batches once the unindexed tail is long enough to make the
 * scan that covers it slow (a fleet at a steady 5,000 lines/s is never idle for 250 ms, and a
 * million-row tail made every search scan it: the soak showed the lag sitting at that bound).
 * Paced, that interleaving indexes up to 40,000 lines/s. While lines queue behind the writes (a
 * burst past what the store takes), indexing waits for them up to a far longer tail: on the 2-core
 * bench machine the paced indexing took most of what the store worker got during a 150,000 lines/s
 * step, and the write queue overflowed; searches scan the longer tail meanwhile, slower, still whole.
 */
const INDEX_WHEN_IDLE_FOR_MS = 250;
const INDEX_ANYWAY_ABOVE_LAG_ROWS = 100_000;
const INDEX_ANYWAY_WHILE_LINES_WAIT_ABOVE_LAG_ROWS = 1_000_000;
const INDEX_UNDER_LOAD_EVERY_MS = 50;
let indexTimer: NodeJS.Timeout | null = null;
let lastWriteAt = 0;
/** Lines the last write said were queued behind it in full batches. */
let backlog = 0;

function scheduleIndexing(linesBehind: number): void {
  backlog = linesBehind;
  lastWriteAt = Date.now();
  if (indexTimer) return;
  indexTimer = setTimeout(indexStep, INDEX_WHEN_IDLE_FOR_MS);
}

function indexStep(): void {
  indexTimer = null;
  let more = false;
  let behind = false;
  try {
    const idle = Date.now() - lastWriteAt >= INDEX_WHEN_IDLE_FOR_MS;
    behind = db.searchIndexLag() > (backlog > 0 ? INDEX_ANYWAY_WHILE_LINES_WAIT_ABOVE_LAG_ROWS : INDEX_ANYWAY_ABOVE_LAG_ROWS);
    if (idle || behind) {
      more = db.indexPending(FTS_INDEX_CHUNK_ROWS) === FTS_INDEX_CHUNK_ROWS;
    } else {
      more = true;
    }
  } catch {
    // Disk trouble: the next write retries; queries still scan the unindexed tail.
  }
  const delay = Date.now() - lastWriteAt >= INDEX_WHEN_IDLE_FOR_MS ? 0 : behind ? INDEX_UNDER_LOAD_EVERY_MS : INDEX_WHEN_IDLE_FOR_MS;
  if (more) indexTimer = setTimeout(indexStep, delay);
}

function dispatch(req: StoreRequest): unknown {
  const a = req.args as never[];
  switch (req.method) {
    case 'nextIds': return db.nextIds();
    case 'loadDevices': return db.loadDevices();
    case 'write': { const b = a[0] as unknown as LogWrite; db.write(b.logs, b.devices); return null; }
    case 'queryLogs': return db.queryLogs(a[0]!);
    case 'getLog': return db.getLog(a[0]!);
    case 'deleteImportedLogs': return db.deleteImportedLogs(a[0]!);
    case 'enforceRetention': return db.enforceRetention(a[0]!, a[1]!);
    case 'stats': return db.stats();
    case 'domainCall': {
      const [name, method, args] = a as unknown as [string, string, unknown[]];
      const target = db.domains[name] as Record<string, unknown> | undefined;
      const fn = target?.[method];
      if (typeof fn !== 'function' || method === 'constructor') throw new Error(`no store method ${name}.${method}`);
      return (fn as (...x: unknown[]) => unknown).apply(target, args);
    }
    case 'close': db.close(); return null;
  }
}
