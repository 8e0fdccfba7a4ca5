// App shell: top nav, health strip, and one page at a time chosen by the URL hash.
import { AdminPage } from './admin-page.js';
import { AlertsPage } from './alerts-page.js';
import { fetchHealth } from './api.js';
import { CallDetailPage } from './call-detail-page.js';
import { CallsPage } from './calls-page.js';
import { CrashesPage } from './crashes-page.js';
import { DeviceDetailPage } from './device-detail-page.js';
import { DevicesPage } from './devices-page.js';
import { el } from './dom.js';
import { HealthStrip } from './health-strip.js';
import { ImportsPage } from './imports-page.js';
import { LiveConnection } from './live.js';
import { ensureSession, installCsrfHeader, sessionBar, type SessionInfo } from './login-page.js';
import { LogsPage } from './logs-page.js';
import { OverviewPage } from './overview-page.js';
import { QualityPage } from './quality-page.js';
import { currentRoute, pathParts } from './router.js';
import { SetupPage } from './setup-page.js';
import { StoreBanner } from './store-banner.js';

interface Page {
  readonly element: HTMLElement;
  update(params: URLSearchParams): void;
  destroy(): void;
}

interface PageDef {
  /** The first path segment this page answers (`/calls`); `/` is the overview. */
  path: string;
  title: string;
  /** Shown in the nav; detail pages live under their list's entry. */
  nav: boolean;
  /** Extra path segments this page takes (`/calls/:id` → 1). */
  args?: number;
  /** Offered to admins only (the server refuses its API to anyone else anyway). */
  adminOnly?: boolean;
  create: (live: LiveConnection, args: string[]) => Page;
}

/** New pages register here and get a nav entry in the same order. */
const PAGES: PageDef[] = [
  { path: '/', title: 'Overview', nav: true, create: (live) => new OverviewPage(live) },
  { path: '/calls', title: 'Calls', nav: true, create: (live) => new CallsPage(live) },
  { path: '/quality', title: 'Quality', nav: true, create: () => new QualityPage() },
  { path: '/calls', title: 'Call', nav: false, args: 1, create: (live, [id]) => new CallDetailPage(live, id ?? '') },
  { path: '/devices', title: 'Devices', nav: true, create: () => new DevicesPage() },
  { path: '/devices', title: 'Device', nav: false, args: 1, create: (live, [ref]) => new DeviceDetailPage(live, ref ?? '') },
  { path: '/logs', title: 'Logs', nav: true, create: (live) => new LogsPage(live) },
  { path: '/crashes', title: 'Crashes', nav: true, create: () => new CrashesPage() },
  { path: '/imports', title: 'Imports', nav: true, create: (live) => new ImportsPage(live) },
  { path: '/alerts', title: 'Alerts', nav: true, create: () => new AlertsPage() },
  { path: '/setup', title: 'Setup', nav: true, create: (live) => new SetupPage(live) },
  { path: '/admin', title: 'Admin', nav: true, adminOnly: true, create: () => new AdminPage() },
];

function findPage(path: string): { def: PageDef; args: string[] } | null {
  const parts = pathParts(path);
  const head = `/${parts[0] ?? ''}`;
  const args = parts.slice(1);
  const def = PAGES.find((p) => p.path === head && (p.args ?? 0) === args.length);
  return def ? { def, args } : null;
}

function start(root: HTMLElement, session: SessionInfo): void {
  const live = new LiveConnection();
  const health = new HealthStrip();
  const storeBanner = new StoreBanner();
  live.onHealth((h) => {
    health.update(h);
    storeBanner.update(h);
  });
  live.onConnection((state) => health.setConnection(state));

  // With logins off everyone is admin (the banner says so).
  const isAdmin = session.mode === 'off' || session.user?.role === 'admin';
  const links = new Map<string, HTMLAnchorElement>();
  const nav = el('nav', { 'aria-label': 'Pages' });
  for (const p of PAGES) {
    if (!p.nav || (p.adminOnly && !isAdmin)) continue;
    const a = el('a', { href: `#${p.path}` }, p.title);
    links.set(p.path, a);
    nav.append(a);
  }
  const main = el('main');
  // The user menu sits in the top bar; the no-login warning gets a row of its own, full width.
  const bar = sessionBar(session);
  const header = el('header', { class: 'top' }, el('a', { class: 'brand', href: '#/' }, 'ipp-collector'), nav);
  if (session.mode === 'off') root.append(header, bar);
  else {
    header.append(bar);
    root.append(header);
  }
  root.append(health.element, storeBanner.element, main);

  let page: Page | null = null;
  let pagePath = '';
  const route = (): void => {
    const r = currentRoute();
    const found = findPage(r.path);
    if (page && pagePath === r.path) {
      page.update(r.params);
      return;
    }
    page?.destroy();
    main.replaceChildren();
    const section = found ? found.def.path : '';
    for (const [path, a] of links) {
      if (path === section) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    pagePath = r.path;
    if (!found) {
      page = null;
      main.append(el('div', { class: 'page empty' }, el('p', {}, `No page at ${r.path}. `, el('a', { href: '#/' }, 'Go to the overview'))));
      document.title = 'ipp-collector';
      return;
    }
    if (found.def.adminOnly && !isAdmin) {
      page = null;
      main.append(el('div', { class: 'page empty admins-only', role: 'alert' },
        el('p', { class: 'lead' }, `${found.def.title}: admins only.`),
        el('p', {}, `You are logged in as ${session.user?.name ?? '?'} (${session.user?.role ?? 'no role'}). Ask an admin if you need this. `, el('a', { href: '#/' }, 'Go to the overview'))));
      document.title = 'ipp-collector';
      return;
    }
    page = found.def.create(live, found.args);
    main.append(page.element);
    page.update(r.params);
    document.title = `${found.def.title}${found.args.length > 0 ? ` ${found.args.join(' ')}` : ''} · ipp-collector`;
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

const appRoot = document.getElementById('app');
if (!appRoot) throw new Error('index.html has no #app element');
installCsrfHeader();
ensureSession(appRoot).then((session) => start(appRoot, session), (err: Error) => {
  appRoot.append(el('p', { class: 'page empty' }, `The collector did not answer: ${err.message}`));
});
