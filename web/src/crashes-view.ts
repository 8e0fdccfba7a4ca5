// One crash: signal and fault, the crashing thread's frames with trust badges, the other threads,
// registers, modules (with "symbols missing" hints), build and firmware, the device's syslog in
// the minutes before, and the original file. Every value goes in as text.
import { fetchCrash, fetchLogsBefore, type CrashDetail, type CrashFrame, type CrashThread } from './crashes-api.js';
import { clear, el } from './dom.js';
import { dateTime } from './format.js';
import { routeHash } from './router.js';
import { addBundleButton, aroundMoment } from './bundle-dialog.js';

/** How far back the device's syslog is shown before the crash. */
const LOG_WINDOW_MS = 5 * 60_000;
const LOG_LINES = 200;

const TRUST_LABELS: Record<CrashFrame['trust'], { label: string; title: string }> = {
  context: { label: 'context', title: 'taken from the registers of the crashing thread: exact' },
  fp: { label: 'frame ptr', title: 'found by following frame pointers: usually right' },
  scan: { label: 'scan', title: 'found by scanning the stack for code addresses: may be wrong' },
  reported: { label: 'reported', title: 'as the tombstone printed it (the phone unwound it)' },
};

export async function renderCrash(target: HTMLElement, group: string, crashId: string): Promise<void> {
  clear(target);
  target.append(el('p', { class: 'muted' }, 'Loading crash…'));
  let detail: CrashDetail;
  try {
    detail = await fetchCrash(group, crashId);
  } catch (err) {
    clear(target);
    target.append(el('p', { class: 'bad' }, `Could not load crash ${crashId}: ${err instanceof Error ? err.message : String(err)}`));
    return;
  }
  clear(target);
  const { crash, dump } = detail;
  const r = crash.report;
  const crashing = r.threads.find((t) => t.crashing) ?? r.threads[0];
  const signal = r.signal ? `${r.signal.name}${r.signal.codeName ? ` / ${r.signal.codeName}` : ''}` : 'no signal recorded';
  const back = new URLSearchParams({ group });
  const parts: Array<Node | string | null> = [
    el('nav', { class: 'crumbs' }, el('a', { href: '#/crashes' }, 'Crashes'), ' › ', el('a', { href: routeHash('/crashes', back) }, detail.group?.title ?? group), ` › crash ${crash.id}`),
    el('h2', { class: 'crash-title' }, signal, r.signal?.faultAddr ? el('span', { class: 'mono fault' }, ` at ${r.signal.faultAddr}`) : null, ' in ', el('span', { class: 'mono' }, r.process.name ?? '?')),
    r.partial ? el('p', { class: 'partial-banner' }, 'Partial report: ', r.partialReasons.join('; ')) : null,
    r.abortMessage ? el('p', { class: 'abort' }, 'Abort message: ', el('span', { class: 'mono' }, r.abortMessage)) : null,
    r.causes.length > 0 ? el('p', {}, 'Cause: ', r.causes.join('; ')) : null,
    facts([
      ['When', crash.crashedAt ? `${dateTime(crash.crashedAt)}${r.crashedAtSource === 'archive' ? ' (archive entry time)' : ''}` : `received ${dateTime(crash.receivedAt)}`],
      ['Device', [crash.deviceRef, crash.model].filter(Boolean).join(' · ') || 'unknown'],
      ['Firmware', crash.firmware ?? 'unknown'],
      ['Process', [r.process.name, r.process.pid !== undefined ? `pid ${r.process.pid}` : '', r.process.tid !== undefined ? `tid ${r.process.tid}` : '', r.process.threadName ? `thread ${r.process.threadName}` : ''].filter(Boolean).join(' · ')],
      ['Command line', r.process.args ?? ''],
      ['Build', r.buildFingerprint ?? ''],
      ['Source', `${r.source}${r.dialect ? ` (${r.dialect})` : ''}${r.arch ? `, ${r.arch}` : ''}`],
      ['Found in', r.member],
      ['Signature', detail.group?.signature ?? ''],
      ['Upload', dump ? `${dump.name} · ${dump.size} bytes${dump.ticket ? ` · ticket ${dump.ticket}` : ''}${dump.note ? ` · ${dump.note}` : ''}` : ''],
    ]),
    el('p', { class: 'actions' }, dump ? el('a', { href: dump.rawUrl, download: '', class: 'button', 'data-testid': 'raw-download' }, 'Download original file') : null),
  ];
  target.append(...parts.filter((p): p is Node | string => p !== null));
  addBundleButton(target, aroundMoment(crash.crashedAt ?? crash.receivedAt, crash.deviceRef));
  if (crashing) target.append(el('h3', {}, `Crashing thread${crashing.tid !== undefined ? ` ${crashing.tid}` : ''}${crashing.name ? ` (${crashing.name})` : ''}`), framesTable(crashing.frames, true));
  const others = r.threads.filter((t) => t !== crashing);
  if (others.length > 0) {
    const box = el('details', { class: 'threads' }, el('summary', {}, `Other threads (${others.length})`));
    for (const t of others) box.append(el('h4', {}, `Thread ${t.tid ?? '?'}${t.name ? ` (${t.name})` : ''}`), framesTable(t.frames, false));
    target.append(box);
  }
  if (crashing) target.append(registers(crashing));
  target.append(modulesList(r.modules, r.threads));
  const logs = el('section', { class: 'crash-logs' }, el('h3', {}, 'Device syslog before the crash'));
  target.append(logs);
  void renderLogs(logs, crash.deviceRef, crash.crashedAt ?? crash.at);
}

