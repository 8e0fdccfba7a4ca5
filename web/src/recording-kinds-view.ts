// The call page's "Recording kinds" list: which of the phone's debug recordings (RTP, network / TDM
// out, TDM in, DSP, EC / CNG / noise-reduction debug, ...) the call's datagrams came from, with
// WAV for the PCM kinds and a pointer to the original pcap for the kinds kept raw.
import type { RecordedCall, RecordingKindCount } from './calls-api.js';
import { el } from './dom.js';
import { bytes, count } from './format.js';

function audioCell(rec: RecordedCall, k: RecordingKindCount, base: string): HTMLElement {
  const cell = el('td', { class: 'kind-audio' });
  if (!k.pcm) {
    cell.append(el('span', { class: 'muted' }, k.kind === 'rtp' ? 'the RTP players below' : 'kept raw: in the pcap as received'));
    return cell;
  }
  const streams = (rec.streams ?? []).filter((s) => s.recordingKind === k.kind && s.audio);
  for (const s of streams) {
    const src = `${base}/audio/${s.id}.wav`;
    cell.append(el('div', { class: 'player' },
      el('a', { class: 'download', href: src, download: '' }, `WAV (${s.direction}, ${s.codec ?? '?'})`),
      el('audio', { controls: true, preload: 'none', src })));
  }
  if (k.undecoded > 0) cell.append(el('div', { class: 'muted' }, `${count(k.undecoded)} not RTP-framed G.711: kept raw in the pcap`));
  else if (streams.length === 0) cell.append(el('span', { class: 'muted' }, 'no playable stream'));
  return cell;
}

export function recordingKindsView(rec: RecordedCall, base: string): HTMLElement {
  const kinds = rec.recordingKinds ?? [];
  if (kinds.length === 0) return el('div', { class: 'recording-kinds muted' });
  return el('div', { class: 'recording-kinds' },
    el('h3', {}, 'Recording kinds'),
    el('table', { class: 'grid compact recording-kinds' },
      el('thead', {}, el('tr', {}, ...['Kind', 'Datagrams', 'Bytes', 'Audio'].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...kinds.map((k) => el('tr', { 'data-kind': k.kind },
        el('td', {}, k.name),
        el('td', { class: 'num' }, count(k.datagrams)),
        el('td', { class: 'num' }, bytes(k.bytes)),
        audioCell(rec, k, base))))));
}
