/**
 * Phone crashes: when each simulated phone's voip_task dies (seeded, exponential gaps around a mean
 * interval) and the debuggerd tombstone it uploads. Every phone crashes in the same place, so the
 * collector groups them under one signature, as a firmware bug looks in the field; pid, registers
 * and time vary per crash.
 */
import type { SimPhone } from './plan.js';
import { subSeed } from './plan.js';
import { seededRandom } from './wire/rtp-stream.js';

/** A phone hour: the default mean time between one phone's crashes when uploads are on. */
export const DEFAULT_CRASH_EVERY_MS = 3_600_000;
const STREAM_CRASH = 41;
/** After registration, so the crash lands in a running phone's log. */
const FIRST_CRASH_AFTER_MS = 1000;
export const CRASHED_PROCESS = 'voip_task';
/** What the event log says of a live crash when no --web-port was given. */
export const CRASH_SINK_NONE = 'not uploaded: no --web-port';

export interface SimCrash {
  readonly phone: SimPhone;
  /** Virtual ms from the simulation start. */
  readonly atMs: number;
  readonly pid: number;
}

/** The crashes of one phone in [0, durationMs), in time order; the same for the same seed. */
export function phoneCrashes(phone: SimPhone, durationMs: number, seed: number, meanEveryMs: number): SimCrash[] {
  const rnd = seededRandom(subSeed(seed, STREAM_CRASH, phone.index));
  const crashes: SimCrash[] = [];
  for (let t = phone.registerAtMs + FIRST_CRASH_AFTER_MS - Math.log(1 - rnd()) * meanEveryMs; t < durationMs; t -= Math.log(1 - rnd()) * meanEveryMs) {
    crashes.push({ phone, atMs: Math.round(t), pid: 400 + Math.floor(rnd() * 3000) });
  }
  return crashes;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** Android 10-style debuggerd text (the dialect parsers/tombstone.ts reads, `Timestamp:` included). */
export function tombstoneText(c: SimCrash, wallMs: number): string {
  const ts = new Date(wallMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+0000');
  const sp = 0xb0f3e620 - ((c.pid * 0x40) & 0xfff0);
  return [
    '*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***',
    `Build fingerprint: 'AudioCodes/${c.phone.model}/${c.phone.model}:10/${c.phone.firmware}:user/release-keys'`,
    "Revision: '0'",
    "ABI: 'arm'",
    `Timestamp: ${ts}`,
    `pid: ${c.pid}, tid: ${c.pid + 24}, name: SipWorker  >>> /system/bin/${CRASHED_PROCESS} <<<`,
    'signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x18',
    'Cause: null pointer dereference',
    `    r0 00000000  r1 ${hex8(c.pid * 0x1001)}  r2 00000007  r3 00000000`,
    `    ip b1cd6f2c  sp ${hex8(sp)}  lr b1ca5a43  pc b1ca4e6a  cpsr 600f0030`,
    '',
    'backtrace:',
    '    #00 pc 00024e6a  /system/lib/libsipua.so (sip_dialog_set_remote_target+17)',
    '    #01 pc 00025a3f  /system/lib/libsipua.so (sip_dialog_handle_response+346)',
    '    #02 pc 0001f1c5  /system/lib/libsipua.so (sip_transaction_dispatch+88)',
    '    #03 pc 00019d0b  /system/lib/libsipua.so (sip_stack_process_message+502)',
    `    #04 pc 0000a6b1  /system/bin/${CRASHED_PROCESS} (voip::SipChannel::onPacket(voip::Packet const&)+40)`,
    `    #05 pc 0000c9e3  /system/bin/${CRASHED_PROCESS} (voip::EventLoop::run()+214)`,
    '    #06 pc 00047d3b  /system/lib/libc.so (__pthread_start(void*)+22)',
    '',
  ].join('\n');
}
