/**
 * `ipp-collector decode FILE --json`: every decoded record of a file as NDJSON, one JSON object a
 * line. What the file is comes from its first bytes: a small table of detectors by magic, each
 * with the decoder that streams the file's records. Captures (pcap µs/ns, pcapng) are read through
 * openCapture, the one place that tells capture formats apart; crash dumps, tombstones and archives
 * add their own rows.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp, undecodedKind } from '../../parsers/ip-udp.js';
import type { CaptureIssue } from '../capture/capture-frame.js';
import { captureFormat, openCapture } from '../capture/open-capture.js';
import { CaptureError, udpOfFrame } from '../capture/pcap-reader.js';
import { terminalProgressBar } from '../capture/progress-bar.js';
import { FragmentReassembler } from '../capture/reassembly.js';
import { decodeUdpRecord } from '../capture/udp-records.js';
import { CRASH_FILE_DECODER } from '../crashes/file-records.js';
import { fail } from './fail.js';

/** Bytes read to recognise a file; every magic in the table fits (tar's "ustar" sits at offset 257). */
const MAGIC_BYTES = 512;

export interface FileDecoder {
  /** What the file is, for messages ("classic pcap"). */
  readonly name: string;
  /** True when the first bytes of the file are this format. */
  readonly matches: (head: Buffer) => boolean;
  /** The file's records, in order, each one JSON line. */
  readonly records: (file: string) => AsyncIterable<unknown>;
}

export const FILE_DECODERS: readonly FileDecoder[] = [
  { name: 'classic pcap, nanosecond pcap or pcapng', matches: (h) => captureFormat(h) !== null, records: pcapRecords },
  CRASH_FILE_DECODER,
];

/**
 * One record per UDP datagram (fragments reassembled, tunnels opened), per frame that could not be
 * unwrapped, and per damaged stretch of the file the reader stepped over (`proto: 'error'` with its
 * `offset`); at the end, one `proto: 'undecoded'` record per kind of frame that holds no UDP or TCP
 * (ARP, ESP, ...) with how many there were, so nothing in the file goes unmentioned.
 * A progress bar goes to stderr for big files on a terminal.
 */
export async function* pcapRecords(file: string): AsyncGenerator<unknown> {
  const fragments = new FragmentReassembler();
  const issues: CaptureIssue[] = [];
  const damage = function* () {
    for (const i of issues.splice(0)) yield { frame: null, offset: i.offset, time: null, src: null, dst: null, proto: 'error', record: { error: i.message } };
  };
  const undecoded = new Map<string, number>();
  const size = (await stat(file)).size;
  const bar = terminalProgressBar(path.basename(file), size);
  for await (const f of openCapture(file, (i) => issues.push(i))) {
    yield* damage();
    bar.update(f.offset);
    const time = isoMicroseconds(f.timeMs);
    const decoded = decodeIpUdp(f.linkType, f.data);
    if (isDecodeError(decoded)) {
      yield { frame: f.frame, time, src: null, dst: null, proto: 'error', record: { error: decoded.message } };
      continue;
    }
    const kind = undecodedKind(decoded);
    if (kind !== null) undecoded.set(kind, (undecoded.get(kind) ?? 0) + 1);
    const udp = udpOfFrame(f, decoded, fragments);
    if (!udp) continue;
    const { proto, record } = decodeUdpRecord(udp);
    yield { frame: f.frame, time, src: endpoint(udp.src, udp.srcPort), dst: endpoint(udp.dst, udp.dstPort), proto, record };
  }
  yield* damage();
  for (const [kind, frames] of undecoded) yield { frame: null, time: null, src: null, dst: null, proto: 'undecoded', record: { kind, frames } };
  bar.end(size);
}

/** ISO 8601 with the capture's microseconds (`…T07:00:00.000123Z`): pcap times are µs, Date keeps ms. */
export function isoMicroseconds(ms: number): string {
  const us = Math.round(ms * 1000);
  const seconds = Math.floor(us / 1_000_000);
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(us - seconds * 1_000_000).padStart(6, '0')}Z`;
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** JSON for decoded records: bytes as hex, 64-bit values as decimal strings. */
export function recordLine(record: unknown): string {
  return JSON.stringify(record, function (this: Record<string, unknown>, key, value: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('hex');
    if (typeof value === 'bigint') return value.toString();
    return value;
  });
}

export async function detectDecoder(file: string): Promise<FileDecoder | string> {
  let head: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      head = Buffer.alloc(MAGIC_BYTES);
      const { bytesRead } = await fh.read(head, 0, MAGIC_BYTES, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    return `cannot read ${file}: ${(err as Error).message}`;
  }
  const decoder = FILE_DECODERS.find((d) => d.matches(head));
  if (decoder) return decoder;
  return `${file}: unknown file type (first bytes ${head.subarray(0, 8).toString('hex') || 'none'}); decode reads ${FILE_DECODERS.map((d) => d.name).join(', ')}`;
}

export function registerDecode(program: Command): void {
  program.command('decode')
    .description('print every decoded record of a file (capture: SIP, ACDR, syslog, RTP/RTCP per UDP datagram; crash dump, tombstone or archive: one report per crash) as NDJSON')
    .argument('<file>', 'the file to decode (- for standard input); its type is recognised from its first bytes')
    .option('--json', 'NDJSON output, one record a line (the only format so far)')
    .action(async (name: string) => {
      const stdinCopy = name === '-' ? await copyStdin() : null;
      const file = stdinCopy?.file ?? name;
      // fail() exits at once: the copy of standard input goes first.
      const bail = async (message: string): Promise<never> => {
        if (stdinCopy) await rm(stdinCopy.dir, { recursive: true, force: true });
        return fail(stdinCopy ? message.replaceAll(file, 'standard input') : message);
      };
      try {
        const decoder = await detectDecoder(file);
        if (typeof decoder === 'string') return await bail(decoder);
        for await (const record of decoder.records(file)) {
          if (!process.stdout.write(recordLine(record) + '\n')) await new Promise((r) => process.stdout.once('drain', r));
        }
      } catch (err) {
        if (err instanceof CaptureError) await bail(err.message);
        throw err;
      } finally {
        if (stdinCopy) await rm(stdinCopy.dir, { recursive: true, force: true });
      }
    });
}

/** Standard input into a temporary file: the capture readers seek (pcapng blocks, damage resync). */
async function copyStdin(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ipp-decode-'));
  const file = path.join(dir, 'stdin');
  await pipeline(process.stdin, createWriteStream(file));
  return { dir, file };
}
