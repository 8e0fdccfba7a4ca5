// "Bundle for ticket": a button any page adds with its scope (a call, a device over a window, a
// window), a dialog with the options, progress while the collector builds it, then the download.
import { clear, el } from './dom.js';

export type BundleScope =
  | { callId: number }
  | { device: string; from: string | number; to: string | number }
  | { devices?: string[]; from: string | number; to: string | number };

interface BundleStatus {
  id: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  step: string;
  fileName: string;
  bytes: number | null;
  dropped: Array<{ what: string; files: number; bytes: number; reason: string }>;
  overLimit: boolean;
  error: string | null;
}

const DEFAULT_LIMIT_MB = 20;
/** What "now" means on a device or logs page: the last hour. */
const RECENT_WINDOW_MS = 3_600_000;
/** Around a crash: what led to it, and the restart after. */
const BEFORE_MOMENT_MS = 10 * 60_000;
const AFTER_MOMENT_MS = 5 * 60_000;
const POLL_INTERVAL_MS = 500;
const BYTES_PER_MB = 1024 * 1024;

/** Adds the button to `container`; `scope` is read when clicked, so a page can pass its current view. */
export function addBundleButton(container: HTMLElement, scope: BundleScope | (() => BundleScope)): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'bundle-button', title: 'Everything about this in one file to attach to a ticket' }, 'Bundle for ticket');
  button.addEventListener('click', () => openDialog(typeof scope === 'function' ? scope() : scope));
  container.append(button);
  return button;
}

/** The last hour of one device, or of every device. */
export function recentWindow(device?: string | null): BundleScope {
  const to = Date.now();
  const from = to - RECENT_WINDOW_MS;
  return device ? { device, from, to } : { from, to };
}

/** Ten minutes before a moment (a crash) to five after, for its device when known. */
export function aroundMoment(at: string, device?: string | null): BundleScope {
  const t = Date.parse(at);
  return device ? { device, from: t - BEFORE_MOMENT_MS, to: t + AFTER_MOMENT_MS } : { from: t - BEFORE_MOMENT_MS, to: t + AFTER_MOMENT_MS };
}

function isStatus(v: unknown): v is BundleStatus {
  return typeof v === 'object' && v !== null && typeof (v as BundleStatus).id === 'string' && typeof (v as BundleStatus).state === 'string';
}

function openDialog(scope: BundleScope): void {
  const redact = el('input', { type: 'checkbox', name: 'redact' });
  const audio = el('input', { type: 'checkbox', name: 'audio', checked: true });
  const format = el('select', { name: 'format' }, el('option', { value: 'zip' }, 'zip'), el('option', { value: 'tar.gz' }, 'tar.gz'));
  const limit = el('input', { type: 'number', name: 'maxMb', min: 1, max: 4096, step: 1, value: DEFAULT_LIMIT_MB });
  const build = el('button', { type: 'submit' }, 'Build');
  const close = el('button', { type: 'button' }, 'Close');
  const progress = el('progress', { max: 1, value: 0, hidden: true });
  const step = el('p', { class: 'bundle-step', role: 'status' });
  const result = el('div', { class: 'bundle-result' });
  // Voice is personal data: redacting turns audio off unless it is ticked again on purpose.
  redact.addEventListener('change', () => { audio.checked = !redact.checked; });
  const form = el('form', { method: 'dialog', class: 'bundle-form' },
    el('h2', {}, 'Bundle for ticket'),
    el('p', { class: 'bundle-scope' }, scopeWords(scope)),
    el('label', {}, redact, ' Redact (addresses, numbers, URIs, user names become tokens)'),
    el('label', {}, audio, ' Include audio (WAV)'),
    el('label', {}, 'Format ', format),
    el('label', {}, 'Size limit (MB) ', limit),
    el('p', { class: 'bundle-hint' }, 'Past the limit, audio is left out first, then the original captures, then the plain ones.'),
    el('div', { class: 'bundle-actions' }, build, close),
    progress, step, result);
  const dialog = el('dialog', { class: 'bundle-dialog', 'aria-label': 'Bundle for ticket' }, form);
  let stopped = false;
  const finish = () => {
    stopped = true;
    dialog.close();
    dialog.remove();
  };
  close.addEventListener('click', finish);
  dialog.addEventListener('cancel', finish);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    build.disabled = true;
    progress.hidden = false;
    clear(result);
    const maxMb = Number(limit.value) || DEFAULT_LIMIT_MB;
    const body = { scope, options: { redact: redact.checked, format: format.value, maxBytes: Math.round(maxMb * BYTES_PER_MB), includeAudio: audio.checked } };
    void run(body, { progress, step, result, build, stopped: () => stopped });
  });
  document.body.append(dialog);
  dialog.showModal();
}

interface Ui {
  progress: HTMLProgressElement;
  step: HTMLElement;
  result: HTMLElement;
  build: HTMLButtonElement;
  stopped(): boolean;
}

async function run(body: unknown, ui: Ui): Promise<void> {
  try {
    const res = await fetch('/api/bundles', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    const answer: unknown = await res.json();
    if (!res.ok) throw new Error(typeof answer === 'object' && answer !== null && 'error' in answer ? String(answer.error) : `HTTP ${res.status}`);
    const id = (answer as { id: string }).id;
    for (;;) {
      if (ui.stopped()) return;
      const s: unknown = await (await fetch(`/api/bundles/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' } })).json();
      if (!isStatus(s)) throw new Error('the collector answered with an unexpected shape');
      ui.progress.value = s.progress;
      ui.step.textContent = `${Math.round(s.progress * 100)} % — ${s.step}`;
      if (s.state === 'failed') throw new Error(s.error ?? 'the bundle failed');
      if (s.state === 'done') return showResult(s, ui);
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
  } catch (err) {
    ui.step.textContent = `Could not build the bundle: ${(err as Error).message}`;
    ui.build.disabled = false;
  }
}

function showResult(s: BundleStatus, ui: Ui): void {
  ui.step.textContent = `Ready: ${s.fileName}, ${((s.bytes ?? 0) / BYTES_PER_MB).toFixed(1)} MB`;
  ui.result.append(el('a', { href: `/api/bundles/${encodeURIComponent(s.id)}/file`, download: s.fileName, class: 'bundle-download' }, 'Download'));
  if (s.dropped.length > 0) {
    ui.result.append(el('p', {}, 'Left out:'), el('ul', {}, ...s.dropped.map((d) => el('li', {}, `${d.what}${d.files ? ` (${d.files} files)` : ''}: ${d.reason}`))));
  }
  if (s.overLimit) ui.result.append(el('p', { class: 'bundle-over' }, 'Still over the size limit: the logs alone are larger. Narrow the time window.'));
  ui.build.disabled = false;
}

function scopeWords(scope: BundleScope): string {
  if ('callId' in scope) return `Call ${scope.callId}, with the phone's logs a minute either side.`;
  const when = `${new Date(scope.from).toISOString()} – ${new Date(scope.to).toISOString()}`;
  if ('device' in scope) return `Device ${scope.device}, ${when}.`;
  return `${scope.devices?.length ? `Devices ${scope.devices.join(', ')}` : 'All devices'}, ${when}.`;
}
