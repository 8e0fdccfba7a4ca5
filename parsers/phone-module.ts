/**
 * Which of the 400HD's log modules (the phone's Syslog page, manual 7.1) a line belongs to.
 * The phone names modules by process (nxphone, voip_task, …) or by stack (SIP, MTF, ICE, …); the
 * tag is the strongest hint, then markers inside the text. Real 400HD samples are scarce (see
 * docs/decisions.md), so the rules are a table that is easy to extend.
 *
 * The collector also hears the rest of the site (Mediant SBCs and gateways, servers): a line whose
 * tag is no phone process, or a Mediant line, is `other`, since words like DSP or ICE in it say
 * nothing about a phone module.
 */
import { GATEWAY_HEAD } from './syslog.js';

export const PHONE_MODULES = [
  'nxphone', 'voip_task', 'control_center', 'b2goe', 'lighttpd', 'ac_watchdog', 'sip_call_control',
  'sip_stack', 'ice_stack', 'sipe', 'lcd_display', 'web_server', 'ieee802_1x', 'kernel', 'dsp', 'lib',
  'cgi', 'other',
] as const;

export type PhoneModule = (typeof PHONE_MODULES)[number];

/** The labels the phone's own web page uses, for the UI. */
export const PHONE_MODULE_LABELS: Readonly<Record<PhoneModule, string>> = {
  nxphone: 'Process - nxphone',
  voip_task: 'Process - voip_task',
  control_center: 'Process - control_center',
  b2goe: 'Process - b2goe',
  lighttpd: 'Process - lighttpd',
  ac_watchdog: 'Process - ac_watchdog',
  sip_call_control: 'SIP Call Control (MTF)',
  sip_stack: 'SIP stack',
  ice_stack: 'ICE',
  sipe: 'SIPE',
  lcd_display: 'LCD display',
  web_server: 'Web server',
  ieee802_1x: '802.1X',
  kernel: 'Kernel',
  dsp: 'DSP',
  lib: 'lib',
  cgi: 'cgi',
  other: 'Other',
};

/** Tag (process name, lower-cased, without pid) → module. */
const TAG_MODULES: ReadonlyMap<string, PhoneModule> = new Map<string, PhoneModule>([
  ['nxphone', 'nxphone'],
  ['voip_task', 'voip_task'], ['voiptask', 'voip_task'],
  ['control_center', 'control_center'], ['controlcenter', 'control_center'],
  ['b2goe', 'b2goe'],
  ['lighttpd', 'lighttpd'],
  ['ac_watchdog', 'ac_watchdog'], ['watchdog', 'ac_watchdog'],
  ['sip_call_control', 'sip_call_control'], ['mtf', 'sip_call_control'],
  ['sip_stack', 'sip_stack'], ['sip', 'sip_stack'], ['sipstack', 'sip_stack'],
  ['ice_stack', 'ice_stack'], ['ice', 'ice_stack'],
  ['sipe', 'sipe'],
  ['lcd_display', 'lcd_display'], ['lcd', 'lcd_display'],
  ['web_server', 'web_server'], ['webs', 'web_server'], ['httpd', 'web_server'],
  ['ieee802_1x', 'ieee802_1x'], ['802.1x', 'ieee802_1x'], ['wpa_supplicant', 'ieee802_1x'], ['dot1x', 'ieee802_1x'],
  ['kernel', 'kernel'], ['klogd', 'kernel'],
  ['dsp', 'dsp'],
  ['lib', 'lib'], ['aclib', 'lib'],
  ['cgi', 'cgi'],
]);

/**
 * Markers a process writes into its text when it logs for a stack module (voip_task hosts the SIP
 * stack, MTF, ICE and the DSP driver, so its tag alone does not say which one spoke). Checked in
 * order; first hit wins.
 */
const TEXT_MARKERS: ReadonlyArray<readonly [RegExp, PhoneModule]> = [
  [/\bMTF\b|SIP Call Control/, 'sip_call_control'],
  [/\bSIPE\b/, 'sipe'],
  [/\bICE\b|\bSTUN\b|\bTURN\b/, 'ice_stack'],
  [/^(?:\[[^\]]*\]\s*)*(?:SIP\/2\.0 \d{3}|(?:INVITE|ACK|BYE|CANCEL|REGISTER|OPTIONS|PUBLISH|SUBSCRIBE|NOTIFY|INFO|UPDATE|REFER|MESSAGE|PRACK|SERVICE) \S+ SIP\/2\.0)|\bSIP stack\b|\bsip_stack\b|\[SIP\]/, 'sip_stack'],
  [/\bDSP\b|\bdsp_/, 'dsp'],
  [/\b802\.1[Xx]\b|\bEAPOL\b/, 'ieee802_1x'],
  [/\bLCD\b/, 'lcd_display'],
];

export function classifyModule(app: string | null, message: string): PhoneModule {
  const tagModule = app ? TAG_MODULES.get(app.toLowerCase()) : undefined;
  if (tagModule && tagModule !== 'voip_task') return tagModule;
  if (app && !tagModule) return /\.cgi$/i.test(app) ? 'cgi' : 'other';
  if (!app && GATEWAY_HEAD.test(message)) return 'other';
  // voip_task hosts several stacks, and an untagged line has only its words: text markers decide.
  const head = message.length > 200 ? message.slice(0, 200) : message;
  for (const [marker, module] of TEXT_MARKERS) {
    if (marker.test(head)) return module;
  }
  return tagModule ?? 'other';
}
