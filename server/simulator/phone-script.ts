/**
 * A phone's life outside calls: the boot (kernel lines in one datagram, then the firmware banner
 * naming model, firmware and MAC), SIP registration and its refreshes, and the background chatter
 * of a running phone with the odd warning, at a few lines a minute; when crashes are on, the
 * watchdog's lines as voip_task dies and restarts.
 */
import type { SimPhone } from './plan.js';
import { SIP_DOMAIN, userAgent } from './reports.js';
import { PROXY } from './call-script.js';
import type { Datagram, PhoneRuntime } from './runtime.js';
import { ScriptSource, type ScriptEvent } from './script.js';
import { sipLogLine, sipSummaryLine, syslogDatagram, type LogLine } from './syslog.js';
import { buildSipRequest } from './wire/sip.js';
import { seededRandom } from './wire/rtp-stream.js';
import { subSeed } from './plan.js';
import { CRASHED_PROCESS, phoneCrashes } from './crash.js';

const REGISTER_REFRESH_MS = 600_000;
const CHATTER_MIN_GAP_MS = 20_000;
const CHATTER_MAX_GAP_MS = 90_000;
const STREAM_CHATTER = 7;
/** The watchdog restarts a dead process after about this long. */
const WATCHDOG_RESTART_MS = 1500;

const CHATTER: readonly LogLine[] = [
  { process: 'control_center', severity: 'info', text: 'NTP: time synchronised with 192.0.2.123, offset 3 ms' },
  { process: 'nxphone', severity: 'info', text: 'Main screen: idle, backlight dimmed' },
  { process: 'lighttpd', severity: 'info', text: 'GET /status.cgi 200 from 192.0.2.50' },
  { process: 'control_center', severity: 'info', text: 'LLDP-MED: network policy voice VLAN 0, DSCP 46' },
  { process: 'voip_task', severity: 'debug', text: '[SIP] transaction timer cleanup: 0 transactions left' },
  { process: 'ac_watchdog', severity: 'warning', text: 'process nxphone heartbeat late by 1200 ms' },
  { process: 'control_center', severity: 'warning', text: 'NTP: server 192.0.2.123 not responding, retrying in 64 s' },
  { process: 'kernel', severity: 'warning', text: 'eth0: link speed changed to 100 Mbps full duplex' },
];
/** Warnings are the last three of CHATTER; they come up about one time in ten. */
const WARNING_SHARE = 0.1;
const FIRST_WARNING = CHATTER.length - 3;

function register(phone: SimPhone, rt: PhoneRuntime, cseq: number): string {
  const aor = `<sip:${phone.extension}@${SIP_DOMAIN}>`;
  return buildSipRequest({
    method: 'REGISTER',
    requestUri: `sip:${SIP_DOMAIN}`,
    from: aor,
    fromTag: phone.mac.replace(/:/g, '').slice(4),
    to: aor,
    callId: `reg-${phone.mac.replace(/:/g, '')}@${phone.addr}`,
    cseq,
    source: { ip: phone.addr, port: rt.sipPort },
    headers: [['Expires', String(REGISTER_REFRESH_MS / 1000)], ['User-Agent', userAgent(phone)]],
  });
}

export function phoneScript(phone: SimPhone, rt: PhoneRuntime, epochMs: number, durationMs: number, seed: number, crashEveryMs?: number): ScriptSource {
  const events: ScriptEvent[] = [];
  const log = (atMs: number, lines: () => LogLine[]): void => {
    // The line is stamped by the phone's own (perhaps wrong) clock.
    events.push({ atMs, run: (out: Datagram[]) => out.push({ atMs, phone, port: 'syslog', kind: 'syslog', bytes: syslogDatagram(rt, epochMs + phone.clockSkewMs + atMs, lines()) }) });
  };
  const swType = phone.sfb ? 'LYNC' : 'SIP';
  log(phone.bootAtMs, () => [
    { process: 'kernel', severity: 'notice', text: 'Linux version 3.10.14 (builder@audiocodes) #1 PREEMPT' },
    { process: 'kernel', severity: 'info', text: 'eth0: link up, 1000 Mbps full duplex' },
    { process: 'control_center', severity: 'info', text: `DHCP: lease ${phone.addr}/24 from 192.0.2.254, router 192.0.2.254` },
  ]);
  log(phone.bootAtMs + 300, () => [{
    process: 'control_center',
    severity: 'notice',
    text: `AudioCodes ${phone.model} booting: firmware ${phone.firmware}, SW_TYPE ${swType}, HW_TYPE ${phone.model}, MAC ${phone.mac}, reset #${phone.resetCounter}`,
  }]);
  log(phone.bootAtMs + 600, () => [{ process: 'voip_task', severity: 'info', text: `DSP: firmware loaded, ${phone.model} voice engine ready` }]);

  for (let t = phone.registerAtMs, n = 1; t < durationMs; t += REGISTER_REFRESH_MS, n++) {
    const cseq = n;
    log(t, () => [sipLogLine('out', PROXY, register(phone, rt, cseq))]);
    log(t + 40, () => [sipSummaryLine('in', PROXY, 'SIP/2.0 200 OK'), { process: 'voip_task', severity: 'notice', text: `MTF: line 1 registered as ${phone.extension}@${SIP_DOMAIN}` }]);
  }

  const rnd = seededRandom(subSeed(seed, STREAM_CHATTER, phone.index));
  for (let t = phone.registerAtMs + CHATTER_MIN_GAP_MS * rnd(); t < durationMs; t += CHATTER_MIN_GAP_MS + rnd() * (CHATTER_MAX_GAP_MS - CHATTER_MIN_GAP_MS)) {
    const pick = rnd() < WARNING_SHARE ? FIRST_WARNING + Math.floor(rnd() * 3) : Math.floor(rnd() * FIRST_WARNING);
    const line = CHATTER[pick]!;
    log(Math.round(t), () => [line]);
  }

  // The watchdog's view of a crash; the tombstone upload at the same instant is the sink's (run.ts).
  for (const c of crashEveryMs === undefined ? [] : phoneCrashes(phone, durationMs, seed, crashEveryMs)) {
    log(c.atMs, () => [{ process: 'ac_watchdog', severity: 'err', text: `process ${CRASHED_PROCESS} (pid ${c.pid}) died on signal 11 (SIGSEGV), restarting` }]);
    log(c.atMs + WATCHDOG_RESTART_MS, () => [{ process: 'ac_watchdog', severity: 'notice', text: `process ${CRASHED_PROCESS} restarted after a crash, tombstone saved` }]);
  }
  return new ScriptSource(events);
}
