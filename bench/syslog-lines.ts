/**
 * Realistic 400HD syslog lines for load tests: the module mix a phone at Detailed level sends,
 * 80–400 bytes each, deterministic for a given index.
 */
import { SEQ_MARK } from './blaster.js';

const TEMPLATES: ReadonlyArray<(i: number) => string> = [
  (i) => `<134>Nov 26 10:00:01 voip_task[412]: [S=${i}] call ${i % 97} state CONNECTED remote 4402 codec PCMA/8000 ptime 20`,
  (i) => `<135>Nov 26 10:00:01 voip_task[412]: [S=${i}] MTF: call ${i % 97} event EV_MEDIA_UPDATE local 10.0.0.5:4000 remote 10.0.1.9:5004`,
  (i) => `<135>Nov 26 10:00:01 sip_stack[401]: [S=${i}] SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK${i}\nCall-ID: ${i}a84b4c76e66710@10.0.0.5\nCSeq: ${i % 1000} INVITE\nContent-Length: 0`,
  (i) => `<135>Nov 26 10:00:01 dsp[402]: [S=${i}] DSP channel ${i % 4}: jitter buffer nominal 40 ms, max 120 ms, late ${i % 7}`,
  (i) => `<134>Nov 26 10:00:01 nxphone[404]: [S=${i}] main screen redraw idle, BLF keys ${i % 12} updated`,
  (i) => `<133>Nov 26 10:00:01 control_center[406]: [S=${i}] network: link eth0 up 100Mb/s full duplex, dhcp lease ${i % 3600} s`,
  (i) => `<135>Nov 26 10:00:01 ice_stack[407]: [S=${i}] ICE: candidate pair 10.0.0.5:4000 <-> 52.1.1.${i % 250}:3478 succeeded`,
  (i) => `<132>Nov 26 10:00:01 lighttpd[409]: [S=${i}] GET /mainform.cgi?go=mainframe.htm 200 ${i % 5000} bytes`,
];

export function syslogLine(i: number): string {
  return TEMPLATES[i % TEMPLATES.length]!(i);
}

/** The same lines as templates for bench/blast.c: the sender writes each line's sequence number at the mark. */
export function syslogTemplates(count = 4096): string[] {
  return Array.from({ length: count }, (_, i) => syslogLine(i).replace(`[S=${i}]`, `[S=${SEQ_MARK}]`));
}
