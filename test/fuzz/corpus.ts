// Seeds for the fuzz suite: real traffic from the phone simulator (syslog, ACDR with RTP/RTCP/
// telephone events inside, SIP PUBLISH vq-rtcpxr and SERVICE QoE), the committed crash and QoE
// fixtures, and framed streams built from those. Built once per test file, in a temp dir.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decodeAcdr } from '../../parsers/acdr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp } from '../../parsers/ip-udp.js';
import { decodeSip } from '../../parsers/sip.js';
import { simulateToPcap } from '../../server/simulator/run.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const PORTS = { syslog: 514, recording: 50000, sip: 5060 };
/** Seeds per kind: enough variety, few enough that each is mutated many times. */
const MAX_SEEDS_PER_KIND = 200;
/** Large files are cut to their head: the decoders' length checks sit in the first structures. */
const MAX_SEED_BYTES = 128 * 1024;

export interface Corpus {
  frames: Uint8Array[];
  syslog: Uint8Array[];
  acdr: Uint8Array[];
  acdrPayloads: Array<{ payload: Uint8Array; tracePoint: number; kind: string }>;
  sip: Uint8Array[];
  vq: Uint8Array[];
  qoe: Uint8Array[];
  tombstones: Uint8Array[];
  cores: Uint8Array[];
  binaries: Uint8Array[];
  pcapngBlocks: Uint8Array[];
}

function push<T>(list: T[], item: T): void {
  if (list.length < MAX_SEEDS_PER_KIND) list.push(item);
}

/** Records of a classic little-endian pcap, as written by server/export/pcap-writer.ts. */
function pcapFrames(file: Buffer): { linkType: number; frames: Uint8Array[] } {
  const linkType = file.readUInt32LE(20);
  const frames: Uint8Array[] = [];
  for (let o = 24; o + 16 <= file.length;) {
    const len = file.readUInt32LE(o + 8);
    frames.push(file.subarray(o + 16, o + 16 + len));
    o += 16 + len;
  }
  return { linkType, frames };
}

/** A minimal pcapng section: SHB, IDB, one EPB per frame (little-endian). */
function pcapngBlocks(frames: readonly Uint8Array[]): Uint8Array[] {
  const block = (type: number, body: Buffer): Buffer => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const total = 12 + padded.length;
    const b = Buffer.alloc(total);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(total, 4);
    padded.copy(b, 8);
    b.writeUInt32LE(total, total - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0);
  idb.writeUInt32LE(65535, 4);
  const out = [block(0x0a0d0d0a, shb), block(1, idb)];
  for (const f of frames.slice(0, 50)) {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(f.length, 12);
    head.writeUInt32LE(f.length, 16);
    out.push(block(6, Buffer.concat([head, f])));
  }
  return out;
}

let cached: Promise<Corpus> | null = null;

export function corpus(): Promise<Corpus> {
  cached ??= build();
  return cached;
}

async function build(): Promise<Corpus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-fuzz-'));
  const c: Corpus = { frames: [], syslog: [], acdr: [], acdrPayloads: [], sip: [], vq: [], qoe: [], tombstones: [], cores: [], binaries: [], pcapngBlocks: [] };
  try {
    const file = path.join(dir, 'sim.pcap');
    await simulateToPcap({
      target: '127.0.0.1', phones: 8, callsPerHour: 120, durationMs: 90_000, seed: 7, scenario: 'mixed',
      startMs: Date.parse('2026-01-01T09:00:00Z'), ports: PORTS,
    }, file);
    const { linkType, frames } = pcapFrames(readFileSync(file));
    for (const frame of frames) {
      const d = decodeIpUdp(linkType, frame);
      if (isDecodeError(d) || !d.udp) continue;
      push(c.frames, frame);
      const payload = d.udp.payload;
      if (d.udp.dstPort === PORTS.syslog) push(c.syslog, payload);
      else if (d.udp.dstPort === PORTS.recording) {
        push(c.acdr, payload);
        const a = decodeAcdr(payload);
        if (!isDecodeError(a)) push(c.acdrPayloads, { payload: a.payload, tracePoint: a.tracePoint, kind: a.payloadKind });
      } else if (d.udp.dstPort === PORTS.sip) {
        push(c.sip, payload);
        const m = decodeSip(payload);
        if (!isDecodeError(m) && m.body.length > 0) push(/<\?xml|<VQReportEvent|xmlns/.test(Buffer.from(m.body).toString('latin1')) ? c.qoe : c.vq, m.body);
      }
    }
    c.pcapngBlocks = pcapngBlocks(c.frames);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const name of readdirSync(path.join(FIXTURES, 'qoe'))) if (name.endsWith('.xml')) c.qoe.push(readFileSync(path.join(FIXTURES, 'qoe', name)));
  for (const name of readdirSync(path.join(FIXTURES, 'crash'))) {
    const bytes = readFileSync(path.join(FIXTURES, 'crash', name));
    if (name.endsWith('.txt')) c.tombstones.push(bytes);
    else if (name.startsWith('core.') && name.endsWith('.gz')) c.cores.push(gunzipSync(bytes).subarray(0, MAX_SEED_BYTES));
    else if (name.startsWith('crashme_')) c.binaries.push(bytes.subarray(0, MAX_SEED_BYTES));
  }
  return c;
}
