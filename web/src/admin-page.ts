// Admin (#/admin): users (create, change role, disable and enable, reset a password shown once),
// API tokens (issue with a role and an expiry, the secret shown once; revoke), the sites table
// (subnet to site, instead of or over --sites), and the audit trail filtered by actor, action and
// time, older pages by cursor. The server decides who may: this
// page is only offered to admins (main.ts), and every route behind it is admin-only.
import {
  changeUser, createUser, fetchAudit, fetchSites, fetchTokens, fetchUsers, issueToken, resetPassword, revertSites, revokeToken, ROLES, saveSites,
  type AuditEntry, type AuditFilter, type Role, type SitesInfo, type TokenInfo, type UserInfo,
} from './admin-api.js';
import { copyText } from './clipboard.js';
import { clear, el, visibleText } from './dom.js';
import { dateTime } from './format.js';
import { fetchSession } from './login-page.js';

const AUDIT_PAGE = 100;
const MIN_PASSWORD_CHARS = 10;
const DAY_MS = 86_400_000;
const EXPIRIES: ReadonlyArray<{ label: string; days: number | null }> = [
  { label: '1 day', days: 1 }, { label: '7 days', days: 7 }, { label: '30 days', days: 30 },
  { label: '90 days', days: 90 }, { label: '1 year', days: 365 }, { label: 'never (until revoked)', days: null },
];
const DEFAULT_EXPIRY = '30 days';
/** The actions the collector writes, offered in the filter; any other text is searched as given. */
const KNOWN_ACTIONS = [
  'login', 'password', 'download', 'user.create', 'user.role', 'user.disable', 'user.enable', 'user.reset-password', 'user.delete',
  'token.issue', 'token.revoke', 'settings.sites', 'alert-rule.create', 'alert-rule.update', 'alert-rule.delete',
  'alert-silence.create', 'alert-silence.delete', 'post', 'put', 'patch', 'delete', 'csrf-rejected',
];
const SITES_SOURCE: Readonly<Record<SitesInfo['source'], string>> = {
  admin: 'In force: the table saved here (it overrides --sites).',
  config: 'In force: --sites from the configuration. Saving here overrides it.',
  none: 'No sites yet: every phone is "unassigned".',
};

const when = (iso: string | null): string => (iso === null ? '—' : dateTime(iso));

function roleSelect(name: string, selected: Role): HTMLSelectElement {
  const select = el('select', { name });
  for (const r of ROLES) select.append(el('option', { value: r, selected: r === selected }, r));
  return select;
}

