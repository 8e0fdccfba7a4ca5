/**
 * RTCP compounds (SR, RR, SDES, BYE, APP, XR with block types 1-7 and an unknown one, padding)
 * inside ACDR RTCP records, decoded by us and by tshark 4.0.17, field by field in tree order.
 * Plus the passive round-trip-time calculation against tshark's own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRtcp, ntpMiddle32, rttFromCaptureTimes, ntpToUnixMs, type RtcpPacket, type XrBlock } from '../../parsers/rtcp.js';
import { decodeAcdr } from '../../parsers/acdr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { acdrMediaExt, buildAcdr, buildRtcpRr, buildRtcpSr, rtcpCorpus, udpCapture } from '../../server/simulator/wire/acdr.js';
import { requireTshark, tsharkFields } from '../support/tshark.js';

const ACDR_PORT = 50000;
const RTCP_PORT = 5005;

const RTCP_FIELDS = [
  'rtcp.version', 'rtcp.padding', 'rtcp.rc', 'rtcp.sc', 'rtcp.app.subtype', 'rtcp.pt', 'rtcp.length', 'rtcp.padding.count',
  'rtcp.senderssrc', 'rtcp.timestamp.ntp.msw', 'rtcp.timestamp.ntp.lsw', 'rtcp.timestamp.rtp', 'rtcp.sender.packetcount', 'rtcp.sender.octetcount',
  'rtcp.ssrc.identifier', 'rtcp.ssrc.fraction', 'rtcp.ssrc.cum_nr', 'rtcp.ssrc.ext_high', 'rtcp.ssrc.high_cycles', 'rtcp.ssrc.high_seq',
  'rtcp.ssrc.jitter', 'rtcp.ssrc.lsr', 'rtcp.ssrc.dlsr',
  'rtcp.sdes.type', 'rtcp.sdes.length', 'rtcp.sdes.text', 'rtcp.sdes.prefix.length', 'rtcp.sdes.prefix.string',
  'rtcp.app.name', 'rtcp.app.data',
  'rtcp.xr.bt', 'rtcp.xr.bs', 'rtcp.xr.bl', 'rtcp.xr.tf', 'rtcp.xr.beginseq', 'rtcp.xr.endseq',
  'rtcp.xr.chunk.length', 'rtcp.xr.chunk.bit_vector', 'rtcp.xr.chunk.null_terminator', 'rtcp.xr.receipt_time_seq',
  'rtcp.xr.timestamp', 'rtcp.xr.lrr', 'rtcp.xr.dlrr',
  'rtcp.xr.stats.lrflag', 'rtcp.xr.stats.dupflag', 'rtcp.xr.stats.jitterflag', 'rtcp.xr.stats.ttl', 'rtcp.xr.stats.lost', 'rtcp.xr.stats.dups',
  'rtcp.xr.stats.minjitter', 'rtcp.xr.stats.maxjitter', 'rtcp.xr.stats.meanjitter', 'rtcp.xr.stats.devjitter',
  'rtcp.xr.stats.minttl', 'rtcp.xr.stats.maxttl', 'rtcp.xr.stats.meanttl', 'rtcp.xr.stats.devttl',
  'rtcp.ssrc.discarded', 'rtcp.xr.voipmetrics.burstdensity', 'rtcp.xr.voipmetrics.gapdensity', 'rtcp.xr.voipmetrics.burstduration',
  'rtcp.xr.voipmetrics.gapduration', 'rtcp.xr.voipmetrics.rtdelay', 'rtcp.xr.voipmetrics.esdelay', 'rtcp.xr.voipmetrics.signallevel',
  'rtcp.xr.voipmetrics.noiselevel', 'rtcp.xr.voipmetrics.rerl', 'rtcp.xr.voipmetrics.gmin', 'rtcp.xr.voipmetrics.rfactor',
  'rtcp.xr.voipmetrics.extrfactor', 'rtcp.xr.voipmetrics.moslq', 'rtcp.xr.voipmetrics.moscq', 'rtcp.xr.voipmetrics.plc',
  'rtcp.xr.voipmetrics.jba', 'rtcp.xr.voipmetrics.jbrate', 'rtcp.xr.voipmetrics.jbnominal', 'rtcp.xr.voipmetrics.jbmax',
  'rtcp.xr.voipmetrics.jbabsmax',
] as const;

type Fields = Map<string, string[]>;

const hexN = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;
const flag = (v: boolean): string => (v ? '1' : '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const XR_UNAVAILABLE = '127';

/** tshark's FT_ABSOLUTE_TIME text for an NTP timestamp (UTC, nanoseconds). */
function ntpText(sec: number, frac: number): string {
  const d = new Date(Math.floor(ntpToUnixMs(sec, 0)));
  const ns = String(Math.floor((frac / 2 ** 32) * 1e9)).padStart(9, '0');
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}, ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${ns} UTC`;
}

/** What tshark should list for our decoded packets, walking them in tree order. */
function rtcpFields(packets: readonly RtcpPacket[]): Fields {
  const f: Fields = new Map();
  const push = (name: string, value: string | number): void => {
    const list = f.get(name) ?? [];
    list.push(String(value));
    f.set(name, list);
  };
  const nullable = (name: string, v: number | null): void => push(name, v === null ? XR_UNAVAILABLE : v);
  for (const p of packets) {
    push('rtcp.version', p.version);
    push('rtcp.padding', flag(p.padding));
    push('rtcp.pt', p.packetType);
    push('rtcp.length', p.length);
    switch (p.type) {
      case 'sr':
      case 'rr':
        push('rtcp.rc', p.count);
        push('rtcp.senderssrc', hexN(p.ssrc, 8));
        if (p.type === 'sr') {
          push('rtcp.timestamp.ntp.msw', p.ntpSec);
          push('rtcp.timestamp.ntp.lsw', p.ntpFrac);
          push('rtcp.timestamp.rtp', p.rtpTimestamp);
          push('rtcp.sender.packetcount', p.packetCount);
          push('rtcp.sender.octetcount', p.octetCount);
        }
        for (const r of p.reports) {
          push('rtcp.ssrc.identifier', hexN(r.ssrc, 8));
          push('rtcp.ssrc.fraction', r.fractionLost);
          push('rtcp.ssrc.cum_nr', r.cumulativeLost);
          push('rtcp.ssrc.ext_high', r.extHighestSeq);
          push('rtcp.ssrc.high_cycles', r.seqCycles);
          push('rtcp.ssrc.high_seq', r.highestSeq);
          push('rtcp.ssrc.jitter', r.jitter);
          push('rtcp.ssrc.lsr', r.lsr);
          push('rtcp.ssrc.dlsr', r.dlsr);
        }
        break;
      case 'sdes':
        push('rtcp.sc', p.count);
        for (const c of p.chunks) {
          push('rtcp.ssrc.identifier', hexN(c.ssrc, 8));
          for (const item of c.items) {
            push('rtcp.sdes.type', item.type);
            push('rtcp.sdes.length', item.prefix === null ? item.text.length : item.text.length + item.prefix.length + 1);
            if (item.prefix !== null) {
              push('rtcp.sdes.prefix.length', item.prefix.length);
              push('rtcp.sdes.prefix.string', item.prefix);
            }
            push('rtcp.sdes.text', item.text);
          }
          push('rtcp.sdes.type', 0); // the END item
        }
        break;
      case 'bye':
        push('rtcp.sc', p.count);
        for (const s of p.ssrcs) push('rtcp.ssrc.identifier', hexN(s, 8));
        // tshark shows the reason with the SDES length/text fields.
        if (p.reason !== null) {
          push('rtcp.sdes.length', p.reason.length);
          push('rtcp.sdes.text', p.reason);
        } else if (p.padding) {
          // tshark quirk: it does not subtract the padding before looking for a reason, so it
          // reads the first padding octet (0) as an empty reason and then shows no padding
          // fields at all. We report no reason and 8 padding octets.
          push('rtcp.sdes.length', 0);
          push('rtcp.sdes.text', '');
          continue;
        }
        break;
      case 'app':
        push('rtcp.app.subtype', p.subtype);
        push('rtcp.ssrc.identifier', hexN(p.ssrc, 8));
        push('rtcp.app.name', p.name);
        push('rtcp.app.data', Buffer.from(p.data).toString('hex'));
        break;
      case 'xr':
        push('rtcp.senderssrc', hexN(p.ssrc, 8));
        for (const b of p.blocks) xrBlockFields(b, push, nullable);
        break;
      case 'other':
        break;
    }
    if (p.padding) push('rtcp.padding.count', p.paddingCount);
  }
  return f;
}

function xrBlockFields(b: XrBlock, push: (name: string, value: string | number) => void, nullable: (name: string, v: number | null) => void): void {
  push('rtcp.xr.bt', b.bt);
  switch (b.kind) {
    case 'loss-rle':
    case 'duplicate-rle':
    case 'receipt-times':
      push('rtcp.xr.tf', b.thinning);
      break;
    case 'stats':
      push('rtcp.xr.stats.lrflag', flag(b.lossFlag));
      push('rtcp.xr.stats.dupflag', flag(b.dupFlag));
      push('rtcp.xr.stats.jitterflag', flag(b.jitterFlag));
      push('rtcp.xr.stats.ttl', b.ttlOrHopLimit);
      break;
    default:
      push('rtcp.xr.bs', b.typeSpecific);
  }
  push('rtcp.xr.bl', b.blockLength);
  switch (b.kind) {
    case 'loss-rle':
    case 'duplicate-rle':
    case 'receipt-times':
      push('rtcp.ssrc.identifier', hexN(b.ssrc, 8));
      push('rtcp.xr.beginseq', b.beginSeq);
      push('rtcp.xr.endseq', b.endSeq);
      if (b.kind === 'receipt-times') {
        for (const t of b.receiptTimes) push('rtcp.xr.receipt_time_seq', t);
      } else {
        for (const c of b.chunks) {
          if (c.kind === 'run') push('rtcp.xr.chunk.length', c.length);
          else if (c.kind === 'bits') push('rtcp.xr.chunk.bit_vector', c.vector);
          else push('rtcp.xr.chunk.null_terminator', 1);
        }
      }
      break;
    case 'rrt':
      push('rtcp.xr.timestamp', ntpText(b.ntpSec, b.ntpFrac));
      break;
    case 'dlrr':
      for (const i of b.items) {
        push('rtcp.ssrc.identifier', hexN(i.ssrc, 8));
        push('rtcp.xr.lrr', i.lrr);
        push('rtcp.xr.dlrr', i.dlrr);
      }
      break;
    case 'stats':
      push('rtcp.ssrc.identifier', hexN(b.ssrc, 8));
      push('rtcp.xr.beginseq', b.beginSeq);
      push('rtcp.xr.endseq', b.endSeq);
      push('rtcp.xr.stats.lost', b.lostPackets);
      push('rtcp.xr.stats.dups', b.dupPackets);
      push('rtcp.xr.stats.minjitter', b.minJitter);
      push('rtcp.xr.stats.maxjitter', b.maxJitter);
      push('rtcp.xr.stats.meanjitter', b.meanJitter);
      push('rtcp.xr.stats.devjitter', b.devJitter);
      push('rtcp.xr.stats.minttl', b.minTtl);
      push('rtcp.xr.stats.maxttl', b.maxTtl);
      push('rtcp.xr.stats.meanttl', b.meanTtl);
      push('rtcp.xr.stats.devttl', b.devTtl);
      break;
    case 'voip-metrics': {
      const m = 'rtcp.xr.voipmetrics.';
      push('rtcp.ssrc.identifier', hexN(b.ssrc, 8));
      push('rtcp.ssrc.fraction', b.lossRate);
      push('rtcp.ssrc.discarded', b.discardRate);
      push(`${m}burstdensity`, b.burstDensity);
      push(`${m}gapdensity`, b.gapDensity);
      push(`${m}burstduration`, b.burstDurationMs);
      push(`${m}gapduration`, b.gapDurationMs);
      push(`${m}rtdelay`, b.rttMs ?? 0); // we map 0 ("no measurement yet") to null
      push(`${m}esdelay`, b.endSystemDelayMs ?? 0);
      nullable(`${m}signallevel`, b.signalLevelDbm0);
      nullable(`${m}noiselevel`, b.noiseLevelDbm0);
      nullable(`${m}rerl`, b.rerlDb);
      push(`${m}gmin`, b.gmin);
      nullable(`${m}rfactor`, b.rFactor);
      nullable(`${m}extrfactor`, b.extRFactor);
      // tshark stores MOS as wire/10, except 127 which it keeps as 127.
      nullable(`${m}moslq`, b.mosLq);
      nullable(`${m}moscq`, b.mosCq);
      push(`${m}plc`, b.plc);
      push(`${m}jba`, b.jba);
      push(`${m}jbrate`, b.jbRate);
      push(`${m}jbnominal`, b.jbNominalMs);
      push(`${m}jbmax`, b.jbMaxMs);
      push(`${m}jbabsmax`, b.jbAbsMaxMs);
      break;
    }
    case 'raw':
      break; // tshark shows unknown block contents as an empty "Contents" item
  }
}

const available = requireTshark();

describe.skipIf(!available)('RTCP decoded by us and by tshark 4.0.17', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('agrees on every RTCP, SDES, BYE, APP and XR field of every compound', () => {
    const corpus = rtcpCorpus();
    const ext = acdrMediaExt({ farAddr: '192.0.2.77', farPort: 40001, localPort: 4001, ipTos: 184 });
    const datagrams = corpus.map((c, i) => buildAcdr({ version: 9, timestampUs: 1000 * i, sequence: i, srcId: 3, dstId: 7, tracePoint: i % 2, mediaType: 2, headerExtension: ext }, c.bytes));
    const file = path.join(dir, 'rtcp.pcap');
    fs.writeFileSync(file, udpCapture(datagrams, ACDR_PORT));
    const rows = tsharkFields(file, RTCP_FIELDS, { decodeAs: [`udp.port==${ACDR_PORT},acdr`] });
    expect(rows.length).toBe(corpus.length);

    const mismatches: string[] = [];
    let compared = 0;
    corpus.forEach((sample, i) => {
      const acdr = decodeAcdr(datagrams[i]!);
      if (isDecodeError(acdr)) throw new Error(acdr.message);
      const rtcp = decodeRtcp(acdr.payload);
      if (isDecodeError(rtcp) || rtcp.error) throw new Error(`${sample.name}: ${isDecodeError(rtcp) ? rtcp.message : rtcp.error?.message}`);
      const expected = rtcpFields(rtcp.packets);
      for (const field of RTCP_FIELDS) {
        const want = expected.get(field) ?? [];
        const got = rows[i]!.all(field);
        compared += want.length;
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${sample.name} ${field}: tshark ${JSON.stringify(got)} ours ${JSON.stringify(want)}`);
      }
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(200);
  });

  it('computes the same passive round-trip time as tshark from an SR and the RR answering it', () => {
    const phone = { addr: '192.0.2.10', port: RTCP_PORT };
    const far = { addr: '192.0.2.77', port: RTCP_PORT };
    const ntpSec = 0xe9b5a0c1;
    const ntpFrac = 0x80000000;
    const srAtMs = Date.UTC(2026, 0, 1);
    const rrAtMs = srAtMs + 620;
    const dlsr = 32768; // 0.5 s held by the far end
    const sr = buildRtcpSr({ ssrc: 1, ntpSec, ntpFrac, rtpTimestamp: 0, packetCount: 10, octetCount: 1600 });
    const rr = buildRtcpRr({ ssrc: 2, reports: [{ ssrc: 1, fractionLost: 0, cumulativeLost: 0, extHighestSeq: 10, jitter: 0, lsr: ntpMiddle32(ntpSec, ntpFrac), dlsr }] });
    const frame = (from: typeof phone, to: typeof phone, payload: Uint8Array): Buffer =>
      ethernetFrame(ipUdpPacket({ srcAddr: from.addr, srcPort: from.port, dstAddr: to.addr, dstPort: to.port }, payload));
    const file = path.join(dir, 'rtt.pcap');
    fs.writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, [{ ...pcapTime(srAtMs), data: frame(phone, far, sr) }, { ...pcapTime(rrAtMs), data: frame(far, phone, rr) }]));
    const rows = tsharkFields(file, ['rtcp.roundtrip-delay', 'rtcp.lsr-frame'], { decodeAs: [`udp.port==${RTCP_PORT},rtcp`], prefs: ['rtcp.show_roundtrip_calculation:TRUE'] });
    expect(rows[1]!.first('rtcp.lsr-frame')).toBe('1');
    const ours = rttFromCaptureTimes(srAtMs, rrAtMs, dlsr);
    expect(ours).toBe(120);
    expect(rows[1]!.first('rtcp.roundtrip-delay')).toBe(String(ours));
  });
});
