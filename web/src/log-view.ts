// A tail -f style list of log rows: newest at the bottom, a bounded DOM, rendering in animation
// frames so a flood of lines costs at most one batch of DOM work per frame.
import { appendVisibleText, clear, el } from './dom.js';
import { count, moduleLabel, severityClass, severityName, shortTime } from './format.js';
import type { LogLine } from './types.js';

/** Rows kept in the DOM; older ones leave the view (history search still finds them). */
export const MAX_ROWS = 5000;
/** Rows created per animation frame: keeps a frame well under 16 ms on a laptop. */
const RENDER_BATCH_ROWS = 300;
/** Longest message shown before an explicit "show all". */
export const MESSAGE_PREVIEW_CHARS = 4096;
const MESSAGE_PREVIEW_LINES = 24;
/** Within this many pixels of the bottom counts as "at the bottom" (sub-pixel zoom rounding). */
const BOTTOM_SLACK_PX = 24;

type Item = { kind: 'line'; line: LogLine } | { kind: 'marker'; text: string; tone: 'skip' | 'info' | 'warn' };

export interface ViewStatus {
  rows: number;
  paused: boolean;
  /** Lines held while paused. */
  buffered: number;
  /** Lines that left the top of the view since the last clear. */
  trimmed: number;
  /** Lines added below the visible area while the user is scrolled up. */
  unseen: number;
  /** At the bottom, so new lines scroll into view. */
  following: boolean;
}

