// A loud line under the nav while the store cannot write (disk full, I/O error): the listeners keep
// receiving, so the operator must know that what arrives now only waits in memory, and how much.
import { el } from './dom.js';
import { count } from './format.js';
import type { Health } from './types.js';

export class StoreBanner {
  readonly element: HTMLElement = el('div', { class: 'store-banner', role: 'alert', hidden: true, 'data-testid': 'store-banner' });

  update(h: Health): void {
    const failing = h.store.degraded === true;
    const stalled = h.store.stalled === true;
    this.element.hidden = !failing && !stalled;
    if (!failing && !stalled) return;
    if (!failing) {
      this.element.replaceChildren(
        el('strong', {}, 'Store not answering: '), `a write has waited ${Math.round((h.store.writeWaitingMs ?? 0) / 1000)} s`,
        ` — listeners are up, ${count(h.store.writeQueue)} lines waiting in memory; past the queue's bound lines are dropped and counted`,
      );
      return;
    }
    this.element.replaceChildren(
      el('strong', {}, 'Not storing: '), h.store.lastError ?? 'the last write failed',
      ` — listeners are up, ${count(h.store.writeQueue)} lines waiting, writing resumes when space returns`,
    );
  }
}
