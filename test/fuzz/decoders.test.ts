// Every decoder under random and mutated input: it returns (a value or a DecodeError) rather than
// throwing, within a time bound per input, without holding on to a huge allocation that an
// unchecked length field asked for. Seeds are real traffic from the simulator and the fixtures;
// mutations flip, insert, delete and overwrite bytes (0xff runs turn length fields huge) and cut.
// IPP_FUZZ_RUNS=N runs N inputs per decoder (default a few hundred; `npm run fuzz` runs more).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAcdr, decodeAcdrSignaling } from '../../parsers/acdr.js';
import { sniffKind } from '../../parsers/archive-sniff.js';
import { decodeElfCore } from '../../parsers/elf-core.js';
import { decodeElfSymbols } from '../../parsers/elf-symbols.js';
import { decodeIpUdp, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../parsers/ip-udp.js';
import { decodeTransport } from '../../parsers/link-layer.js';
import { decodeMsQoe } from '../../parsers/ms-qoe.js';
import { decodePcapngBlock } from '../../parsers/pcapng.js';
import { decodeRtcp } from '../../parsers/rtcp.js';
import { decodeRtp, decodeRtpExtensionElements } from '../../parsers/rtp.js';
import { decodeSip } from '../../parsers/sip.js';
import { SipStreamFramer } from '../../parsers/sip-stream.js';
import { decodeSyslog } from '../../parsers/syslog.js';
import { SyslogFramer } from '../../parsers/syslog-framing.js';
import { decodeTelephoneEvents } from '../../parsers/telephone-event.js';
import { decodeTombstone } from '../../parsers/tombstone.js';
import { decodeVqRtcpxr } from '../../parsers/vq-rtcpxr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { corpus, type Corpus } from './corpus.js';

const RUNS = Number(process.env.IPP_FUZZ_RUNS) || 300;
/** No single input may take longer: a hang or a quadratic blow-up shows here. */
const MAX_MS_PER_INPUT = 250;
/** Buffers still held after one decode; a decoder that trusted a length field would exceed it. */
const MAX_RETAINED_BYTES = 64 * 1024 * 1024;
const MAX_RANDOM_BYTES = 4096;
/** fast-check's own seed, printed on failure so a run can be replayed (IPP_FUZZ_SEED). */
const SEED = Number(process.env.IPP_FUZZ_SEED) || Date.now() % 2 ** 31;

type Edit = { kind: 'set' | 'insert' | 'delete' | 'ff4' | 'zero4'; at: number; value: number };

function applyEdits(seed: Uint8Array, edits: readonly Edit[], cut: number | null): Uint8Array {
  let b = Array.from(seed);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    if (e.kind === 'set' && at < b.length) b[at] = e.value;
    else if (e.kind === 'insert') b.splice(at, 0, e.value);
    else if (e.kind === 'delete') b.splice(at, 1);
    else if (e.kind === 'ff4') b.splice(at, 4, 0xff, 0xff, 0xff, 0xff);
    else if (e.kind === 'zero4') b.splice(at, 4, 0, 0, 0, 0);
  }
  if (cut !== null && b.length > 0) b = b.slice(0, cut % (b.length + 1));
  return Uint8Array.from(b);
}

/** Mutations of the seeds, plus plain random bytes. */
function inputs(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({
    kind: fc.constantFrom<Edit['kind']>('set', 'insert', 'delete', 'ff4', 'zero4'),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  });
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { maxLength: 12 }), fc.option(fc.nat(), { nil: null }))
    .map(([seed, edits, cut]) => applyEdits(seed, edits, cut));
  return fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: fc.uint8Array({ maxLength: MAX_RANDOM_BYTES }), weight: 1 });
}

/** Runs one decode under the bounds; `decode` must not throw. */
function bounded(name: string, input: Uint8Array, decode: () => unknown): void {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: unknown;
  try {
    result = decode();
  } catch (err) {
    throw new Error(`${name} threw on ${input.length} bytes (${Buffer.from(input.subarray(0, 48)).toString('hex')}…): ${(err as Error).stack}`);
  }
  const ms = performance.now() - t0;
  expect(ms, `${name} took ${ms.toFixed(0)} ms on ${input.length} bytes`).toBeLessThan(MAX_MS_PER_INPUT);
  const retained = process.memoryUsage().arrayBuffers - before;
  expect(retained, `${name} kept ${retained} bytes after decoding ${input.length}`).toBeLessThan(MAX_RETAINED_BYTES);
  void result;
}

