// Alerts (#/alerts): what is firing now (with its deep link and a Silence button), the rules with a
// create form whose parameter fields follow the kind, silences over a time window, resolved
// history, and every delivery with its attempts so a failed one is shown rather than lost. Write
// controls are drawn for admins only; the server refuses writes from anyone else regardless.
import {
  createRule, createSilence, deleteRule, deleteSilence, evaluateNow, fetchDeliveries, fetchEpisodes, fetchRules, fetchSilences, SCOPE_FIELDS, setRuleEnabled,
  type AlertDelivery, type AlertEpisode, type AlertKind, type AlertRule, type AlertRuleInput, type AlertSilence, type ScopeField,
} from './alerts-api.js';
import { clear, el, visibleText } from './dom.js';
import { dateTime } from './format.js';
import { fetchSession } from './login-page.js';

/** No socket event for alerts in LiveConnection yet; a short poll keeps the page current. */
const POLL_MS = 5000;
const HISTORY_LIMIT = 100;
const DELIVERY_LIMIT = 100;
const SILENCE_HOURS = [1, 4, 24, 24 * 7];

/** Each kind's parameters as the form asks for them, and the scope fields the server accepts for it (docs/api.md "Alerts"). */
interface KindSpec {
  kind: AlertKind;
  label: string;
  params: ReadonlyArray<{ name: string; label: string; required: boolean; options?: readonly string[]; step?: string; placeholder?: string }>;
  scope: readonly ScopeField[];
}

const KINDS: readonly KindSpec[] = [
  { kind: 'poor-call-rate', label: 'Poor-call rate', scope: ['site', 'model', 'firmware', 'peer'], params: [
    { name: 'thresholdPct', label: 'Poor calls above %', required: true, step: 'any' },
    { name: 'windowMin', label: 'Window (min)', required: false, placeholder: '15' },
    { name: 'minCalls', label: 'Min calls', required: false, placeholder: '10' },
    { name: 'by', label: 'One episode per', required: false, options: ['site', 'model', 'firmware', 'peer'] },
  ] },
  { kind: 'call-mos-below', label: 'Call MOS below', scope: ['site', 'model', 'firmware', 'peer'], params: [
    { name: 'mos', label: 'MOS below', required: true, step: 'any' },
    { name: 'resolveMin', label: 'Resolve after (min)', required: false, placeholder: '15' },
  ] },
  { kind: 'crash-group', label: 'Crash group', scope: ['model', 'firmware'], params: [
    { name: 'mode', label: 'Mode', required: true, options: ['new', 'spike'] },
    { name: 'count', label: 'Crashes (spike)', required: false, placeholder: '5' },
    { name: 'windowMin', label: 'Window (min)', required: false, placeholder: '60' },
  ] },
  { kind: 'device-silent', label: 'Device silent', scope: ['site', 'model', 'firmware'], params: [
    { name: 'minutes', label: 'Silent for (min)', required: true, step: 'any' },
  ] },
  { kind: 'syslog-gaps', label: 'Syslog gaps', scope: ['site', 'model', 'firmware'], params: [
    { name: 'perMinute', label: 'Gaps + drops per min', required: true, step: 'any' },
    { name: 'by', label: 'One episode per', required: false, options: ['device'] },
  ] },
  { kind: 'source-fault', label: 'Source fault', scope: [], params: [] },
];

const at = (ms: number | null): string => (ms === null ? '—' : dateTime(new Date(ms).toISOString()));
const keyText = (key: string | null): string => (key === null || key === '' ? '(all)' : visibleText(key));