function facts(rows: Array<[string, string]>): HTMLElement {
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of rows) if (v) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

function framesTable(frames: readonly CrashFrame[], crashing: boolean): HTMLElement {
  if (frames.length === 0) return el('p', { class: 'muted' }, 'No frames: the stack could not be walked.');
  const body = el('tbody');
  for (const f of frames) {
    const trust = TRUST_LABELS[f.trust] ?? { label: f.trust, title: '' };
    const fn = f.function
      ? el('span', { class: 'fn' }, f.function, f.functionOffset !== undefined ? `+${f.functionOffset}` : '', f.functionSource === 'symbols' ? el('span', { class: 'badge sym', title: 'named from an uploaded binary' }, 'symbols') : null)
      : el('span', { class: 'muted' }, '?');
    body.append(el('tr', { class: 'frame' },
      el('td', { class: 'num' }, `#${f.index}`),
      el('td', {}, el('span', { class: `badge trust-${f.trust}`, title: trust.title }, trust.label)),
      el('td', { class: 'mono' }, f.module ? basename(f.module) : '?', f.offset ? el('span', { class: 'muted' }, ` + ${f.offset}`) : null),
      el('td', { class: 'mono' }, fn),
      el('td', { class: 'mono muted' }, f.pc ?? ''),
    ));
  }
  return el('table', { class: `grid frames${crashing ? ' crashing' : ''}`, 'data-testid': crashing ? 'crashing-frames' : undefined },
    el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'found by'), el('th', {}, 'module + offset'), el('th', {}, 'function'), el('th', {}, 'pc'))),
    body);
}

function registers(t: CrashThread): HTMLElement {
  const entries = Object.entries(t.registers);
  const grid = el('div', { class: 'registers mono' });
  for (const [name, value] of entries) grid.append(el('span', { class: 'reg' }, el('b', {}, name), ` ${value}`));
  return el('details', { class: 'regs', open: entries.length > 0 }, el('summary', {}, `Registers (${entries.length})`), grid);
}

function modulesList(modules: ReadonlyArray<{ path: string; base?: string; buildId?: string }>, threads: readonly CrashThread[]): HTMLElement {
  const used = new Set<string>();
  const named = new Set<string>();
  for (const t of threads) for (const f of t.frames) {
    if (!f.module) continue;
    used.add(basename(f.module));
    if (f.function) named.add(basename(f.module));
  }
  const body = el('tbody');
  for (const m of modules) {
    const name = basename(m.path);
    const hint = used.has(name) && !named.has(name) ? el('span', { class: 'warn', title: 'upload the unstripped binary to POST /api/symbols to name these frames' }, `symbols missing${m.buildId ? ` (build id ${m.buildId})` : ''}`) : '';
    body.append(el('tr', {}, el('td', { class: 'mono' }, m.path), el('td', { class: 'mono' }, m.base ?? ''), el('td', { class: 'mono' }, m.buildId ?? ''), el('td', {}, hint)));
  }
  return el('details', { class: 'modules', open: modules.length <= 12 }, el('summary', {}, `Modules (${modules.length})`),
    el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, el('th', {}, 'path'), el('th', {}, 'base'), el('th', {}, 'build id'), el('th', {}, ''))), body));
}

async function renderLogs(target: HTMLElement, device: string | null, atIso: string): Promise<void> {
  if (!device) {
    target.append(el('p', { class: 'muted' }, 'No device given with this upload, so no syslog to show.'));
    return;
  }
  const to = new Date(Date.parse(atIso) + 1000).toISOString();
  const from = new Date(Date.parse(atIso) - LOG_WINDOW_MS).toISOString();
  const api = `/api/logs?${new URLSearchParams({ device, from, to }).toString()}`;
  target.append(el('p', { class: 'muted' }, `${device}, ${dateTime(from)} to ${dateTime(to)} · `,
    el('a', { href: routeHash('/logs', new URLSearchParams({ device })) }, 'open the device in Logs'), ' · ', el('a', { href: api }, 'these lines as JSON')));
  try {
    const lines = await fetchLogsBefore(device, from, to, LOG_LINES);
    if (lines.length === 0) {
      target.append(el('p', { class: 'muted' }, 'No syslog lines from this device in that window.'));
      return;
    }
    const pre = el('div', { class: 'log-excerpt mono' });
    for (const l of lines) pre.append(el('div', {}, el('span', { class: 'muted' }, `${l.receivedAt.slice(11, 23)} `), l.app ? `${l.app}: ` : '', l.message));
    target.append(pre);
  } catch (err) {
    target.append(el('p', { class: 'muted' }, `Syslog not available: ${err instanceof Error ? err.message : String(err)}`));
  }
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
