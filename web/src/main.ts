// App shell: top nav, health strip, and one page at a time chosen by the URL hash.
import { fetchHealth } from './api.js';
import { CrashesPage } from './crashes-page.js';
import { DevicesPage } from './devices-page.js';
import { el } from './dom.js';
import { HealthStrip } from './health-strip.js';
import { LiveConnection } from './live.js';
import { LogsPage } from './logs-page.js';
import { currentRoute } from './router.js';

interface Page {
  readonly element: HTMLElement;
  update(params: URLSearchParams): void;
  destroy(): void;
}

/** New pages register here and get a nav entry in the same order. */
const PAGES: { path: string; title: string; create: (live: LiveConnection) => Page }[] = [
  { path: '/logs', title: 'Logs', create: (live) => new LogsPage(live) },
  { path: '/devices', title: 'Devices', create: () => new DevicesPage() },
  { path: '/crashes', title: 'Crashes', create: () => new CrashesPage() },
];

function start(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('index.html has no #app element');
  const live = new LiveConnection();
  const health = new HealthStrip();
  live.onHealth((h) => health.update(h));
  live.onConnection((state) => health.setConnection(state));

  const links = new Map<string, HTMLAnchorElement>();
  const nav = el('nav', { 'aria-label': 'Pages' });
  for (const p of PAGES) {
    const a = el('a', { href: `#${p.path}` }, p.title);
    links.set(p.path, a);
    nav.append(a);
  }
  const main = el('main');
  root.append(el('header', { class: 'top' }, el('a', { class: 'brand', href: '#/logs' }, 'ipp-collector'), nav), health.element, main);

  let page: Page | null = null;
  let pagePath = '';
  const route = (): void => {
    const r = currentRoute();
    const def = PAGES.find((p) => p.path === r.path);
    if (page && pagePath === r.path) {
      page.update(r.params);
      return;
    }
    page?.destroy();
    main.replaceChildren();
    for (const [path, a] of links) {
      if (path === r.path) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!def) {
      page = null;
      pagePath = r.path;
      main.append(el('div', { class: 'page empty' }, el('p', {}, `No page at ${r.path}. `, el('a', { href: '#/logs' }, 'Go to Logs'))));
      document.title = 'ipp-collector';
      return;
    }
    page = def.create(live);
    pagePath = r.path;
    main.append(page.element);
    page.update(r.params);
    document.title = `${def.title} · ipp-collector`;
  };
  window.addEventListener('hashchange', route);
  window.addEventListener('popstate', route);
  route();
  // The socket's first health push can be 2 s away; the strip and empty states need ports now.
  fetchHealth().then(
    (h) => live.publishHealth(h),
    () => undefined, // the socket's connect_error reports an unreachable collector
  );
}

start();
