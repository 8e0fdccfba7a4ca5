/** `ipp-collector simulate`: act as a fleet of 400HD phones, live or into a reproducible pcap. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_CRASH_EVERY_MS } from '../simulator/crash.js';
import { SCENARIOS, type ScenarioName } from '../simulator/scenarios.js';
import { SIM_RECORDING_KINDS, type SimRecordingKind } from '../simulator/recording-kinds.js';
import { simulateLive, simulateToPcap, type SimulateOptions, type SimulationResult } from '../simulator/run.js';
import { fail } from './fail.js';

/** The fixed instant a capture starts at unless --start says otherwise (so captures reproduce). */
export const DEFAULT_CAPTURE_START = '2026-01-01T09:00:00Z';
/** Where a capture written without --target says its datagrams went (TEST-NET-1, RFC 5737). */
export const CAPTURE_DEFAULT_TARGET = '192.0.2.10';

interface SimulateFlags {
  target?: string; phones: string; callsPerHour: string; duration: string; seed: string; scenario: string;
  pcap?: string; events?: string; start?: string; syslogPort: string; recordingPort: string; sipPort: string; fast?: boolean; speed: string; shard?: string;
  webPort?: string; crashEvery?: string; clockSkew?: string; recordingKinds?: string;
}

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  return n;
}

const SKEW_UNITS_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, min: 60_000, s: 1000 };

/** `16h`, `-30m`, `1h30m`, `-90s`, `0`: a clock offset, ms. */
export function parseClockSkew(raw: string): number | null {
  const m = /^([+-]?)((?:\d{1,6}(?:h|min|m|s))+|0)$/.exec(raw.trim());
  if (!m) return null;
  let ms = 0;
  for (const [, n, unit] of m[2]!.matchAll(/(\d+)(h|min|m|s)/g)) ms += Number(n) * SKEW_UNITS_MS[unit!]!;
  return m[1] === '-' ? -ms : ms;
}

function clockSkews(raw: string): number[] {
  return raw.split(',').map((part) => {
    const ms = parseClockSkew(part);
    if (ms === null) fail(`--clock-skew: "${part}" is not an offset like 16h, -16h, 30m or 1h30m`);
    return ms;
  });
}

/** `all`, or a comma list of kinds; `rtp` is accepted and always on. */
function recordingKinds(raw: string): SimRecordingKind[] {
  if (raw.trim() === 'all') return [...SIM_RECORDING_KINDS];
  const known: ReadonlySet<string> = new Set(SIM_RECORDING_KINDS);
  const kinds = raw.split(',').map((k) => k.trim()).filter((k) => k !== 'rtp');
  for (const k of kinds) if (!known.has(k)) fail(`--recording-kinds: "${k}" is not one of all, rtp, ${SIM_RECORDING_KINDS.join(', ')}`);
  return [...new Set(kinds)] as SimRecordingKind[];
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name}: "${raw}" is not a positive number`);
  return n;
}

export function parseSimulateFlags(f: SimulateFlags): SimulateOptions {
  if (!(SCENARIOS as readonly string[]).includes(f.scenario)) fail(`--scenario: "${f.scenario}" is not one of ${SCENARIOS.join(', ')}`);
  const shard = f.shard === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(f.shard);
  if (shard === null || (shard && (Number(shard[2]) < 1 || Number(shard[1]) >= Number(shard[2])))) fail(`--shard: "${f.shard}" is not K/N with 0 <= K < N`);
  const start = f.start ?? (f.pcap ? DEFAULT_CAPTURE_START : undefined);
  const startMs = start === undefined ? Date.now() : Date.parse(start);
  if (!Number.isFinite(startMs)) fail(`--start: "${start}" is not an ISO 8601 time`);
  if (!f.pcap && !f.target) fail('--target: the collector to send to is needed live; only --pcap FILE needs none');
  return {
    // A capture still needs a destination address in its IP headers: the documentation address the README uses.
    target: f.target ?? CAPTURE_DEFAULT_TARGET,
    phones: int('phones', f.phones, 1, 60_000),
    callsPerHour: positive('calls-per-hour', f.callsPerHour),
    durationMs: Math.round(positive('duration', f.duration) * 1000),
    seed: int('seed', f.seed, 0, 0xffffffff),
    scenario: f.scenario as ScenarioName,
    startMs,
    ...(shard ? { shard: { index: Number(shard[1]), count: Number(shard[2]) } } : {}),
    ports: { syslog: int('syslog-port', f.syslogPort, 1, 65535), recording: int('recording-port', f.recordingPort, 1, 65535), sip: int('sip-port', f.sipPort, 1, 65535) },
    ...(f.webPort === undefined ? {} : { webPort: int('web-port', f.webPort, 1, 65535) }),
    // A collector to upload to turns crashes on (a phone-hour apart); --crash-every alone puts them in a capture.
    ...(f.crashEvery !== undefined ? { crashEveryMs: Math.round(positive('crash-every', f.crashEvery) * 1000) }
      : f.webPort !== undefined ? { crashEveryMs: DEFAULT_CRASH_EVERY_MS } : {}),
    ...(f.clockSkew !== undefined ? { clockSkewsMs: clockSkews(f.clockSkew) } : {}),
    ...(f.recordingKinds !== undefined ? { recordingKinds: recordingKinds(f.recordingKinds) } : {}),
  };
}

export function summarise(r: SimulationResult): string {
  const rate = r.elapsedMs > 0 ? Math.round((r.datagrams / r.elapsedMs) * 1000) : 0;
  const counts = Object.entries(r.log.counts).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${r.datagrams} datagrams (${counts}) from ${r.log.phones.length} phones, ${r.log.calls.length} calls, ` +
    `${r.log.impairments.length} impairments${r.crashes.length > 0 ? `, ${r.crashes.length} crashes` : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s (${rate} datagrams/s)`;
}

