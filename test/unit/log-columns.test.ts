// Lines wait for the store as columns in blocks of one transaction: what goes in comes out
// unchanged and in order, a failed write keeps its block for the retry, and past the bound lines
// are dropped and counted.
import { describe, expect, it } from 'vitest';
import { Counters } from '../../server/counters.js';
import { DeviceRegistry } from '../../server/pipeline/device-registry.js';
import { BatchWriter } from '../../server/store/batch-writer.js';
import { codeOrNull, LogColumnsBuilder, messageOf, numberOrNull, packLogs, rawOf, type LogColumns } from '../../server/store/log-columns.js';
import type { LogRecord, Store } from '../../server/store/types.js';

const T0 = Date.UTC(2026, 11, 7, 13, 0, 0);

/** Every other line's message is the tail of its raw bytes, as the syslog decoder marks it. */
function line(id: number, over: Partial<LogRecord> = {}): LogRecord {
  const message = `INVITE ${id} ${'x'.repeat(id % 300)}`;
  return {
    id, receivedAt: T0 + id, deviceId: 1 + (id % 3), source: 'syslog-udp', format: 'rfc5424', facility: id % 2 ? null : 16, severity: id % 8,
    deviceTime: null, deviceTs: id % 5 ? T0 : null, hostname: 'phone', app: 'sip_stack', pid: null, msgid: null, module: 'sip_stack',
    seq: id % 4 ? id : null, sid: null, message,
    raw: new TextEncoder().encode(`<134>1 - phone sip_stack - - - ${message}`), messageAt: id % 2 ? '<134>1 - phone sip_stack - - - '.length : null,
    structuredData: id % 7 ? null : [{ id: 'meta', params: { n: String(id) } }], warnings: id % 11 ? [] : ['no timestamp'], importId: id % 13 ? null : 2,
    ...over,
  };
}

/** Back from columns to the record each line was, to compare with what went in. */
function unpack(c: LogColumns): LogRecord[] {
  const t = c.text;
  return Array.from({ length: c.n }, (_, i) => ({
    id: c.id[i]!, receivedAt: c.receivedAt[i]!, deviceId: c.deviceId[i]!, source: t.source[i] as LogRecord['source'], format: t.format[i] as LogRecord['format'],
    facility: codeOrNull(c.facility[i]!), severity: codeOrNull(c.severity[i]!), deviceTime: t.deviceTime[i]!, deviceTs: numberOrNull(c.deviceTs[i]!),
    hostname: t.hostname[i]!, app: t.app[i]!, pid: t.pid[i]!, msgid: t.msgid[i]!, module: t.module[i] as LogRecord['module'], seq: numberOrNull(c.seq[i]!),
    sid: t.sid[i]!, message: messageOf(c, i), raw: rawOf(c, i), messageAt: codeOrNull(c.messageAt[i]!), structuredData: t.sd[i] ? JSON.parse(t.sd[i]!) : null,
    warnings: t.warnings[i] ? JSON.parse(t.warnings[i]!) : [], importId: numberOrNull(c.importId[i]!),
  }));
}

const asPlain = (records: readonly LogRecord[]) => records.map((r) => ({ ...r, raw: [...r.raw] }));

/** A store that records each batch it commits and fails the writes it is told to. */
function recordingStore(failWrites: number[] = []) {
  const committed: LogColumns[] = [];
  let calls = 0;
  const store = {
    async write(batch: { logs: LogColumns }) {
      calls++;
      if (failWrites.includes(calls)) throw new Error('disk full');
      committed.push(structuredClone(batch.logs));
    },
  } as unknown as Store;
  return { store, committed };
}

