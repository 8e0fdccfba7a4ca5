// Who is using the dashboard: the login form (when the collector asks for one), the user menu
// with logout, the banner that says when nobody is asked at all (--no-auth), and the CSRF header
// every write must carry.
import { el } from './dom.js';

export interface SessionInfo {
  mode: 'on' | 'off';
  user: { name: string; role: string } | null;
}

const CSRF_COOKIE = 'ipp_csrf';
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfToken(): string {
  for (const part of document.cookie.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === CSRF_COOKIE && v) return v;
  }
  return '';
}

/**
 * Every same-origin write from any part of the page (API helpers, uploads) echoes the session's
 * CSRF token: installed once on fetch, so no page can forget it.
 */
export function installCsrfHeader(): void {
  const original = window.fetch.bind(window);
  window.fetch = (input: RequestInfo | URL, init: RequestInit = {}) => {
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (READ_METHODS.has(method) || url.origin !== location.origin) return original(input, init);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('X-CSRF-Token', csrfToken());
    return original(input, { ...init, headers });
  };
}

export async function fetchSession(): Promise<SessionInfo> {
  const res = await fetch('/api/auth/session', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`/api/auth/session answered ${res.status}`);
  const body = await res.json() as Partial<SessionInfo>;
  return { mode: body.mode === 'off' ? 'off' : 'on', user: body.user ?? null };
}

/** Resolves with the session once someone is logged in (at once when already, or when auth is off). */
export async function ensureSession(root: HTMLElement): Promise<SessionInfo> {
  const session = await fetchSession();
  if (session.mode === 'off' || session.user) return session;
  return new Promise((resolve) => root.append(loginForm(async () => resolve(await fetchSession()), root)));
}

function loginForm(onLoggedIn: () => Promise<void>, root: HTMLElement): HTMLElement {
  const user = el('input', { name: 'user', autocomplete: 'username', required: true, maxlength: 64 });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
  const message = el('p', { class: 'login-message', role: 'alert' });
  const button = el('button', { type: 'submit' }, 'Log in');
  const form = el('form', { class: 'login', 'aria-label': 'Log in' },
    el('h1', {}, 'ipp-collector'),
    el('label', {}, 'User ', user),
    el('label', {}, 'Password ', password),
    button, message);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    message.textContent = '';
    fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: user.value, password: password.value }) })
      .then(async (res) => {
        if (res.ok) {
          root.replaceChildren();
          await onLoggedIn();
          return;
        }
        const body = await res.json().catch(() => ({})) as { error?: string };
        message.textContent = body.error ?? `login failed (${res.status})`;
      }, () => { message.textContent = 'the collector did not answer'; })
      .finally(() => { button.disabled = false; password.value = ''; });
  });
  return el('div', { class: 'page login-page' }, form);
}

/** The user menu (name, role, logout), or the no-login warning when auth is off. */
export function sessionBar(session: SessionInfo): HTMLElement {
  if (session.mode === 'off') {
    return el('div', { class: 'auth-off-banner', role: 'status' },
      'No login (--no-auth): anyone who can reach this port sees and changes everything. Lab use only.');
  }
  const logout = el('button', { type: 'button', class: 'logout' }, 'Log out');
  logout.addEventListener('click', () => {
    fetch('/api/auth/logout', { method: 'POST' }).finally(() => location.reload());
  });
  return el('div', { class: 'user-menu' }, el('span', { class: 'user-name' }, session.user?.name ?? ''), ' ',
    el('span', { class: 'badge role' }, session.user?.role ?? ''), ' ', logout);
}
