/**
 * `ipp-collector decode FILE --json`: every decoded record of a file as NDJSON, one JSON object a
 * line. What the file is comes from its first bytes: a small table of detectors by magic, each
 * with the decoder that streams the file's records. Captures are decoded here; crash dumps,
 * tombstones and archives add their own rows.
 */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp } from '../../parsers/ip-udp.js';
import { CaptureError, readPcapFrames, udpOfFrame } from '../capture/pcap-reader.js';
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

const PCAP_MAGICS = ['a1b2c3d4', 'd4c3b2a1'];

export const FILE_DECODERS: readonly FileDecoder[] = [
  { name: 'classic pcap', matches: (h) => PCAP_MAGICS.includes(h.subarray(0, 4).toString('hex')), records: pcapRecords },
  CRASH_FILE_DECODER,
];

/** One record per UDP datagram (fragments reassembled) and per frame that could not be unwrapped. */
export async function* pcapRecords(file: string): AsyncGenerator<unknown> {
  const fragments = new FragmentReassembler();
  for await (const f of readPcapFrames(file)) {
    const time = isoMicroseconds(f.timeMs);
    const decoded = decodeIpUdp(f.linkType, f.data);
    if (isDecodeError(decoded)) {
      yield { frame: f.frame, time, src: null, dst: null, proto: 'error', record: { error: decoded.message } };
      continue;
    }
    const udp = udpOfFrame(f, decoded, fragments);
    if (!udp) continue;
    const { proto, record } = decodeUdpRecord(udp);
    yield { frame: f.frame, time, src: endpoint(udp.src, udp.srcPort), dst: endpoint(udp.dst, udp.dstPort), proto, record };
  }
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
  if (head.subarray(0, 4).toString('hex') === '0a0d0d0a') return `${file} is pcapng, which decode does not read yet; save it as classic pcap (editcap -F pcap in.pcapng out.pcap)`;
  return `${file}: unknown file type (first bytes ${head.subarray(0, 8).toString('hex') || 'none'}); decode reads ${FILE_DECODERS.map((d) => d.name).join(', ')}`;
}

export function registerDecode(program: Command): void {
  program.command('decode')
    .description('print every decoded record of a file (capture: SIP, ACDR, syslog, RTP/RTCP per UDP datagram; crash dump, tombstone or archive: one report per crash) as NDJSON')
    .argument('<file>', 'the file to decode; its type is recognised from its first bytes')
    .option('--json', 'NDJSON output, one record a line (the only format so far)')
    .action(async (file: string) => {
      const decoder = await detectDecoder(file);
      if (typeof decoder === 'string') fail(decoder);
      try {
        for await (const record of decoder.records(file)) {
          if (!process.stdout.write(recordLine(record) + '\n')) await new Promise((r) => process.stdout.once('drain', r));
        }
      } catch (err) {
        if (err instanceof CaptureError) fail(err.message);
        throw err;
      }
    });
}
