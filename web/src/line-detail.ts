// The panel that opens when a row is clicked: every parsed field, and the raw line as received.
import { appendVisibleText, clear, el } from './dom.js';
import { count, dateTime, moduleLabel, severityName } from './format.js';
import { MESSAGE_PREVIEW_CHARS } from './log-view.js';
import type { LogLine } from './types.js';

function boundedText(text: string): HTMLElement {
  const pre = el('pre', { class: 'raw' });
  if (text.length <= MESSAGE_PREVIEW_CHARS) {
    appendVisibleText(pre, text);
    return pre;
  }
  appendVisibleText(pre, text.slice(0, MESSAGE_PREVIEW_CHARS));
  const more = el('button', { type: 'button', class: 'more' }, `… show all ${count(text.length)} characters`);
  more.addEventListener('click', () => {
    clear(pre);
    appendVisibleText(pre, text);
  });
  pre.append(more);
  return pre;
}

function field(name: string, value: string | number | null): HTMLElement[] {
  const dd = el('dd');
  if (value === null) dd.append(el('span', { class: 'muted' }, '—'));
  else appendVisibleText(dd, String(value));
  return [el('dt', {}, name), dd];
}

export class LineDetail {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;

  constructor(onClose: () => void) {
    const close = el('button', { type: 'button', class: 'close', title: 'Close (Esc)', 'aria-label': 'Close' }, '×');
    close.addEventListener('click', onClose);
    this.body = el('div', { class: 'detail-body' });
    this.element = el(
      'aside',
      { class: 'detail', hidden: true, 'aria-label': 'Log line details' },
      el('header', {}, el('h2', {}, 'Line details'), close),
      this.body,
    );
  }

  show(line: LogLine): void {
    clear(this.body);
    const sev = line.severity === null ? null : `${line.severity} ${line.severityName ?? severityName(line.severity)}`;
    this.body.append(
      el(
        'dl',
        {},
        ...field('Received', dateTime(line.receivedAt)),
        ...field('Device time', line.deviceTime),
        ...field('Device', line.device.address),
        ...field('Hostname', line.hostname),
        ...field('Source', line.source),
        ...field('Facility', line.facility),
        ...field('Severity', sev),
        ...field('Module', `${line.module} (${moduleLabel(line.module)})`),
        ...field('App', line.app),
        ...field('PID', line.pid),
        ...field('Sequence', line.seq),
        ...field('Line id', line.id),
      ),
      el('h3', {}, 'Message'),
      boundedText(line.message),
      el('h3', {}, 'Raw'),
      boundedText(line.raw),
    );
    this.element.hidden = false;
  }

  hide(): void {
    this.element.hidden = true;
  }
}