describe('lines as columns', () => {
  it('takes off what was added, unchanged, in arrays of its exact size, and fills again from empty', () => {
    const builder = new LogColumnsBuilder();
    // Past the first arrays' 64 rows and 16 KiB of raw bytes.
    const first = Array.from({ length: 300 }, (_, i) => line(i + 1));
    for (const r of first) builder.add(r);
    const block = builder.take();
    expect(block.n).toBe(300);
    expect(block.id.length).toBe(300);
    expect(block.raw.length).toBe(first.reduce((n, r) => n + r.raw.length, 0));
    expect(asPlain(unpack(block))).toEqual(asPlain(first));
    // A message read from the raw bytes is not also kept as a string.
    expect(block.text.message.filter((m) => m === null).length).toBe(150);
    expect(builder.length).toBe(0);
    builder.add(line(301));
    expect(asPlain(unpack(builder.take()))).toEqual(asPlain([line(301)]));
    expect(asPlain(unpack(block))).toEqual(asPlain(first));
  });

  it('queues lines in blocks of one write, keeps a failed block in front for the retry, and counts what the bound drops', async () => {
    const { store, committed } = recordingStore([2]);
    const counters = new Counters();
    const writer = new BatchWriter(store, new DeviceRegistry([], (a) => a.length), counters, { batchSize: 100, flushIntervalMs: 5, maxQueued: 1000, maxQueuedBytes: 1 << 20 });
    const sent = Array.from({ length: 1100 }, (_, i) => line(i + 1));
    const accepted = sent.filter((r) => writer.enqueue(r));
    expect(counters.source('syslog-udp').dropped).toBe(sent.length - accepted.length);
    expect(accepted.length).toBeGreaterThanOrEqual(1000);
    await expect(writer.flush()).rejects.toThrow(/disk full/);
    expect(writer.degraded).toBe(true);
    await writer.flush();
    expect(committed.every((b) => b.n <= 100)).toBe(true);
    expect(asPlain(committed.flatMap(unpack))).toEqual(asPlain(accepted));
    expect(writer.lastStoredId).toBe(accepted.at(-1)!.id);
    expect(writer.queued).toBe(0);
    const c = counters.source('syslog-udp');
    expect([c.stored, c.queued]).toEqual([accepted.length, 0]);
    await writer.close();
  });

  it('bounds the queue in raw bytes too: long lines are dropped and counted before the line bound, and room comes back as blocks are written', async () => {
    const { store, committed } = recordingStore();
    const counters = new Counters();
    const writer = new BatchWriter(store, new DeviceRegistry([], (a) => a.length), counters, { batchSize: 10, flushIntervalMs: 5, maxQueued: 1000, maxQueuedBytes: 64 * 1024 });
    const long = (id: number) => line(id, { raw: new Uint8Array(8 * 1024).fill(0x41), messageAt: null });
    const first = Array.from({ length: 20 }, (_, i) => long(i + 1));
    const accepted = first.filter((r) => writer.enqueue(r));
    // 8 lines of 8 KiB fill 64 KiB: the rest of the burst is dropped though far below 1,000 lines.
    expect(accepted).toHaveLength(8);
    expect(counters.source('syslog-udp').dropped).toBe(12);
    await writer.flush();
    expect(writer.enqueue(long(21))).toBe(true);
    await writer.flush();
    expect(committed.flatMap(unpack).map((r) => r.id)).toEqual([...accepted.map((r) => r.id), 21]);
    await writer.close();
  });

  it('keeps every field through the pool of repeated short values, also past its size, when it starts over', () => {
    const builder = new LogColumnsBuilder();
    const records = Array.from({ length: 10_000 }, (_, i) => line(i + 1, {
      hostname: `phone-${i % 5000}`, app: i % 2 ? 'sip_stack' : `app${i}`, pid: String(i % 7), deviceTime: `Dec  7 13:${String(i % 60).padStart(2, '0')}:00`, msgid: i % 3 ? null : 'ID47',
    }));
    for (const r of records) builder.add(r);
    expect(asPlain(unpack(builder.take()))).toEqual(asPlain(records));
  });

  it('packs records the same way the queue does', () => {
    const records = Array.from({ length: 150 }, (_, i) => line(i + 1));
    expect(asPlain(unpack(packLogs(records)))).toEqual(asPlain(records));
  });
});