/** `datetime-local` holds the browser's local time; the API takes an instant. */
function instantOf(input: HTMLInputElement): string | undefined {
  if (!input.value) return undefined;
  const ms = new Date(input.value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A secret shown once, with a copy button, until the admin dismisses it. */
class SecretBox {
  readonly element = el('div', { class: 'secret-box', role: 'status', hidden: true });

  show(lead: string, secret: string): void {
    const copied = el('span', { class: 'copied muted' });
    const copy = el('button', { type: 'button', class: 'copy' }, 'Copy');
    copy.addEventListener('click', () => {
      void copyText(secret).then((ok) => { copied.textContent = ok ? 'Copied' : 'Select the text and copy it'; });
    });
    const done = el('button', { type: 'button' }, 'Done');
    done.addEventListener('click', () => this.hide());
    this.element.replaceChildren(
      el('p', {}, lead, ' ', el('b', {}, 'It is shown only now.')),
      el('div', { class: 'secret-line' }, el('code', { class: 'secret' }, secret), copy, done, copied));
    this.element.hidden = false;
  }

  hide(): void {
    this.element.hidden = true;
    clear(this.element);
  }
}

export class AdminPage {
  readonly element: HTMLElement;
  private readonly usersBody = el('tbody');
  private readonly tokensBody = el('tbody');
  private readonly auditBody = el('tbody');
  private readonly userMessage = el('p', { class: 'admin-message', role: 'status' });
  private readonly tokenMessage = el('p', { class: 'admin-message', role: 'status' });
  private readonly auditMessage = el('p', { class: 'admin-message', role: 'status' });
  private readonly passwordBox = new SecretBox();
  private readonly tokenBox = new SecretBox();
  private readonly actorNames = el('datalist', { id: 'admin-actors' });
  private readonly auditFilter = {
    actor: el('input', { name: 'actor', list: 'admin-actors', placeholder: 'anyone', maxlength: 80 }),
    action: el('input', { name: 'action', list: 'admin-actions', placeholder: 'any action', maxlength: 32 }),
    since: el('input', { name: 'since', type: 'datetime-local', step: 1 }),
    until: el('input', { name: 'until', type: 'datetime-local', step: 1 }),
  };
  private readonly sitesText = el('textarea', { name: 'sites', rows: 5, spellcheck: false, placeholder: 'Berlin = 10.1.0.0/16, 10.2.0.0/16\nParis = 10.3.0.0/16' });
  private readonly sitesSource = el('p', { class: 'sites-source muted' });
  private readonly sitesMessage = el('p', { class: 'admin-message', role: 'status' });
  private readonly revertButton = el('button', { type: 'button', class: 'revert' }, 'Revert to --sites');
  private readonly olderButton = el('button', { type: 'button', class: 'more', hidden: true }, 'Older entries');
  /** Who is looking: their own row cannot be disabled (the server refuses it too). */
  private readonly me = fetchSession().then((s) => s.user?.name ?? null, () => null);
  private nextCursor: string | null = null;
  private auditRequests = 0;
  private destroyed = false;

  constructor() {
    this.element = el('div', { class: 'page admin-page' },
      el('div', { class: 'admin-body' }, this.usersCard(), this.tokensCard(), this.sitesCard(), this.auditCard()));
  }

  update(): void {
    this.loadUsers();
    this.loadTokens();
    this.loadSites();
    this.loadAudit(false);
  }

  destroy(): void {
    this.destroyed = true;
  }

  private say(target: HTMLElement, text: string, bad: boolean): void {
    target.className = `admin-message${bad ? ' bad' : ''}`;
    target.textContent = text;
  }

  /** Runs an admin change, then reloads what it touched; a refusal is shown as the server worded it. */
  private act(message: HTMLElement, done: string, change: () => Promise<void>, reload: () => void): void {
    change().then(() => {
      this.say(message, done, false);
      reload();
      this.loadAudit(false);
    }, (err: Error) => {
      this.say(message, err.message, true);
      reload();
    });
  }

  // ---- users ----

  private usersCard(): HTMLElement {
    const name = el('input', { name: 'name', required: true, maxlength: 64, pattern: '[A-Za-z0-9._@-]+', placeholder: 'name', autocomplete: 'off' });
    const role = roleSelect('role', 'viewer');
    const password = el('input', { name: 'password', type: 'password', required: true, minlength: MIN_PASSWORD_CHARS, maxlength: 1024, placeholder: `password, ${MIN_PASSWORD_CHARS}+ characters`, autocomplete: 'new-password' });
    const form = el('form', { class: 'admin-form', 'aria-label': 'Create a user' },
      el('label', { class: 'field' }, el('span', {}, 'Name'), name),
      el('label', { class: 'field' }, el('span', {}, 'Role'), role),
      el('label', { class: 'field' }, el('span', {}, 'Password'), password),
      el('button', { type: 'submit', class: 'primary' }, 'Create user'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const who = name.value;
      this.act(this.userMessage, `Created ${who}.`, async () => {
        await createUser(who, role.value as Role, password.value);
        form.reset();
      }, () => this.loadUsers());
    });
    return el('section', { class: 'card admin-card', 'data-section': 'users' },
      el('header', {}, el('h2', {}, 'Users')),
      form, this.userMessage, this.passwordBox.element,
      el('table', { class: 'grid admin-users' },
        el('thead', {}, el('tr', {}, ...['Name', 'Role', 'State', 'Last login', 'Created', ''].map((h) => el('th', {}, h)))),
        this.usersBody));
  }

  private loadUsers(): void {
    Promise.all([fetchUsers(), this.me]).then(([users, me]) => {
      if (this.destroyed) return;
      clear(this.usersBody);
      for (const u of users) this.usersBody.append(this.userRow(u, u.name === me));
      this.actorNames.replaceChildren(...users.map((u) => el('option', { value: u.name })));
    }, (err: Error) => this.say(this.userMessage, err.message, true));
  }

  private userRow(u: UserInfo, isMe: boolean): HTMLElement {
    const role = roleSelect('user-role', u.role);
    role.setAttribute('aria-label', `Role of ${u.name}`);
    role.addEventListener('change', () => {
      const next = role.value as Role;
      this.act(this.userMessage, `${u.name} is now ${next}.`, () => changeUser(u.name, { role: next }), () => this.loadUsers());
    });
    const toggle = el('button', { type: 'button', class: 'toggle', disabled: isMe, title: isMe ? 'you cannot disable yourself' : undefined }, u.disabled ? 'Enable' : 'Disable');
    toggle.addEventListener('click', () => {
      if (!u.disabled && !confirm(`Disable ${u.name}? They are logged out at once and cannot log in until enabled again.`)) return;
      this.act(this.userMessage, `${u.name} ${u.disabled ? 'enabled' : 'disabled'}.`, () => changeUser(u.name, { disabled: !u.disabled }), () => this.loadUsers());
    });
    const reset = el('button', { type: 'button', class: 'reset' }, 'Reset password');
    reset.addEventListener('click', () => {
      if (!confirm(`Give ${u.name} a new generated password? Their sessions end now.`)) return;
      this.act(this.userMessage, `${u.name}'s password was reset and their sessions ended.`, async () => {
        const password = await resetPassword(u.name);
        this.passwordBox.show(`New password for ${u.name}:`, password);
      }, () => this.loadUsers());
    });
    return el('tr', { 'data-user': u.name, class: u.disabled ? 'disabled' : '' },
      el('td', {}, visibleText(u.name), isMe ? el('span', { class: 'muted' }, ' (you)') : null),
      el('td', {}, role),
      el('td', {}, el('span', { class: `badge state ${u.disabled ? 'off' : 'on'}` }, u.disabled ? 'disabled' : 'enabled')),
      el('td', {}, when(u.lastLoginAt)),
      el('td', {}, when(u.createdAt)),
      el('td', { class: 'actions' }, toggle, ' ', reset));
  }

  // ---- tokens ----

  private tokensCard(): HTMLElement {
    const name = el('input', { name: 'token-name', required: true, maxlength: 64, placeholder: 'what uses it, e.g. grafana', autocomplete: 'off' });
    const role = roleSelect('token-role', 'viewer');
    const expiry = el('select', { name: 'token-expiry' });
    for (const e of EXPIRIES) expiry.append(el('option', { value: e.label, selected: e.label === DEFAULT_EXPIRY }, e.label));
    const form = el('form', { class: 'admin-form', 'aria-label': 'Issue a token' },
      el('label', { class: 'field' }, el('span', {}, 'Name'), name),
      el('label', { class: 'field' }, el('span', {}, 'Role'), role),
      el('label', { class: 'field' }, el('span', {}, 'Expires in'), expiry),
      el('button', { type: 'submit', class: 'primary' }, 'Issue token'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const days = EXPIRIES.find((e) => e.label === expiry.value)?.days ?? null;
      const label = name.value;
      this.act(this.tokenMessage, `Issued ${label}.`, async () => {
        const secret = await issueToken(label, role.value as Role, days === null ? null : new Date(Date.now() + days * DAY_MS).toISOString());
        this.tokenBox.show(`Token ${label} (send it as Authorization: Bearer …):`, secret);
        form.reset();
        expiry.value = DEFAULT_EXPIRY;
      }, () => this.loadTokens());
    });
    return el('section', { class: 'card admin-card', 'data-section': 'tokens' },
      el('header', {}, el('h2', {}, 'API tokens')),
      form, this.tokenMessage, this.tokenBox.element,
      el('table', { class: 'grid admin-tokens' },
        el('thead', {}, el('tr', {}, ...['Name', 'Role', 'Issued by', 'Issued', 'Last used', 'Expires', 'State', ''].map((h) => el('th', {}, h)))),
        this.tokensBody));
  }

  private loadTokens(): void {
    fetchTokens().then((tokens) => {
      if (this.destroyed) return;
      clear(this.tokensBody);
      // Live tokens first, newest first; revoked and expired ones stay listed for the record.
      const live = (t: TokenInfo) => !t.revoked && !t.expired;
      const sorted = [...tokens].sort((a, b) => Number(live(b)) - Number(live(a)) || b.id - a.id);
      if (sorted.length === 0) this.tokensBody.append(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No tokens issued.')));
      for (const t of sorted) this.tokensBody.append(this.tokenRow(t));
    }, (err: Error) => this.say(this.tokenMessage, err.message, true));
  }

  private tokenRow(t: TokenInfo): HTMLElement {
    const state = t.revoked ? 'revoked' : t.expired ? 'expired' : 'live';
    const revoke = el('button', { type: 'button', class: 'revoke', disabled: state !== 'live' }, 'Revoke');
    revoke.addEventListener('click', () => {
      if (!confirm(`Revoke token ${t.name}? Whatever uses it is refused from now on.`)) return;
      this.act(this.tokenMessage, `Revoked ${t.name}.`, () => revokeToken(t.id), () => this.loadTokens());
    });
    return el('tr', { 'data-token': String(t.id), class: state },
      el('td', {}, visibleText(t.name)),
      el('td', {}, t.role),
      el('td', {}, visibleText(t.createdBy)),
      el('td', {}, when(t.createdAt)),
      el('td', {}, when(t.lastUsedAt)),
      el('td', {}, t.expiresAt === null ? 'never' : when(t.expiresAt)),
      el('td', {}, el('span', { class: `badge state ${state === 'live' ? 'on' : 'off'}` }, state)),
      el('td', { class: 'actions' }, revoke));
  }

  // ---- sites ----

  private sitesCard(): HTMLElement {
    const form = el('form', { class: 'sites-form', 'aria-label': 'Sites table' },
      el('label', { class: 'sites-field' }, el('span', { class: 'muted' }, 'One site per line: name = networks (CIDR), comma-separated.'), this.sitesText),
      el('div', { class: 'sites-buttons' }, el('button', { type: 'submit', class: 'primary' }, 'Save sites'), this.revertButton, this.sitesSource));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.sitesChange(() => saveSites(tableOf(this.sitesText.value)), 'Saved; phones are placed by this table from now on.');
    });
    this.revertButton.addEventListener('click', () => {
      if (!confirm('Drop the table saved here and use --sites from the configuration again?')) return;
      this.sitesChange(revertSites, 'Reverted to --sites.');
    });
    return el('section', { class: 'card admin-card', 'data-section': 'sites' },
      el('header', {}, el('h2', {}, 'Sites'), el('span', { class: 'muted' }, 'a phone belongs to the first site whose networks hold its address: the Quality page, metrics and alerts')),
      form, this.sitesMessage);
  }

  private showSites(s: SitesInfo): void {
    this.sitesText.value = linesOf(s.table);
    this.sitesSource.textContent = SITES_SOURCE[s.source];
    this.revertButton.disabled = s.source !== 'admin';
  }

  private loadSites(): void {
    fetchSites().then((s) => {
      if (!this.destroyed) this.showSites(s);
    }, (err: Error) => this.say(this.sitesMessage, err.message, true));
  }

  private sitesChange(change: () => Promise<SitesInfo>, done: string): void {
    change().then((s) => {
      this.showSites(s);
      this.say(this.sitesMessage, done, false);
      this.loadAudit(false);
    }, (err: Error) => this.say(this.sitesMessage, err.message, true));
  }

  // ---- audit ----

  private auditCard(): HTMLElement {
    const f = this.auditFilter;
    const actions = el('datalist', { id: 'admin-actions' }, ...KNOWN_ACTIONS.map((a) => el('option', { value: a })));
    const clearButton = el('button', { type: 'button' }, 'Clear');
    clearButton.addEventListener('click', () => {
      form.reset();
      this.loadAudit(false);
    });
    const form = el('form', { class: 'admin-form audit-filters', 'aria-label': 'Filter the audit log' },
      el('label', { class: 'field' }, el('span', {}, 'Actor'), f.actor),
      el('label', { class: 'field' }, el('span', {}, 'Action'), f.action),
      el('label', { class: 'field' }, el('span', {}, 'From'), f.since),
      el('label', { class: 'field' }, el('span', {}, 'To'), f.until),
      el('button', { type: 'submit', class: 'primary' }, 'Filter'), clearButton, this.actorNames, actions);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.loadAudit(false);
    });
    this.olderButton.addEventListener('click', () => this.loadAudit(true));
    return el('section', { class: 'card admin-card', 'data-section': 'audit' },
      el('header', {}, el('h2', {}, 'Audit log'), el('span', { class: 'muted' }, 'logins, downloads of audio and raw data, and every change, newest first')),
      form, this.auditMessage,
      el('table', { class: 'grid admin-audit' },
        el('thead', {}, el('tr', {}, ...['Time', 'Actor', 'Action', 'Target', 'From', 'Result', 'Detail'].map((h) => el('th', {}, h)))),
        this.auditBody),
      this.olderButton);
  }

  private currentFilter(): AuditFilter {
    const f = this.auditFilter;
    const filter: AuditFilter = {};
    const actor = f.actor.value.trim();
    const action = f.action.value.trim();
    const since = instantOf(f.since);
    const until = instantOf(f.until);
    if (actor) filter.actor = actor;
    if (action) filter.action = action;
    if (since) filter.since = since;
    if (until) filter.until = until;
    return filter;
  }

  /** The first page for the filter, or (older) the page after the last one shown. */
  private loadAudit(older: boolean): void {
    const filter = this.currentFilter();
    if (older && this.nextCursor) filter.cursor = this.nextCursor;
    // Only the newest request draws: an older filter's answer arriving late must not replace it.
    const asked = ++this.auditRequests;
    fetchAudit(filter, AUDIT_PAGE).then(({ entries, nextCursor }) => {
      if (this.destroyed || asked !== this.auditRequests) return;
      if (!older) clear(this.auditBody);
      for (const e of entries) this.auditBody.append(auditRow(e));
      if (!older && entries.length === 0) this.auditBody.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No entries match.')));
      this.nextCursor = nextCursor;
      this.olderButton.hidden = nextCursor === null;
      this.say(this.auditMessage, '', false);
    }, (err: Error) => this.say(this.auditMessage, err.message, true));
  }
}

