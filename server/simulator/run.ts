/**
 * Runs a simulation into one of two sinks: a classic pcap file on the virtual clock (byte-for-byte
 * reproducible for a seed), or real UDP datagrams to a collector, paced in real time (or as fast
 * as possible, for benchmarks). Both sinks get the same datagrams from the same engine.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { ethernetFrame, ipUdpPacket } from '../export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapGlobalHeader, pcapRecord, pcapTime } from '../export/pcap-writer.js';
import { SimulationEngine } from './engine.js';
import { eventLog, type EventLog } from './event-log.js';
import { CRASH_SINK_NONE, phoneCrashes, tombstoneText, type SimCrash } from './crash.js';
import { planSimulation, type SimOptions, type SimPhone, type SimPlan } from './plan.js';
import type { Datagram, TargetPort } from './runtime.js';

export interface TargetPorts {
  readonly syslog: number;
  readonly recording: number;
  readonly sip: number;
}

export interface SimulateOptions extends Omit<SimOptions, 'loopback'> {
  /** Collector host name or IPv4 address. */
  readonly target: string;
  readonly ports: TargetPorts;
  /** The collector's HTTP port: live, crashing phones upload their tombstones there. */
  readonly webPort?: number;
}

/** One crash in the event log, and what became of its tombstone. */
export interface CrashLogEntry {
  readonly phone: string;
  readonly firmware: string;
  readonly at: string;
  readonly upload: string;
}

export interface SimulationResult {
  readonly log: EventLog;
  readonly datagrams: number;
  readonly elapsedMs: number;
  /** Notes for the user (address fallbacks and the like). */
  readonly notes: readonly string[];
  readonly crashes: readonly CrashLogEntry[];
}

function planCrashes(plan: SimPlan): SimCrash[] {
  const every = plan.options.crashEveryMs;
  if (every === undefined) return [];
  return plan.phones.flatMap((p) => phoneCrashes(p, plan.options.durationMs, plan.options.seed, every)).sort((a, b) => a.atMs - b.atMs);
}

const crashEntry = (c: SimCrash, startMs: number, upload: string): CrashLogEntry =>
  ({ phone: c.phone.addr, firmware: c.phone.firmware, at: new Date(startMs + c.atMs).toISOString(), upload });

/** POSTs a crash's tombstone as the phone would, with its address and firmware; says how it went. */
async function uploadCrash(c: SimCrash, startMs: number, targetAddr: string, webPort: number): Promise<string> {
  const q = new URLSearchParams({ device: c.phone.addr, firmware: c.phone.firmware, name: `tombstone_${c.phone.addr}_${c.pid}` });
  try {
    const res = await fetch(`http://${targetAddr}:${webPort}/api/dumps?${q}`, { method: 'POST', body: tombstoneText(c, startMs + c.atMs), headers: { 'content-type': 'text/plain' } });
    await res.arrayBuffer();
    return `HTTP ${res.status}`;
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  }
}

/** The ports a phone sends from in a capture (live, the bound socket's port is used). */
const CAPTURE_SOURCE_PORTS: Readonly<Record<TargetPort, number>> = { syslog: 514, recording: 50000, sip: 5060 };
const COLLECTOR_MAC = '02:00:00:00:00:02';
const PCAP_FLUSH_BYTES = 4 * 1024 * 1024;
/** Datagrams handed to the kernel and not yet confirmed, beyond which the sender waits. */
const MAX_IN_FLIGHT = 20_000;
const BATCH_MAX = 2000;
const MAX_IDLE_SLEEP_MS = 50;

async function resolveIpv4(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  return (await lookup(host, { family: 4 })).address;
}

function targetOf(o: SimulateOptions, addr: string): EventLog['target'] {
  return { host: addr, syslogPort: o.ports.syslog, recordingPort: o.ports.recording, sipPort: o.ports.sip };
}