function previewOf(message: string): { text: string; truncated: boolean } {
  let end = Math.min(message.length, MESSAGE_PREVIEW_CHARS);
  let newlines = 0;
  for (let i = message.indexOf('\n'); i >= 0 && i < end; i = message.indexOf('\n', i + 1)) {
    if (++newlines === MESSAGE_PREVIEW_LINES) {
      end = i;
      break;
    }
  }
  return { text: message.slice(0, end), truncated: end < message.length };
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function messageCell(line: LogLine): HTMLElement {
  const cell = el('span', { class: 'c-msg' });
  const { text, truncated } = previewOf(line.message);
  appendVisibleText(cell, text);
  if (truncated) {
    const lines = lineCount(line.message);
    const size = `${lines > 1 ? `${count(lines)} lines, ` : ''}${count(line.message.length)} characters`;
    const more = el('button', { type: 'button', class: 'more' }, `… show all ${size}`);
    more.addEventListener('click', (ev) => {
      ev.stopPropagation();
      clear(cell);
      appendVisibleText(cell, line.message);
    });
    cell.append(more);
  }
  return cell;
}

export function renderRow(line: LogLine): HTMLElement {
  const sev = severityName(line.severity);
  return el(
    'div',
    { class: `row ${severityClass(line.severity)}`, 'data-id': line.id },
    el('span', { class: 'c-time', title: line.receivedAt }, shortTime(line.receivedAt)),
    el('span', { class: 'c-dev', title: line.hostname ?? line.device.address }, line.device.address),
    el('span', { class: 'c-mod', title: moduleLabel(line.module) }, line.module),
    el('span', { class: 'c-sev' }, sev),
    messageCell(line),
  );
}

function renderMarker(text: string, tone: 'skip' | 'info' | 'warn'): HTMLElement {
  return el('div', { class: `row marker marker-${tone}`, role: 'note' }, el('span', { class: 'c-marker' }, text));
}

export class LogView {
  /** Outer element: the scroller, the empty state and the jump-to-newest button. */
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly list: HTMLElement;
  private readonly emptyState: HTMLElement;
  private readonly jump: HTMLButtonElement;
  private readonly lineOf = new WeakMap<Element, LogLine>();
  private queue: Item[] = [];
  private pauseBuffer: Item[] = [];
  private pausedOverflow = 0;
  private bufferedLines = 0;
  private paused = false;
  private stickToBottom = true;
  private frame = 0;
  private trimmed = 0;
  private unseen = 0;
  private selected: Element | null = null;
  /** Where the selected row sat in the viewport when clicked. */
  private selectedOffsetPx = 0;
  /** Sizes at the last scroll we saw: a scroll with other sizes came from layout, not the user. */
  private seenScrollHeight = 0;
  private seenClientHeight = 0;
  private draggingScrollbar = false;
  private readonly endDrag = (): void => {
    this.draggingScrollbar = false;
  };
  private readonly resizeObserver = new ResizeObserver(() => this.keepPosition());

  constructor(
    private readonly onSelect: (line: LogLine) => void,
    private readonly onStatus: (s: ViewStatus) => void,
  ) {
    this.list = el('div', { class: 'rows', role: 'log', 'aria-live': 'off' });
    this.scroller = el('div', { class: 'scroller', tabindex: 0 }, this.list);
    this.emptyState = el('div', { class: 'empty' });
    this.jump = el('button', { type: 'button', class: 'jump', hidden: true });
    this.element = el('div', { class: 'log-view' }, this.scroller, this.emptyState, this.jump);

    this.scroller.addEventListener('scroll', () => this.onScroll());
    // Intent to scroll up is read from input, not inferred from scroll events: during a flood
    // every frame moves scrollTop, and a user's scroll would be lost among ours.
    this.scroller.addEventListener('wheel', (ev) => ev.deltaY < 0 && this.unstick(), { passive: true });
    this.scroller.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowUp' || ev.key === 'PageUp' || ev.key === 'Home') this.unstick();
    });
    this.scroller.addEventListener('pointerdown', (ev) => {
      if (ev.target === this.scroller) this.draggingScrollbar = true;
    });
    window.addEventListener('pointerup', this.endDrag);
    window.addEventListener('pointercancel', this.endDrag);
    // Width changes (detail panel, window resize) rewrap rows and move everything: keep the
    // bottom pinned when following, else keep the selected row where the user clicked it.
    this.resizeObserver.observe(this.scroller);
    this.list.addEventListener('click', (ev) => {
      const row = ev.target instanceof Element ? ev.target.closest('.row') : null;
      const line = row ? this.lineOf.get(row) : undefined;
      if (!row || !line) return;
      // Let users select text in a row without opening the details.
      if (window.getSelection()?.toString()) return;
      this.selected?.classList.remove('selected');
      row.classList.add('selected');
      this.selected = row;
      this.selectedOffsetPx = (row as HTMLElement).offsetTop - this.scroller.scrollTop;
      this.onSelect(line);
    });
    this.jump.addEventListener('click', () => this.scrollToBottom());
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.resizeObserver.disconnect();
    window.removeEventListener('pointerup', this.endDrag);
    window.removeEventListener('pointercancel', this.endDrag);
  }

  setEmptyMessage(...content: (Node | string)[]): void {
    clear(this.emptyState);
    this.emptyState.append(...content);
    this.updateEmpty();
  }

  /** Adds lines (oldest first) below the existing ones. */
  append(lines: readonly LogLine[]): void {
    for (const line of lines) this.enqueue({ kind: 'line', line });
  }

  appendMarker(text: string, tone: 'skip' | 'info' | 'warn'): void {
    this.enqueue({ kind: 'marker', text, tone });
  }

  /** Inserts older lines (oldest first) at the top without moving what the user is looking at. */
  prepend(lines: readonly LogLine[]): void {
    const room = MAX_ROWS - this.list.childElementCount;
    if (room <= 0 || lines.length === 0) return;
    const take = lines.slice(Math.max(0, lines.length - room));
    const anchor = this.list.firstElementChild as HTMLElement | null;
    const before = anchor?.offsetTop ?? 0;
    const frag = document.createDocumentFragment();
    for (const line of take) frag.append(this.rowFor(line));
    this.list.prepend(frag);
    if (anchor) this.scroller.scrollTop += anchor.offsetTop - before;
    this.updateEmpty();
    this.report();
  }

  get rowCount(): number {
    return this.list.childElementCount;
  }

  get isFull(): boolean {
    return this.list.childElementCount >= MAX_ROWS;
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!paused) {
      if (this.pausedOverflow > 0) {
        this.queue.push({
          kind: 'marker',
          tone: 'skip',
          text: `${count(this.pausedOverflow)} lines not kept while paused (only the newest ${count(MAX_ROWS)} are held); search history to see them`,
        });
        this.pausedOverflow = 0;
      }
      this.queue.push(...this.pauseBuffer);
      this.pauseBuffer = [];
      this.bufferedLines = 0;
      this.schedule();
    }
    this.report();
  }

  clear(): void {
    this.queue = [];
    this.pauseBuffer = [];
    this.bufferedLines = 0;
    this.pausedOverflow = 0;
    this.trimmed = 0;
    this.unseen = 0;
    this.selected = null;
    clear(this.list);
    this.stickToBottom = true;
    this.updateEmpty();
    this.report();
  }

  scrollToBottom(): void {
    this.stickToBottom = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.unseen = 0;
    this.report();
  }

  private onScroll(): void {
    const s = this.scroller;
    const layoutChanged = s.scrollHeight !== this.seenScrollHeight || s.clientHeight !== this.seenClientHeight;
    this.seenScrollHeight = s.scrollHeight;
    this.seenClientHeight = s.clientHeight;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK_PX;
    if (atBottom) {
      if (!this.stickToBottom || this.unseen > 0) {
        this.stickToBottom = true;
        this.unseen = 0;
        this.report();
      }
      return;
    }
    if (!this.stickToBottom) return;
    // Rows rewrapped under us: stay pinned. A drag of the scrollbar is the user's, though.
    if (layoutChanged && !this.draggingScrollbar) {
      s.scrollTop = s.scrollHeight;
      return;
    }
    this.unstick();
  }

  /** The user scrolled up: stop following at once, before a flood's next frame pins us again. */
  private unstick(): void {
    if (!this.stickToBottom) return;
    this.stickToBottom = false;
    this.report();
  }

  private keepPosition(): void {
    const s = this.scroller;
    if (this.stickToBottom) s.scrollTop = s.scrollHeight;
    else if (this.selected instanceof HTMLElement) s.scrollTop = this.selected.offsetTop - this.selectedOffsetPx;
  }

  private enqueue(item: Item): void {
    if (this.paused) {
      this.pauseBuffer.push(item);
      if (item.kind === 'line') this.bufferedLines++;
      if (this.pauseBuffer.length > MAX_ROWS) {
        const dropped = this.pauseBuffer.splice(0, this.pauseBuffer.length - MAX_ROWS);
        const droppedLines = dropped.filter((i) => i.kind === 'line').length;
        this.pausedOverflow += droppedLines;
        this.bufferedLines -= droppedLines;
      }
      this.report();
      return;
    }
    this.queue.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    // Lines that would be trimmed in the same flush are never built: say so instead.
    if (this.queue.length > MAX_ROWS) {
      const skipped = this.queue.splice(0, this.queue.length - MAX_ROWS);
      const n = skipped.filter((i) => i.kind === 'line').length;
      this.queue.unshift({ kind: 'marker', tone: 'skip', text: `${count(n)} lines skipped (too fast to display); search history to see them` });
    }
    const batch = this.queue.splice(0, RENDER_BATCH_ROWS);
    const frag = document.createDocumentFragment();
    let lines = 0;
    for (const item of batch) {
      if (item.kind === 'line') {
        frag.append(this.rowFor(item.line));
        lines++;
      } else {
        frag.append(renderMarker(item.text, item.tone));
      }
    }
    this.list.append(frag);
    this.trim();
    if (this.stickToBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
    else this.unseen += lines;
    this.updateEmpty();
    this.report();
    if (this.queue.length > 0) this.schedule();
  }

  private trim(): void {
    const excess = this.list.childElementCount - MAX_ROWS;
    if (excess <= 0) return;
    const firstKept = this.list.children[excess] as HTMLElement | undefined;
    const before = firstKept?.offsetTop ?? 0;
    for (let i = 0; i < excess; i++) {
      const row = this.list.firstElementChild;
      if (!row) break;
      if (!row.classList.contains('marker')) this.trimmed++;
      if (row === this.selected) this.selected = null;
      row.remove();
    }
    // Keep the rows the user is reading in place when they are scrolled up.
    if (!this.stickToBottom && firstKept) this.scroller.scrollTop -= before - firstKept.offsetTop;
  }

  private rowFor(line: LogLine): HTMLElement {
    const row = renderRow(line);
    this.lineOf.set(row, line);
    return row;
  }

  private updateEmpty(): void {
    const empty = this.list.childElementCount === 0 && this.queue.length === 0;
    this.emptyState.hidden = !empty;
  }

  private report(): void {
    this.jump.hidden = this.unseen === 0;
    this.jump.textContent = `↓ ${count(this.unseen)} new line${this.unseen === 1 ? '' : 's'}`;
    this.onStatus({
      rows: this.list.childElementCount,
      paused: this.paused,
      buffered: this.bufferedLines + this.pausedOverflow,
      trimmed: this.trimmed,
      unseen: this.unseen,
      following: this.stickToBottom,
    });
  }
}