/** The API's `A=net,net;B=net` as one site per line, `A = net, net`, for editing. */
function linesOf(table: string): string {
  return table.split(';').map((s) => s.trim()).filter(Boolean).map((s) => {
    const eq = s.indexOf('=');
    return eq < 0 ? s : `${s.slice(0, eq).trim()} = ${s.slice(eq + 1).split(',').map((n) => n.trim()).join(', ')}`;
  }).join('\n');
}

/** The edited lines back as the API's table (`;` between sites, no spaces); blank lines are dropped. */
function tableOf(lines: string): string {
  return lines.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const eq = l.indexOf('=');
    // A line without `=` goes as typed: the server's refusal names it.
    return eq < 0 ? l : `${l.slice(0, eq).trim()}=${l.slice(eq + 1).split(',').map((n) => n.trim()).filter(Boolean).join(',')}`;
  }).join(';');
}

function auditRow(e: AuditEntry): HTMLElement {
  return el('tr', { 'data-action': e.action, class: e.ok ? '' : 'failed' },
    el('td', { class: 'mono' }, dateTime(e.at)),
    el('td', {}, visibleText(e.actor)),
    el('td', {}, el('code', {}, visibleText(e.action))),
    el('td', { class: 'why', title: visibleText(e.target) }, visibleText(e.target)),
    el('td', { class: 'mono' }, visibleText(e.address)),
    el('td', { class: e.ok ? '' : 'bad' }, e.ok ? 'ok' : 'refused'),
    el('td', { class: 'why', title: visibleText(e.detail) }, visibleText(e.detail)));
}