/** `datetime-local` holds the browser's local time; the API takes an instant in ms. */
function msOf(input: HTMLInputElement): number | undefined {
  if (!input.value) return undefined;
  const ms = new Date(input.value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

function localValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function paramsText(rule: AlertRule): string {
  return Object.entries(rule.params).map(([k, v]) => `${k} ${String(v)}`).join(', ') || '—';
}

function scopeText(scope: AlertRule['scope']): string {
  return Object.entries(scope).map(([k, v]) => `${k}=${v}`).join(', ') || 'whole fleet';
}

function channelsText(rule: AlertRule): string {
  const parts: string[] = [];
  if (rule.channels.webhook) parts.push(`webhook ${rule.channels.webhook.url}${rule.channels.webhook.hasSecret ? ' (signed)' : ''}`);
  if (rule.channels.email) parts.push(`e-mail ${rule.channels.email.to.join(', ')}`);
  return parts.join('; ') || 'none (shown here only)';
}

function table(cls: string, heads: string[], body: HTMLElement): HTMLTableElement {
  return el('table', { class: `grid compact ${cls}` }, el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', {}, h)))), body);
}

function card(section: string, title: string, ...children: Array<Node | null>): HTMLElement {
  return el('section', { class: 'card alerts-card', 'data-section': section }, el('header', {}, el('h2', {}, title)), ...children);
}

export class AlertsPage {
  readonly element: HTMLElement;
  private readonly firingBody = el('tbody');
  private readonly rulesBody = el('tbody');
  private readonly silencesBody = el('tbody');
  private readonly historyBody = el('tbody');
  private readonly deliveriesBody = el('tbody');
  private readonly message = el('p', { class: 'admin-message alerts-message', role: 'status' });
  private readonly ruleMessage = el('p', { class: 'admin-message', role: 'status' });
  private readonly silenceMessage = el('p', { class: 'admin-message', role: 'status' });
  private readonly silenceRule = el('select', { name: 'silence-rule' });
  private readonly silenceKey = el('input', { name: 'silence-key', placeholder: 'every key', maxlength: 200 });
  private readonly silenceEnd = el('input', { name: 'silence-end', type: 'datetime-local' });
  private readonly silenceForm: HTMLFormElement;
  private readonly ruleForm: HTMLFormElement;
  private readonly adminOnly: HTMLElement[] = [];
  private rules: AlertRule[] = [];
  private isAdmin = false;
  private timer = 0;
  private destroyed = false;

  constructor() {
    this.ruleForm = this.buildRuleForm();
    this.silenceForm = this.buildSilenceForm();
    const evaluate = el('button', { type: 'button', class: 'evaluate' }, 'Evaluate now');
    evaluate.addEventListener('click', () => {
      this.act(this.message, async () => {
        const changed = await evaluateNow();
        return changed.length === 0 ? 'Evaluated: nothing opened or resolved.' : `Evaluated: ${changed.length} episode(s) opened or resolved.`;
      });
    });
    const tools = el('div', { class: 'alerts-tools' }, evaluate);
    this.adminOnly.push(tools, this.ruleForm, this.silenceForm);
    this.element = el('div', { class: 'page alerts-page' },
      el('div', { class: 'alerts-body' },
        card('firing', 'Firing now', tools, this.message,
          table('alerts-firing', ['Rule', 'Key', 'Since', 'Message', '', ''], this.firingBody)),
        card('rules', 'Rules', this.ruleForm, this.ruleMessage,
          table('alerts-rules', ['Name', 'Kind', 'Parameters', 'Scope', 'Channels', 'Enabled', ''], this.rulesBody)),
        card('silences', 'Silences', this.silenceForm, this.silenceMessage,
          table('alerts-silences', ['Rule', 'Key', 'From', 'Until', 'Comment', 'By', ''], this.silencesBody)),
        card('history', 'History', table('alerts-history', ['Rule', 'Key', 'Started', 'Resolved', 'Message', ''], this.historyBody)),
        card('deliveries', 'Deliveries', table('alerts-deliveries', ['Rule', 'Event', 'Channel', 'Target', 'State', 'Attempts', 'Last error', 'Next attempt', 'Delivered'], this.deliveriesBody))));
    for (const node of this.adminOnly) node.hidden = true;
    fetchSession().then((s) => {
      this.isAdmin = s.mode === 'off' || s.user?.role === 'admin';
      for (const node of this.adminOnly) node.hidden = !this.isAdmin;
      this.load();
    }, () => this.load());
  }

  update(): void {
    this.load();
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.timer);
  }

  private say(target: HTMLElement, text: string, bad: boolean): void {
    target.className = `admin-message${bad ? ' bad' : ''}`;
    target.textContent = text;
  }

  /** Runs a change and reloads; a refusal (such as a 400 naming the bad field) is shown as the server worded it. */
  private act(target: HTMLElement, change: () => Promise<string>): void {
    change().then((done) => {
      this.say(target, done, false);
      this.load();
    }, (err: Error) => {
      this.say(target, err.message, true);
      this.load();
    });
  }

  private load(): void {
    clearTimeout(this.timer);
    Promise.all([fetchRules(), fetchEpisodes('firing', HISTORY_LIMIT), fetchEpisodes('resolved', HISTORY_LIMIT), fetchSilences(), fetchDeliveries(DELIVERY_LIMIT)])
      .then(([rules, firing, resolved, silences, deliveries]) => {
        if (this.destroyed) return;
        this.rules = rules;
        this.drawFiring(firing, silences);
        this.drawRules(rules);
        this.drawSilences(silences);
        this.drawHistory(resolved);
        this.drawDeliveries(deliveries);
      }, (err: Error) => { if (!this.destroyed) this.say(this.message, err.message, true); })
      .finally(() => { if (!this.destroyed) this.timer = window.setTimeout(() => this.load(), POLL_MS); });
  }

  // ---- firing and history ----

  /**
   * The server marks an episode silenced only when it opened under a silence; one already firing when
   * a silence starts is shown as covered too, so the admin sees their silence took hold.
   */
  private drawFiring(episodes: AlertEpisode[], silences: AlertSilence[]): void {
    const now = Date.now();
    clear(this.firingBody);
    if (episodes.length === 0) this.firingBody.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'Nothing is firing.')));
    for (const e of episodes) {
      const cover = silences.find((x) => x.startsAt <= now && x.endsAt > now && (x.ruleId === null || x.ruleId === e.ruleId) && (x.key === null || x.key === e.key));
      const silence = el('button', { type: 'button', class: 'silence', hidden: !this.isAdmin || cover !== undefined }, 'Silence');
      silence.addEventListener('click', () => this.prefillSilence(e));
      const badge = e.silenced
        ? el('span', { class: 'badge silenced', title: 'opened under a silence: not delivered' }, 'silenced')
        : cover ? el('span', { class: 'badge silenced', title: 'a silence covers it now: its resolve is still delivered' }, `silenced until ${at(cover.endsAt)}`) : null;
      this.firingBody.append(el('tr', { 'data-episode': e.id, class: e.silenced || cover ? 'silenced' : 'firing' },
        el('td', {}, visibleText(e.ruleName)),
        el('td', {}, keyText(e.key)),
        el('td', {}, at(e.startedAt)),
        el('td', { class: 'alert-msg' }, visibleText(e.message), badge),
        el('td', {}, this.deepLink(e)),
        el('td', { class: 'actions' }, silence)));
    }
  }

  /** Only hash routes of this dashboard are followed: a link is server text. */
  private deepLink(e: AlertEpisode): HTMLElement | string {
    return e.link.startsWith('#/') ? el('a', { href: e.link, class: 'deep-link' }, 'Open') : '—';
  }

  private drawHistory(episodes: AlertEpisode[]): void {
    clear(this.historyBody);
    if (episodes.length === 0) this.historyBody.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No resolved episodes yet.')));
    for (const e of episodes) {
      this.historyBody.append(el('tr', { 'data-episode': e.id },
        el('td', {}, visibleText(e.ruleName)), el('td', {}, keyText(e.key)), el('td', {}, at(e.startedAt)), el('td', {}, at(e.resolvedAt)),
        el('td', { class: 'alert-msg' }, visibleText(e.message), e.silenced ? el('span', { class: 'badge silenced' }, 'silenced') : null),
        el('td', {}, this.deepLink(e))));
    }
  }

  // ---- rules ----

  private buildRuleForm(): HTMLFormElement {
    const name = el('input', { name: 'rule-name', required: true, maxlength: 100, placeholder: 'name' });
    const kind = el('select', { name: 'rule-kind' }, ...KINDS.map((k) => el('option', { value: k.kind }, k.label)));
    const paramBox = el('span', { class: 'alerts-params' });
    const scopeBox = el('span', { class: 'alerts-params' });
    const webhook = el('input', { name: 'webhook-url', type: 'url', placeholder: 'https://…', maxlength: 2000 });
    const secret = el('input', { name: 'webhook-secret', type: 'password', placeholder: 'signing secret (optional)', autocomplete: 'off', maxlength: 200 });
    const email = el('input', { name: 'email-to', placeholder: 'a@example.com, b@example.com', maxlength: 2000 });
    const params = new Map<string, HTMLInputElement | HTMLSelectElement>();
    const scope = new Map<ScopeField, HTMLInputElement>();
    const drawKind = (): void => {
      const spec = KINDS.find((k) => k.kind === kind.value) ?? KINDS[0];
      params.clear();
      scope.clear();
      clear(paramBox);
      clear(scopeBox);
      if (!spec) return;
      for (const p of spec.params) {
        const input = p.options
          ? el('select', { name: `param-${p.name}` }, ...(p.required ? [] : [el('option', { value: '' }, '—')]), ...(p.options ?? []).map((o) => el('option', { value: o }, o)))
          : el('input', { name: `param-${p.name}`, type: 'number', step: p.step ?? '1', required: p.required, placeholder: p.placeholder ?? '', class: 'num' });
        params.set(p.name, input);
        paramBox.append(el('label', { class: 'field' }, el('span', {}, p.label), input));
      }
      for (const f of SCOPE_FIELDS) {
        if (!spec.scope.includes(f)) continue;
        const input = el('input', { name: `scope-${f}`, placeholder: 'any', maxlength: 200, class: 'scope' });
        scope.set(f, input);
        scopeBox.append(el('label', { class: 'field' }, el('span', {}, f), input));
      }
      if (spec.scope.length === 0) scopeBox.append(el('span', { class: 'muted' }, 'whole collector'));
    };
    kind.addEventListener('change', drawKind);
    drawKind();
    const form = el('form', { class: 'admin-form alerts-rule-form', 'aria-label': 'Create a rule' },
      el('div', { class: 'alerts-row' }, el('label', { class: 'field' }, el('span', {}, 'Name'), name), el('label', { class: 'field' }, el('span', {}, 'Kind'), kind), paramBox),
      el('div', { class: 'alerts-row' }, el('span', { class: 'muted' }, 'Scope'), scopeBox),
      el('div', { class: 'alerts-row' },
        el('label', { class: 'field' }, el('span', {}, 'Webhook'), webhook), secret,
        el('label', { class: 'field' }, el('span', {}, 'E-mail to'), email),
        el('button', { type: 'submit', class: 'primary' }, 'Create rule')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const values: AlertRuleInput['params'] = {};
      for (const [p, field] of params) {
        if (field.value === '') continue;
        values[p] = field instanceof HTMLInputElement ? Number(field.value) : field.value;
      }
      const sc: AlertRuleInput['scope'] = {};
      for (const [f, field] of scope) if (field.value.trim() !== '') sc[f] = field.value.trim();
      const to = email.value.split(',').map((t) => t.trim()).filter((t) => t !== '');
      const input: AlertRuleInput = {
        name: name.value, kind: kind.value as AlertKind, params: values, scope: sc,
        channels: {
          ...(webhook.value.trim() ? { webhook: { url: webhook.value.trim(), ...(secret.value ? { secret: secret.value } : {}) } } : {}),
          ...(to.length > 0 ? { email: { to } } : {}),
        },
      };
      this.act(this.ruleMessage, async () => {
        await createRule(input);
        form.reset();
        drawKind();
        return `Created rule ${input.name}.`;
      });
    });
    return form;
  }

  private drawRules(rules: AlertRule[]): void {
    clear(this.rulesBody);
    if (rules.length === 0) this.rulesBody.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No rules yet.')));
    for (const r of rules) {
      const editable = this.isAdmin && r.source === 'api';
      const enabled = el('input', { type: 'checkbox', name: 'rule-enabled', checked: r.enabled, disabled: !editable, 'aria-label': `${r.name} enabled`,
        title: r.source === 'config' ? 'defined in the config file' : undefined });
      enabled.addEventListener('change', () => {
        const on = enabled.checked;
        this.act(this.ruleMessage, async () => { await setRuleEnabled(r.id, on); return `${r.name} ${on ? 'enabled' : 'disabled'}.`; });
      });
      const remove = editable ? el('button', { type: 'button', class: 'delete' }, 'Delete') : null;
      remove?.addEventListener('click', () => {
        if (!confirm(`Delete rule ${r.name}? Its firing episodes end without news.`)) return;
        this.act(this.ruleMessage, async () => { await deleteRule(r.id); return `Deleted rule ${r.name}.`; });
      });
      this.rulesBody.append(el('tr', { 'data-rule': r.id, class: r.enabled ? '' : 'disabled' },
        el('td', {}, visibleText(r.name), r.source === 'config' ? el('span', { class: 'badge' }, 'config') : null),
        el('td', {}, r.kind),
        el('td', {}, visibleText(paramsText(r))),
        el('td', {}, visibleText(scopeText(r.scope))),
        el('td', { class: 'wrap' }, visibleText(channelsText(r))),
        el('td', {}, enabled),
        el('td', { class: 'actions' }, remove)));
    }
    const chosen = this.silenceRule.value;
    this.silenceRule.replaceChildren(el('option', { value: '' }, 'every rule'), ...rules.map((r) => el('option', { value: String(r.id) }, visibleText(r.name))));
    this.silenceRule.value = rules.some((r) => String(r.id) === chosen) ? chosen : '';
  }

  // ---- silences ----

  private buildSilenceForm(): HTMLFormElement {
    const hours = el('select', { name: 'silence-hours', 'aria-label': 'Silence for' },
      ...SILENCE_HOURS.map((h) => el('option', { value: String(h) }, h < 24 ? `${h} h` : `${h / 24} d`)));
    const setEnd = (): void => { this.silenceEnd.value = localValue(Date.now() + Number(hours.value) * 3_600_000); };
    hours.addEventListener('change', setEnd);
    setEnd();
    const comment = el('input', { name: 'silence-comment', placeholder: 'why', maxlength: 500 });
    const form = el('form', { class: 'admin-form', 'aria-label': 'Create a silence' },
      el('label', { class: 'field' }, el('span', {}, 'Rule'), this.silenceRule),
      el('label', { class: 'field' }, el('span', {}, 'Key'), this.silenceKey),
      el('label', { class: 'field' }, el('span', {}, 'For'), hours),
      el('label', { class: 'field' }, el('span', {}, 'Until'), this.silenceEnd),
      el('label', { class: 'field' }, el('span', {}, 'Comment'), comment),
      el('button', { type: 'submit', class: 'primary' }, 'Silence'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const endsAt = msOf(this.silenceEnd);
      const ruleId = this.silenceRule.value === '' ? null : Number(this.silenceRule.value);
      this.act(this.silenceMessage, async () => {
        if (endsAt === undefined) throw new Error('Until: give the end of the silence.');
        await createSilence({ ruleId, key: this.silenceKey.value.trim() || null, endsAt, comment: comment.value });
        comment.value = '';
        return `Silenced until ${at(endsAt)}.`;
      });
    });
    return form;
  }

  private prefillSilence(e: AlertEpisode): void {
    this.silenceRule.value = String(e.ruleId);
    this.silenceKey.value = e.key;
    this.say(this.silenceMessage, `Silence ${e.ruleName}${e.key ? ` ${e.key}` : ''}: choose how long, then press Silence.`, false);
    this.silenceForm.scrollIntoView({ block: 'center' });
    this.silenceKey.focus();
  }

  private drawSilences(silences: AlertSilence[]): void {
    clear(this.silencesBody);
    if (silences.length === 0) this.silencesBody.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No silences.')));
    const now = Date.now();
    for (const s of silences) {
      const rule = s.ruleId === null ? 'every rule' : this.rules.find((r) => r.id === s.ruleId)?.name ?? `rule ${s.ruleId}`;
      const remove = this.isAdmin ? el('button', { type: 'button', class: 'delete' }, 'Remove') : null;
      remove?.addEventListener('click', () => this.act(this.silenceMessage, async () => { await deleteSilence(s.id); return 'Silence removed.'; }));
      this.silencesBody.append(el('tr', { 'data-silence': s.id, class: s.endsAt <= now ? 'ended' : '' },
        el('td', {}, visibleText(rule)), el('td', {}, keyText(s.key)), el('td', {}, at(s.startsAt)), el('td', {}, at(s.endsAt)),
        el('td', { class: 'wrap' }, visibleText(s.comment)), el('td', {}, visibleText(s.createdBy ?? '—')), el('td', { class: 'actions' }, remove)));
    }
  }

  // ---- deliveries ----

  private drawDeliveries(deliveries: AlertDelivery[]): void {
    clear(this.deliveriesBody);
    if (deliveries.length === 0) this.deliveriesBody.append(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No deliveries yet.')));
    for (const d of deliveries) {
      this.deliveriesBody.append(el('tr', { 'data-delivery': d.id, class: `delivery-${d.state}` },
        el('td', {}, visibleText(d.ruleName)), el('td', {}, d.event), el('td', {}, d.channel), el('td', { class: 'wrap' }, visibleText(d.target)),
        el('td', {}, el('span', { class: `badge delivery ${d.state}` }, d.state)),
        el('td', { class: 'num' }, String(d.attempts)),
        el('td', { class: 'wrap' }, visibleText(d.lastError ?? '—')),
        el('td', {}, at(d.nextAttemptAt)), el('td', {}, at(d.deliveredAt))));
    }
  }
}
