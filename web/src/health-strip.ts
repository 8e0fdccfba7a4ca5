// The strip under the nav: is each listener up, what has each source received, is the store
// keeping up. Fixed-width numbers so the strip never reflows as counters tick.
import { clear, el } from './dom.js';
import { bytes, count, duration } from './format.js';
import type { ConnectionState } from './live.js';
import type { Health, SourceCounters } from './types.js';

/** Health arrives every 2 s; after this long without one the numbers are marked stale. */
const STALE_AFTER_MS = 6000;
const ZERO: SourceCounters = { received: 0, bytes: 0, parsed: 0, malformed: 0, dropped: 0, stored: 0, queued: 0 };

/** Firing alerts (and failed deliveries) at a glance, linking to the alerts page. */
function alertBadge(a: NonNullable<Health['alerts']>): HTMLElement {
  const failed = a.deliveriesFailed ?? 0;
  return el('a', { href: '#/alerts', class: `alerts-badge${a.firing > 0 ? ' firing' : ''}`, title: 'alerts firing now / deliveries that failed' },
    `alerts ${count(a.firing)} firing`, failed > 0 ? el('b', { class: 'bad' }, ` · ${count(failed)} failed`) : null);
}

export class HealthStrip {
  readonly element: HTMLElement;
  private readonly listeners: HTMLElement;
  private readonly counters: HTMLElement;
  private readonly totals: HTMLElement;
  private readonly summary: HTMLElement;
  private staleTimer = 0;
  private last: Health | null = null;

  constructor() {
    this.listeners = el('div', { class: 'listeners' });
    this.counters = el('table', { class: 'counters' });
    this.totals = el('summary', { title: 'Counters per source' }, 'counters');
    this.summary = el('div', { class: 'summary' });
    this.element = el(
      'section',
      { class: 'health', 'aria-label': 'Collector health' },
      this.listeners,
      // One line by default: the charts and lists below need the height; the table opens on demand.
      el('details', { class: 'counter-details' }, this.totals, el('div', { class: 'popup' }, this.counters)),
      this.summary,
    );
    this.setConnection('connecting');
  }

  get latest(): Health | null {
    return this.last;
  }

  /** `connecting` until the first attempt has failed: a page load is not an outage. */
  setConnection(state: ConnectionState): void {
    this.element.classList.toggle('disconnected', state === 'disconnected');
    if (state === 'connected') return;
    clear(this.summary);
    this.summary.append(
      state === 'connecting'
        ? el('span', { class: 'conn muted' }, 'Connecting to the collector…')
        : el('span', { class: 'conn bad' }, 'Not connected to the collector; retrying…'),
    );
  }

  update(h: Health): void {
    this.last = h;
    this.element.classList.remove('stale');
    clearTimeout(this.staleTimer);
    this.staleTimer = window.setTimeout(() => this.element.classList.add('stale'), STALE_AFTER_MS);

    clear(this.listeners);
    for (const l of h.listeners) {
      const title = l.error ? `${l.state}: ${l.error}` : l.state;
      const where = l.state === 'disabled' ? 'off' : `${l.transport}/${l.port}`;
      this.listeners.append(
        el(
          'span',
          { class: `listener state-${l.state}`, title },
          el('span', { class: 'dot', 'aria-hidden': 'true' }),
          `${l.name} `,
          el('span', { class: 'port' }, where),
          l.state === 'failed' ? el('span', { class: 'err' }, ` failed${l.error ? `: ${l.error}` : ''}`) : null,
        ),
      );
    }

    clear(this.counters);
    const head = el('tr', {}, el('th', {}, 'source'));
    for (const c of ['received', 'parsed', 'malformed', 'dropped', 'kernel-dropped', 'queued', 'stored']) head.append(el('th', { title: c === 'kernel-dropped' ? 'lost in the kernel before the collector read them (socket buffer full)' : '' }, c));
    // A row per receiving listener from the start, zeros included, so the strip does not grow
    // when a source sees its first packet.
    const receiving = h.listeners.filter((l) => l.name !== 'web' && l.state !== 'disabled').map((l) => l.name);
    const sources = new Set([...receiving, ...Object.keys(h.counters)]);
    const rows = [...sources].map((source) => [source, h.counters[source] ?? ZERO] as const).map(([source, c]) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, source),
        el('td', { title: `${bytes(c.bytes)} received` }, count(c.received)),
        el('td', {}, count(c.parsed)),
        el('td', { class: c.malformed > 0 ? 'warn' : '' }, count(c.malformed)),
        el('td', { class: c.dropped > 0 ? 'bad' : '' }, count(c.dropped)),
        el('td', { class: (c.kernelDropped ?? 0) > 0 ? 'bad' : '' }, count(c.kernelDropped ?? 0)),
        el('td', { title: 'waiting for the store' }, count(c.queued ?? 0)),
        el('td', {}, count(c.stored)),
      ),
    );
    this.counters.append(el('thead', {}, head), el('tbody', {}, ...rows));
    const all = Object.values(h.counters).reduce((a, c) => ({ received: a.received + c.received, malformed: a.malformed + c.malformed, dropped: a.dropped + c.dropped + (c.kernelDropped ?? 0) }),
      { received: 0, malformed: 0, dropped: 0 });
    clear(this.totals);
    this.totals.append(
      `received ${count(all.received)} · malformed `,
      el('b', { class: all.malformed > 0 ? 'warn' : '' }, count(all.malformed)),
      ' · dropped ',
      el('b', { class: all.dropped > 0 ? 'bad' : '' }, count(all.dropped)));

    clear(this.summary);
    const s = h.store;
    this.summary.append(
      el('span', { class: 'conn ok' }, 'live'),
      el('span', { title: 'browsers connected / lines not sent to a browser that was too slow' },
        `clients ${count(h.live.clients)} · live-dropped `,
        el('b', { class: h.live.dropped > 0 ? 'bad' : '' }, count(h.live.dropped))),
      ...(h.alerts ? [alertBadge(h.alerts)] : []),
      el('span', { title: `store backend ${s.backend}` }, `store ${count(s.logs)} lines, ${bytes(s.sizeBytes)} · `, queueGauge(s)),
      ...(s.lastError ? [el('span', { class: 'bad', title: s.lastError }, `store error: ${s.lastError}`)] : []),
      el('span', { class: 'muted', title: `started ${h.startedAt}` }, `v${h.version} · up ${duration(h.uptimeS)}`),
    );
  }
}

/**
 * The store queue against its bounds: during a burst the store falls behind and catches up, and
 * what an admin needs to see is how close the queue came to dropping lines.
 */
function queueGauge(s: Health['store']): HTMLElement {
  const lines = s.writeQueueMax ? s.writeQueue / s.writeQueueMax : 0;
  const byteShare = s.writeQueueMaxBytes && s.writeQueueBytes !== undefined ? s.writeQueueBytes / s.writeQueueMaxBytes : 0;
  const full = Math.max(lines, byteShare);
  const title = s.writeQueueMax
    ? `lines waiting for the store: ${count(s.writeQueue)} of ${count(s.writeQueueMax)}, ${bytes(s.writeQueueBytes ?? 0)} of ${bytes(s.writeQueueMaxBytes ?? 0)}; past either bound new lines are dropped and counted`
    : 'lines waiting for the store';
  return el('span', { class: full >= 0.8 ? 'bad' : '', title, 'data-queue-full': String(Math.round(full * 100)) },
    s.writeQueueMax && full >= 0.01 ? `queue ${count(s.writeQueue)} (${Math.round(full * 100)} % full)` : `queue ${count(s.writeQueue)}`);
}
