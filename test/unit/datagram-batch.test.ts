// Batches from the receiver threads: what crosses to the main thread is what was read, and a
// batch of a few datagrams does not carry (and keep alive) the 256 KiB it was read into.
import { describe, expect, it } from 'vitest';
import { DatagramBatchBuilder, forEachDatagram, sealBatch, uninitialised, type DatagramBatch } from '../../server/sources/datagram-batch.js';

const read = (b: DatagramBatch) => {
  const out: string[] = [];
  forEachDatagram(b, (data, address, port) => out.push(`${address}:${port} ${data.toString()}`));
  return out;
};

describe('datagram batches', () => {
  it('sends a batch that fills little of its arrays in buffers of its own size, and keeps the arrays for the next', () => {
    const builder = new DatagramBatchBuilder(1024, 256 * 1024);
    builder.add(Buffer.from('<134>first'), '10.0.0.5', 514);
    builder.add(Buffer.from('<134>second'), '10.0.0.6', 1514);
    const { batch, transfer } = builder.take(3);
    expect(read(batch)).toEqual(['10.0.0.5:514 <134>first', '10.0.0.6:1514 <134>second']);
    expect(batch.dropped).toBe(3);
    expect(transfer.map((b) => b.byteLength)).toEqual([21, 8, 8, 4]);
    // The builder's arrays were kept: the next batch is read into them and is unaffected by the first.
    builder.add(Buffer.from('<134>third'), '10.0.0.7', 514);
    expect(read(builder.take(0).batch)).toEqual(['10.0.0.7:514 <134>third']);
    expect(read(batch)).toEqual(['10.0.0.5:514 <134>first', '10.0.0.6:1514 <134>second']);
  });

  it('hands a batch that fills its arrays over with them, without a copy', () => {
    const bytes = uninitialised(64);
    bytes.set(Buffer.from('x'.repeat(40)));
    const arrays = { bytes, ends: Uint32Array.of(20, 40, 0, 0), from: new Uint32Array(4), ports: Uint16Array.of(514, 514, 0, 0) };
    const { batch, transfer, arraysKept } = sealBatch(arrays, 2, 40, ['10.0.0.5'], 0);
    expect(arraysKept).toBe(false);
    expect(transfer[0]).toBe(bytes.buffer);
    expect(read(batch)).toEqual([`10.0.0.5:514 ${'x'.repeat(20)}`, `10.0.0.5:514 ${'x'.repeat(20)}`]);
  });
});