export function registerSimulate(program: Command): void {
  program.command('simulate')
    .description('act as AudioCodes 400HD phones: syslog, debug recordings (ACDR), vq-rtcpxr PUBLISH and MS-QoE SERVICE reports')
    .option('--target <host>', `collector host or IPv4 address (with --pcap: the destination written in the capture, default ${CAPTURE_DEFAULT_TARGET})`)
    .option('--phones <n>', 'number of phones', '10')
    .option('--calls-per-hour <r>', 'calls each phone starts per hour, on average', '12')
    .option('--duration <s>', 'length of the simulated time, seconds', '300')
    .option('--seed <x>', 'PRNG seed: same seed, same traffic', '1')
    .option('--scenario <name>', `impairments: ${SCENARIOS.join(', ')} (see docs/simulator.md)`, 'mixed')
    .option('--pcap <file>', 'write a pcap on the virtual clock instead of sending (plus FILE.events.json)')
    .option('--events <file>', 'write the event log (impairments, calls, counts) as JSON here')
    .option('--start <iso>', `wall-clock time of the simulation start (default: now live, ${DEFAULT_CAPTURE_START} for --pcap)`)
    .option('--syslog-port <p>', 'collector syslog UDP port', '514')
    .option('--recording-port <p>', 'collector debug-recording UDP port', '50000')
    .option('--sip-port <p>', 'collector SIP UDP port', '5060')
    .option('--speed <x>', 'live: simulated seconds per real second', '1')
    .option('--fast', 'live: send as fast as possible instead of on the clock (benchmarks)')
    .option('--shard <k/n>', 'simulate only phones whose index % n == k (run n processes for one fleet)')
    .option('--web-port <p>', 'collector HTTP port: crashing phones upload tombstones to /api/dumps (auth off); crashes are off without it')
    .option('--crash-every <s>', 'mean seconds between one phone\'s crashes (default 3600 with --web-port)')
    .option('--clock-skew <list>', 'phones with a wrong clock: an offset (16h, -16h, 30m) for every phone, or a comma list that phone i takes entry i % n of')
    .option('--recording-kinds <list>', `debug recordings beside RTP in every call: all, or a comma list of ${SIM_RECORDING_KINDS.join(', ')}`)
    .action(async (flags: SimulateFlags) => {
      const o = parseSimulateFlags(flags);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let result: SimulationResult;
      try {
        result = flags.pcap ? await simulateToPcap(o, flags.pcap) : await simulateLive(o, { fast: flags.fast === true, speed: positive('speed', flags.speed), signal: controller.signal });
      } catch (err) {
        fail(`simulation failed: ${(err as Error).message}`, 1);
      }
      const eventsFile = flags.events ?? (flags.pcap ? flags.pcap.replace(/(\.pcap)?$/, '.events.json') : undefined);
      if (eventsFile) writeFileSync(eventsFile, JSON.stringify({ ...result.log, crashes: result.crashes }, null, 1) + '\n');
      for (const n of result.notes) process.stderr.write(`note: ${n}\n`);
      process.stdout.write(`${summarise(result)}${flags.pcap ? `, written to ${flags.pcap}` : ''}${eventsFile ? `; events in ${eventsFile}` : ''}\n`);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    });
}
