/**
 * The phone's syslog as it most plausibly looks on the wire (anchors §4; no public 400HD sample
 * exists): RFC 3164 from an embedded-Linux syslogd, facility local0, the process as tag, the
 * AudioCodes per-device `[S=n]` sequence number, and the awkward forms a collector must take:
 * no hostname, several messages in one datagram, a SIP message logged over many lines.
 */
import type { SimPhone } from './plan.js';
import type { PhoneRuntime } from './runtime.js';

export type Process = 'voip_task' | 'nxphone' | 'control_center' | 'kernel' | 'ac_watchdog' | 'lighttpd';
export type Severity = 'err' | 'warning' | 'notice' | 'info' | 'debug';

export interface LogLine {
  readonly process: Process;
  readonly severity: Severity;
  readonly text: string;
  /** Further lines of the same message (a SIP message body), sent without a header of their own. */
  readonly more?: readonly string[];
}

const FACILITY_LOCAL0 = 16;
const SEVERITY: Readonly<Record<Severity, number>> = { err: 3, warning: 4, notice: 5, info: 6, debug: 7 };
/** Fixed per firmware build: the same pids on every boot keep the simulator's lines stable. */
const PID: Readonly<Record<Process, number | null>> = { voip_task: 412, nxphone: 389, control_center: 301, kernel: null, ac_watchdog: 215, lighttpd: 356 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const encoder = new TextEncoder();

/** `Jan  1 09:00:00`: RFC 3164's space-padded day, phone clock in UTC. */
export function rfc3164Time(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

export function phoneHostname(phone: SimPhone): string {
  return `${phone.model}-${phone.mac.slice(9).replace(/:/g, '').toUpperCase()}`;
}

function header(phone: SimPhone): string {
  if (phone.syslogHost === 'none') return '';
  return `${phone.syslogHost === 'ip' ? phone.addr : phoneHostname(phone)} `;
}

/** One datagram holding `lines` in order, each numbered with the phone's next `[S=n]`. */
export function syslogDatagram(rt: PhoneRuntime, epochMs: number, lines: readonly LogLine[]): Uint8Array {
  const host = header(rt.phone);
  const time = rfc3164Time(epochMs);
  const messages = lines.map((l) => {
    const pid = PID[l.process];
    const tag = pid === null ? `${l.process}:` : `${l.process}[${pid}]:`;
    const first = `<${FACILITY_LOCAL0 * 8 + SEVERITY[l.severity]}>${time} ${host}${tag} [S=${rt.nextSyslogSeq()}] ${l.text}`;
    return l.more && l.more.length > 0 ? `${first}\n${l.more.join('\n')}` : first;
  });
  return encoder.encode(messages.join('\n'));
}

/** A SIP message as the SIP stack logs it: a banner line, then the message line by line. */
export function sipLogLine(direction: 'in' | 'out', peer: string, message: string): LogLine {
  const banner = direction === 'out' ? `[SIP] ---- Outgoing SIP message to ${peer} ----` : `[SIP] ---- Incoming SIP message from ${peer} ----`;
  return { process: 'voip_task', severity: 'debug', text: banner, more: message.split('\r\n').filter((l) => l !== '') };
}

/** Only the first line of a SIP message, as the stack logs provisional responses and ACKs. */
export function sipSummaryLine(direction: 'in' | 'out', peer: string, firstLine: string): LogLine {
  return { process: 'voip_task', severity: 'info', text: `[SIP] ${direction === 'out' ? 'sent' : 'received'} "${firstLine}" ${direction === 'out' ? 'to' : 'from'} ${peer}` };
}