function fuzz(name: string, seeds: () => readonly Uint8Array[], decode: (b: Uint8Array) => unknown): void {
  it(`${name}: never throws, hangs or over-allocates on mutated and random input`, () => {
    const s = seeds();
    expect(s.length, `${name} has seeds`).toBeGreaterThan(0);
    fc.assert(fc.property(inputs(s), (input) => bounded(name, input, () => decode(input))), { numRuns: RUNS, seed: SEED, verbose: 1 });
  });
}

/** Feeds a stream framer the input in random-sized chunks. */
function chunked(input: Uint8Array, push: (chunk: Uint8Array) => { error?: unknown }): void {
  let o = 0;
  let step = 1;
  while (o < input.length) {
    const r = push(input.subarray(o, o + step));
    if (r.error) return;
    o += step;
    step = ((step * 7 + input.length) % 97) + 1;
  }
}

const octetCounted = (msgs: readonly Uint8Array[]): Uint8Array => Buffer.concat(msgs.slice(0, 5).flatMap((m) => [Buffer.from(`${m.length} `), Buffer.from(m)]));

let c: Corpus;
beforeAll(async () => {
  c = await corpus();
}, 120_000);

describe(`decoders under fuzzing (${RUNS} inputs each, seed ${SEED})`, () => {
  fuzz('syslog', () => c.syslog, (b) => decodeSyslog(b, { referenceMs: 1_764_000_000_000 }));
  fuzz('syslog framing', () => [octetCounted(c.syslog), Buffer.concat(c.syslog.slice(0, 5).flatMap((m) => [Buffer.from(m), Buffer.from('\n')]))], (b) => {
    const f = new SyslogFramer();
    chunked(b, (chunk) => f.push(chunk));
    return f.end();
  });
  fuzz('acdr', () => c.acdr, decodeAcdr);
  fuzz('acdr signaling', () => c.acdrPayloads.filter((p) => p.kind === 'sip' || p.kind === 'signaling').map((p) => p.payload).concat(c.sip.slice(0, 5)), (b) => decodeAcdrSignaling(b, 0));
  fuzz('rtp', () => c.acdrPayloads.filter((p) => p.kind === 'rtp').map((p) => p.payload), (b) => {
    const r = decodeRtp(b);
    return isDecodeError(r) || !r.extension ? r : decodeRtpExtensionElements(r.extension);
  });
  fuzz('rtcp', () => c.acdrPayloads.filter((p) => p.kind === 'rtcp').map((p) => p.payload), decodeRtcp);
  fuzz('telephone-event', () => [Uint8Array.from([1, 0x8a, 0x03, 0x20]), Uint8Array.from([11, 0x80, 0, 160, 11, 0x80, 0, 320])], decodeTelephoneEvents);
  fuzz('sip', () => c.sip, decodeSip);
  fuzz('sip-stream', () => [Buffer.concat(c.sip.slice(0, 4).map((m) => Buffer.from(m))), Buffer.from('\r\n\r\n')], (b) => {
    const f = new SipStreamFramer();
    chunked(b, (chunk) => f.push(chunk));
  });
  fuzz('vq-rtcpxr', () => c.vq, decodeVqRtcpxr);
  fuzz('ms-qoe', () => c.qoe, decodeMsQoe);
  fuzz('tombstone', () => c.tombstones, decodeTombstone);
  fuzz('elf-core', () => c.cores, decodeElfCore);
  fuzz('elf-symbols', () => c.binaries, decodeElfSymbols);
  fuzz('ip-udp', () => c.frames, (b) => [decodeIpUdp(LINKTYPE_ETHERNET, b), decodeIpUdp(LINKTYPE_RAW, b.subarray(14))]);
  fuzz('link-layer transport', () => c.frames, (b) => decodeTransport(LINKTYPE_ETHERNET, b));
  fuzz('pcapng block', () => c.pcapngBlocks, (b) => decodePcapngBlock(b, true));
  fuzz('archive sniffing', () => [...c.cores.map((x) => x.subarray(0, 512)), Uint8Array.from([0x1f, 0x8b, 8, 0]), Buffer.from('PK\x03\x04')], sniffKind);
});