/** Writes the whole run to `file` as Ethernet/IPv4/UDP frames with virtual-clock timestamps. */
export async function simulateToPcap(o: SimulateOptions, file: string): Promise<SimulationResult> {
  const targetAddr = await resolveIpv4(o.target);
  const plan = planSimulation({ ...o, loopback: targetAddr.startsWith('127.') });
  const engine = new SimulationEngine({ plan, collectorHost: targetAddr, sipPortOf: () => CAPTURE_SOURCE_PORTS.sip });
  const started = performance.now();
  const fd = openSync(file, 'w');
  let ipId = 0;
  let total = 0;
  try {
    writeSync(fd, pcapGlobalHeader(LINKTYPE_ETHERNET));
    const batch: Datagram[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    while (!engine.done) {
      batch.length = 0;
      engine.pull(Infinity, batch, BATCH_MAX);
      for (const d of batch) {
        const ip = ipUdpPacket({ srcAddr: d.phone.addr, srcPort: CAPTURE_SOURCE_PORTS[d.port], dstAddr: targetAddr, dstPort: o.ports[d.port] }, d.bytes, ipId);
        ipId = (ipId + 1) & 0xffff;
        const rec = pcapRecord({ ...pcapTime(o.startMs + d.atMs), data: ethernetFrame(ip, d.phone.mac, COLLECTOR_MAC) });
        pending.push(rec);
        pendingBytes += rec.length;
      }
      total += batch.length;
      if (pendingBytes >= PCAP_FLUSH_BYTES) {
        writeSync(fd, Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pending.length > 0) writeSync(fd, Buffer.concat(pending));
  } finally {
    closeSync(fd);
  }
  const crashes = planCrashes(plan).map((c) => crashEntry(c, o.startMs, 'not written: --pcap mode has nowhere to upload to (the watchdog lines are in the capture)'));
  return { log: eventLog(plan, targetOf(o, targetAddr), engine.counts, engine.observed), datagrams: total, elapsedMs: performance.now() - started, notes: [], crashes };
}

export interface LiveOptions {
  /** Ignore the virtual clock and send as fast as the socket takes it (benchmarks). */
  readonly fast?: boolean;
  /** Virtual seconds per real second (default 1): a test or demo sees a minute of calls in seconds. */
  readonly speed?: number;
  readonly signal?: AbortSignal;
}

/**
 * Each phone's sockets: one for syslog and SIP, and one connected to the recording port (the hot
 * path: a connected socket skips the per-send address lookup). Where the OS allows, both are bound
 * to the phone's own loopback alias so the collector tells phones apart by source address.
 */
interface PhoneSockets {
  readonly control: dgram.Socket;
  readonly recording: dgram.Socket;
}

function bindSocket(onError: (err: Error) => void, address?: string, connectTo?: { port: number; host: string }): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
    s.once('error', (err) => { s.close(); reject(err); });
    s.bind({ port: 0, ...(address ? { address } : {}) }, () => {
      s.removeAllListeners('error');
      s.on('error', onError);
      if (connectTo) s.connect(connectTo.port, connectTo.host, () => resolve(s));
      else resolve(s);
    });
  });
}

/** Sockets in the order of `phones`; fewer when the OS ran out, and then phones share them. */
async function bindPhoneSockets(phones: readonly SimPhone[], loopback: boolean, recording: { port: number; host: string }, notes: string[], onError: (err: Error) => void): Promise<PhoneSockets[]> {
  const pair = async (address?: string): Promise<PhoneSockets> => {
    const control = await bindSocket(onError, address);
    try {
      return { control, recording: await bindSocket(onError, address, recording) };
    } catch (err) {
      control.close();
      throw err;
    }
  };
  if (!loopback) {
    notes.push('target is not on loopback: all phones send from this host\'s own address (their reports still name their simulated addresses)');
    return [await pair()];
  }
  const sockets: PhoneSockets[] = [];
  for (const p of phones) {
    try {
      sockets.push(await pair(p.addr));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (sockets.length === 0) {
        notes.push(`cannot bind ${p.addr} (${code}): all phones send from one address`);
        return [await pair()];
      }
      notes.push(`stopped at ${sockets.length} phones' sockets (${code}): phones beyond share them, so some come from another phone's address`);
      break;
    }
  }
  return sockets;
}

