// Setup: the configuration-file lines a phone needs to send this collector its syslog, debug
// recordings and quality reports, with this collector's reachable address and ports filled in.
import { copyText } from './clipboard.js';
import { el, clear } from './dom.js';
import type { LiveConnection } from './live.js';
import type { Health, Listener } from './types.js';

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const DEFAULT_SIP_PORT = 5060;
const COPIED_NOTE_MS = 2000;

/** The address phones should use: the bind address when it is a specific one, else the host the browser reached. */
export function reachableAddress(listeners: readonly Listener[], browserHost: string): string {
  const specific = listeners.find((l) => l.state === 'listening' && !WILDCARD.has(l.address));
  return specific?.address ?? (browserHost || 'COLLECTOR-ADDRESS');
}

/** The `.cfg` lines, one block per source; a disabled listener's block says so instead. */
export function configLines(host: string, h: Health): Array<{ title: string; lines: string[]; note?: string }> {
  const port = (name: string): number | null => {
    const l = h.listeners.find((x) => x.name === name);
    return l && l.state === 'listening' ? l.port : null;
  };
  const syslog = port('syslog-udp');
  const rec = port('recordings');
  const sip = port('sip-udp') ?? port('sip-tcp');
  const blocks: Array<{ title: string; lines: string[]; note?: string }> = [];
  blocks.push(syslog === null
    ? { title: 'Syslog', lines: [], note: 'The UDP syslog listener is off: start the collector with --syslog-port.' }
    : { title: 'Syslog', lines: [
      'system/syslog/mode=Network',
      `system/syslog/server_address=${host}`,
      `system/syslog/server_port=${syslog}`,
      'system/syslog/log_level=Detailed',
      'system/syslog/component/sip_stack=Detailed',
      'system/syslog/component/sip_call_control=Detailed',
      'system/syslog/component/dsp=Detailed',
    ], note: 'Detailed needs a debug firmware; Basic works on any. Each module can be set on its own under system/syslog/component/.' });
  blocks.push(rec === null
    ? { title: 'Debug recordings (RTP)', lines: [], note: 'The recording listener is off: start the collector with --recording-port.' }
    : { title: 'Debug recordings (RTP)', lines: [
      `voip/packet_recording/remote_ip=${host}`,
      `voip/packet_recording/remote_port=${rec}`,
      'voip/packet_recording/enabled=1',
      'voip/packet_recording/rtp_recording/enabled=1',
    ], note: 'Every packet of every call is copied to the collector: about 100 kbit/s per call in each direction.' });
  blocks.push(sip === null
    ? { title: 'Voice-quality reports', lines: [], note: 'The SIP listener is off: start the collector with --sip-port.' }
    : { title: 'Voice-quality reports', lines: [
      'voip/rtcp_xr/vq_statistics/mode=EVENTS_ONLY',
      'voip/qoe/qoe_publish_enabled=1',
      `voip/qoe/qoe_server_address=${sip === DEFAULT_SIP_PORT ? host : `${host}:${sip}`}`,
    ], note: sip === DEFAULT_SIP_PORT
      ? 'REMOTE_AND_EVENTS also sends RTCP XR to the far end every 5 s.'
      : `The collector listens for SIP on ${sip}, not 5060: the port goes after the address. If the phone's firmware does not accept a port there, start the collector with --sip-port 5060.` });
  return blocks;
}

export class SetupPage {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly hostInput: HTMLInputElement;
  private health: Health | null = null;
  private readonly dispose: () => void;

  constructor(live: LiveConnection) {
    this.hostInput = el('input', { type: 'text', name: 'host', class: 'mono', spellcheck: false, autocomplete: 'off', 'aria-label': 'Collector address as phones reach it' });
    this.hostInput.addEventListener('input', () => this.render());
    this.body = el('div', { class: 'setup-blocks' }, el('p', { class: 'muted' }, 'Waiting for the collector\'s listeners…'));
    this.element = el('div', { class: 'page setup-page scroll-page' },
      el('h1', {}, 'Point a phone at this collector'),
      el('p', {}, 'Copy these lines into the phone\'s configuration file (.cfg, from the provisioning server or the phone web page\'s ',
        el('em', {}, 'Configuration File'), ' upload). The ports are the ones this collector listens on now.'),
      el('label', { class: 'field host-field' }, el('span', {}, 'Collector address, as the phones reach it'), this.hostInput),
      this.body);
    this.dispose = live.onHealth((h) => {
      const first = this.health === null;
      this.health = h;
      if (first) this.hostInput.value = reachableAddress(h.listeners, location.hostname);
      this.render();
    });
  }

  update(): void {}

  destroy(): void {
    this.dispose();
  }

  private render(): void {
    const h = this.health;
    if (!h) return;
    const host = this.hostInput.value.trim() || 'COLLECTOR-ADDRESS';
    const blocks = configLines(host, h);
    const all = blocks.flatMap((b) => b.lines);
    clear(this.body);
    this.body.append(this.copyBlock('All of it', all, 'setup-all', 'Everything below in one block.'));
    for (const b of blocks) this.body.append(this.copyBlock(b.title, b.lines, `setup-${b.title.split(' ')[0]?.toLowerCase() ?? 'x'}`, b.note));
  }

  private copyBlock(title: string, lines: string[], id: string, note?: string): HTMLElement {
    const text = lines.join('\n');
    const copied = el('span', { class: 'copied muted', 'aria-live': 'polite' });
    const button = el('button', { type: 'button', class: 'copy', disabled: lines.length === 0 }, 'Copy');
    button.addEventListener('click', () => {
      void copyText(text).then((ok) => {
        copied.textContent = ok ? 'Copied' : 'Select the text and copy it (clipboard not available here)';
        window.setTimeout(() => { copied.textContent = ''; }, COPIED_NOTE_MS);
      });
    });
    return el('section', { class: 'card setup-block', id },
      el('header', {}, el('h2', {}, title), copied, button),
      lines.length > 0 ? el('pre', { class: 'cfg' }, text) : null,
      note ? el('p', { class: 'muted' }, note) : null);
  }
}
