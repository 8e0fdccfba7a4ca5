import { describe, expect, it } from 'vitest';
import type { TcpHeader } from '../../parsers/link-layer.js';
import { decodeTcp } from '../../parsers/link-layer.js';
import { TcpReassembler, type TcpEvent } from '../../server/capture/tcp-reassembly.js';

const seg = (seq: number, text: string, flags: Partial<TcpHeader> = {}): TcpHeader =>
  ({ srcPort: 40000, dstPort: 5060, seq, syn: false, fin: false, rst: false, payload: Buffer.from(text), ...flags });

function run(segments: TcpHeader[]): { text: string; events: TcpEvent[] } {
  const events: TcpEvent[] = [];
  const r = new TcpReassembler((e) => events.push(e));
  segments.forEach((s, i) => r.add('192.0.2.10', '192.0.2.200', s, i));
  r.finish();
  const text = events.map((e) => (e.kind === 'data' ? Buffer.from(e.bytes).toString() : e.kind === 'gap' ? `[gap ${e.missingBytes}]` : '|')).join('');
  return { text, events };
}

describe('TCP reassembly', () => {
  it('joins in-order segments after the SYN', () => {
    expect(run([seg(999, '', { syn: true }), seg(1000, 'INVITE '), seg(1007, 'sip:x')]).text).toBe('INVITE sip:x|');
  });

  it('puts reordered segments back in order and drops retransmissions and overlaps', () => {
    expect(run([seg(1000, 'abc'), seg(1006, 'ghi'), seg(1003, 'def'), seg(1003, 'def'), seg(1004, 'efgh'), seg(1009, 'jk')]).text).toBe('abcdefghijk|');
  });

  it('reports a hole the capture never filled and goes on after it', () => {
    expect(run([seg(1000, 'abc'), seg(1010, 'xyz')]).text).toBe('abc[gap 7]xyz|');
  });

  it('follows the sequence number across its wrap', () => {
    expect(run([seg(0xfffffffe, 'ab'), seg(0, 'cd')]).text).toBe('abcd|');
  });

  it('ends a flow on FIN and RST', () => {
    const { events } = run([seg(1, 'a', { fin: true }), seg(50, 'b'), seg(51, '', { rst: true })]);
    expect(events.map((e) => e.kind)).toEqual(['data', 'end', 'data', 'end']);
  });

  it('reads the TCP header and refuses a cut-off one', () => {
    const h = Buffer.alloc(24);
    h.writeUInt16BE(5060, 0); h.writeUInt16BE(40000, 2); h.writeUInt32BE(0xdeadbeef, 4); h[12] = 5 << 4; h[13] = 0x12;
    expect(decodeTcp(h)).toMatchObject({ srcPort: 5060, dstPort: 40000, seq: 0xdeadbeef, syn: true, fin: false });
    expect((decodeTcp(h) as TcpHeader).payload.length).toBe(4);
    expect(decodeTcp(h.subarray(0, 10))).toMatch(/TCP header too short: 10 of 20/);
    h[12] = 15 << 4;
    expect(decodeTcp(h)).toMatch(/TCP options cut off: 24 of 60/);
  });
});