/** Sends the run to the collector; resolves when the virtual timeline is done or `signal` aborts. */
export async function simulateLive(o: SimulateOptions, live: LiveOptions = {}): Promise<SimulationResult> {
  const targetAddr = await resolveIpv4(o.target);
  const loopback = targetAddr.startsWith('127.');
  const plan = planSimulation({ ...o, loopback });
  const notes: string[] = [];
  let sendErrors = 0;
  const sockets = await bindPhoneSockets(plan.phones, loopback, { port: o.ports.recording, host: targetAddr }, notes, () => { sendErrors++; });
  const position = new Map(plan.phones.map((p, i) => [p.index, i]));
  const socketsOf = (p: SimPhone): PhoneSockets => sockets[position.get(p.index)! % sockets.length]!;
  const engine = new SimulationEngine({ plan, collectorHost: targetAddr, sipPortOf: (p) => socketsOf(p).control.address().port });
  let inFlight = 0;
  let total = 0;
  const sent = (err: Error | null): void => {
    inFlight--;
    if (err) sendErrors++;
  };
  const started = performance.now();
  const speed = live.speed ?? 1;
  const virtualNow = (): number => (performance.now() - started) * speed;
  const batch: Datagram[] = [];
  const crashes = planCrashes(plan);
  const uploads: Array<Promise<CrashLogEntry>> = [];
  const uploadDue = (now: number): void => {
    while (uploads.length < crashes.length && crashes[uploads.length]!.atMs <= now) {
      const c = crashes[uploads.length]!;
      uploads.push(o.webPort === undefined
        ? Promise.resolve(crashEntry(c, o.startMs, CRASH_SINK_NONE))
        : uploadCrash(c, o.startMs, targetAddr, o.webPort).then((result) => crashEntry(c, o.startMs, result)));
    }
  };
  try {
    while (!engine.done && !live.signal?.aborted) {
      const now = live.fast ? Infinity : virtualNow();
      uploadDue(now);
      batch.length = 0;
      engine.pull(now, batch, BATCH_MAX);
      for (const d of batch) {
        inFlight++;
        const ps = socketsOf(d.phone);
        if (d.port === 'recording') ps.recording.send(d.bytes, sent);
        else ps.control.send(d.bytes, o.ports[d.port], targetAddr, sent);
      }
      total += batch.length;
      while (inFlight > MAX_IN_FLIGHT) await yieldToLoop();
      if (batch.length === BATCH_MAX) {
        await yieldToLoop();
      } else if (!live.fast) {
        const waitMs = (engine.nextAtMs() - virtualNow()) / speed;
        if (waitMs > 0) await sleep(Math.min(waitMs, MAX_IDLE_SLEEP_MS), undefined, { signal: live.signal }).catch(() => undefined);
      }
    }
    while (inFlight > 0) await yieldToLoop();
  } finally {
    await Promise.all(sockets.flatMap((ps) => [ps.control, ps.recording]).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
  if (sendErrors > 0) notes.push(`${sendErrors} datagrams could not be sent (is the collector's port open?)`);
  const crashLog = await Promise.all(uploads);
  const failed = crashLog.filter((c) => !/^HTTP 20[01]$/.test(c.upload) && c.upload !== CRASH_SINK_NONE).length;
  if (failed > 0) notes.push(`${failed} crash uploads failed (is --web-port the collector's HTTP port, with auth off?)`);
  return { log: eventLog(plan, targetOf(o, targetAddr), engine.counts, engine.observed), datagrams: total, elapsedMs: performance.now() - started, notes, crashes: crashLog };
}
