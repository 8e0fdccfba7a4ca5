/**
 * Alert rules as users write them (API body, config file `alerts.rules`), checked once here: a
 * bad field is refused with a sentence naming it. What passes is a NewAlertRule whose params are
 * complete (defaults filled), so the evaluator never second-guesses them.
 */
import type { AlertChannels, AlertKind, AlertRule, AlertScope, NewAlertRule } from '../store/alert-store.js';
import { BadRequest } from '../api/params.js';

export const ALERT_KINDS: readonly AlertKind[] = ['poor-call-rate', 'call-mos-below', 'crash-group', 'device-silent', 'syslog-gaps', 'source-fault'];
export type ScopeField = keyof AlertScope;
const SCOPE_FIELDS: readonly ScopeField[] = ['site', 'model', 'firmware', 'peer'];
const MAX_NAME_CHARS = 100;
const MAX_VALUE_CHARS = 256;
const MAX_URL_CHARS = 2048;
const MAX_RECIPIENTS = 20;
const WEEK_MIN = 7 * 24 * 60;
const EMAIL = /^[^\s@<>",;]{1,64}@[^\s@<>",;]{1,255}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

type Param =
  | { readonly type: 'number'; readonly min: number; readonly max: number; readonly integer?: boolean; readonly default?: number }
  | { readonly type: 'choice'; readonly values: readonly string[]; readonly default?: string };

/** Each kind's settings, the scope fields it can be narrowed by, and what an absent setting means. */
const KINDS: Readonly<Record<AlertKind, { params: Readonly<Record<string, Param>>; scope: readonly ScopeField[] }>> = {
  'poor-call-rate': {
    params: {
      thresholdPct: { type: 'number', min: 0, max: 100 },
      windowMin: { type: 'number', min: 1, max: WEEK_MIN, default: 15 },
      minCalls: { type: 'number', min: 1, max: 1_000_000, integer: true, default: 10 },
      by: { type: 'choice', values: ['site', 'model', 'firmware', 'peer'] },
    },
    scope: SCOPE_FIELDS,
  },
  'call-mos-below': {
    params: { mos: { type: 'number', min: 1, max: 5 }, resolveMin: { type: 'number', min: 0.05, max: WEEK_MIN, default: 15 } },
    scope: SCOPE_FIELDS,
  },
  'crash-group': {
    params: {
      mode: { type: 'choice', values: ['new', 'spike'] },
      count: { type: 'number', min: 1, max: 1_000_000, integer: true, default: 5 },
      windowMin: { type: 'number', min: 1, max: WEEK_MIN, default: 60 },
    },
    scope: ['model', 'firmware'],
  },
  // Fractional minutes are allowed so a lab (or a test) can watch a phone go quiet in seconds.
  'device-silent': { params: { minutes: { type: 'number', min: 0.01, max: WEEK_MIN } }, scope: ['site', 'model', 'firmware'] },
  'syslog-gaps': {
    params: { perMinute: { type: 'number', min: 0, max: 1e9 }, by: { type: 'choice', values: ['device'] } },
    scope: ['site', 'model', 'firmware'],
  },
  'source-fault': { params: {}, scope: [] },
};

export interface AlertRuleInput {
  readonly name?: unknown;
  readonly kind?: unknown;
  readonly params?: unknown;
  readonly scope?: unknown;
  readonly channels?: unknown;
  readonly enabled?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.trim() === '') throw new BadRequest(`${field}: give it as text`);
  if (v.length > max) throw new BadRequest(`${field}: longer than ${max} characters`);
  if (CONTROL.test(v)) throw new BadRequest(`${field}: holds control characters`);
  return v.trim();
}

function checkParams(kind: AlertKind, raw: unknown): Record<string, number | string> {
  if (raw !== undefined && !isObject(raw)) throw new BadRequest('params: give an object of the kind\'s settings');
  const given = raw ?? {};
  const spec = KINDS[kind].params;
  const unknown = Object.keys(given).filter((k) => !(k in spec));
  if (unknown.length) throw new BadRequest(`params.${unknown[0]}: not a setting of ${kind} (its settings: ${Object.keys(spec).join(', ') || 'none'})`);
  const out: Record<string, number | string> = {};
  for (const [name, p] of Object.entries(spec)) {
    const v = given[name];
    if (v === undefined || v === null) {
      if (p.default !== undefined) out[name] = p.default;
      else if (!(p.type === 'choice' && name === 'by')) throw new BadRequest(`params.${name}: ${kind} needs it`);
      continue;
    }
    if (p.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < p.min || v > p.max || (p.integer && !Number.isInteger(v))) {
        throw new BadRequest(`params.${name}: ${JSON.stringify(v)} is not a ${p.integer ? 'whole ' : ''}number from ${p.min} to ${p.max}`);
      }
      out[name] = v;
    } else {
      if (typeof v !== 'string' || !p.values.includes(v)) throw new BadRequest(`params.${name}: ${JSON.stringify(v)} is not one of ${p.values.join(', ')}`);
      out[name] = v;
    }
  }
  return out;
}

function checkScope(kind: AlertKind, raw: unknown, params: Record<string, number | string>): AlertScope {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw new BadRequest('scope: give an object such as {"site": "Madrid"}');
  const allowed = KINDS[kind].scope;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null || v === '') continue;
    if (!(allowed as readonly string[]).includes(k)) {
      throw new BadRequest(`scope.${k}: ${kind} can be narrowed by ${allowed.length ? allowed.join(', ') : 'nothing'}${k === 'group' ? ' (device groups are the sites of --sites)' : ''}`);
    }
    out[k] = text(v, `scope.${k}`, MAX_VALUE_CHARS);
  }
  if (kind === 'poor-call-rate') {
    // The store slices calls by one dimension at a time (its quality breakdown), so a rule does too.
    const fields = Object.keys(out);
    if (fields.length > 1) throw new BadRequest(`scope: poor-call-rate narrows by one of site, model, firmware, peer at a time (got ${fields.join(', ')})`);
    if (fields.length === 1 && params.by !== undefined && params.by !== fields[0]) {
      throw new BadRequest(`scope.${fields[0]}: with params.by ${String(params.by)} the scope must be a ${String(params.by)} too (one dimension at a time)`);
    }
  }
  return out;
}

function checkChannels(raw: unknown, previous: AlertChannels | undefined): AlertChannels {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw new BadRequest('channels: give an object such as {"webhook": {"url": "https://…"}}');
  const unknown = Object.keys(raw).filter((k) => k !== 'webhook' && k !== 'email');
  if (unknown.length) throw new BadRequest(`channels.${unknown[0]}: the channels are webhook and email`);
  const out: { webhook?: { url: string; secret?: string }; email?: { to: string[] } } = {};
  if (raw.webhook !== undefined && raw.webhook !== null) {
    const w = raw.webhook;
    if (!isObject(w)) throw new BadRequest('channels.webhook: give {"url": "https://…", "secret": "…"}');
    const url = text(w.url, 'channels.webhook.url', MAX_URL_CHARS);
    let parsed: URL;
    try { parsed = new URL(url); } catch { throw new BadRequest(`channels.webhook.url: "${url}" is not a URL`); }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new BadRequest('channels.webhook.url: use http:// or https://');
    // A change that leaves the secret out keeps the one stored (the API never shows it back).
    const secret = w.secret === undefined ? previous?.webhook?.secret : w.secret === '' || w.secret === null ? undefined : text(w.secret, 'channels.webhook.secret', MAX_VALUE_CHARS);
    out.webhook = secret === undefined ? { url } : { url, secret };
  }
  if (raw.email !== undefined && raw.email !== null) {
    const e = raw.email;
    const to = isObject(e) ? e.to : undefined;
    if (!Array.isArray(to) || to.length === 0 || to.length > MAX_RECIPIENTS) throw new BadRequest(`channels.email.to: give a list of 1 to ${MAX_RECIPIENTS} addresses`);
    out.email = {
      to: to.map((a, i) => {
        if (typeof a !== 'string' || !EMAIL.test(a)) throw new BadRequest(`channels.email.to[${i}]: ${JSON.stringify(a)} is not an e-mail address`);
        return a;
      }),
    };
  }
  return out;
}

/** A whole rule from its input; `previous` is the stored rule a change starts from. */
export function checkRule(input: unknown, source: 'config' | 'api', createdBy: string | null, previous?: AlertRule): NewAlertRule {
  if (!isObject(input)) throw new BadRequest('give the rule as a JSON object');
  const known = new Set(['name', 'kind', 'params', 'scope', 'channels', 'enabled']);
  const extra = Object.keys(input).filter((k) => !known.has(k));
  if (extra.length) throw new BadRequest(`${extra[0]}: not a field of a rule (fields: ${[...known].join(', ')})`);
  const name = text(input.name, 'name', MAX_NAME_CHARS);
  if (typeof input.kind !== 'string' || !(ALERT_KINDS as readonly string[]).includes(input.kind)) {
    throw new BadRequest(`kind: ${JSON.stringify(input.kind ?? null)} is not one of ${ALERT_KINDS.join(', ')}`);
  }
  const kind = input.kind as AlertKind;
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw new BadRequest('enabled: give true or false');
  const params = checkParams(kind, input.params);
  return {
    name, kind, params, enabled: input.enabled ?? true,
    scope: checkScope(kind, input.scope, params),
    channels: checkChannels(input.channels, previous?.channels),
    source, createdBy,
  };
}

/** A change to a stored rule: the fields given replace the stored ones, and the result is checked whole. */
export function checkRuleChange(rule: AlertRule, change: unknown): NewAlertRule {
  if (!isObject(change)) throw new BadRequest('give the change as a JSON object');
  const kindChanged = change.kind !== undefined && change.kind !== rule.kind;
  const merged = {
    name: rule.name, kind: rule.kind, enabled: rule.enabled, scope: rule.scope, channels: publicChannels(rule.channels),
    // Another kind's settings mean nothing to the new kind.
    params: kindChanged ? undefined : rule.params,
    ...change,
  };
  return checkRule(merged, rule.source, rule.createdBy, rule);
}

function publicChannels(c: AlertChannels): { webhook?: { url: string }; email?: { to: readonly string[] } } {
  return { ...(c.webhook ? { webhook: { url: c.webhook.url } } : {}), ...(c.email ? { email: c.email } : {}) };
}

export type AlertRuleJson = Omit<AlertRule, 'channels'> & { channels: { webhook?: { url: string; hasSecret: boolean }; email?: { to: readonly string[] } } };

/** A rule as the API shows it: the webhook secret only as `hasSecret`. */
export function ruleJson(rule: AlertRule): AlertRuleJson {
  const { webhook, email } = rule.channels;
  return { ...rule, channels: { ...(webhook ? { webhook: { url: webhook.url, hasSecret: webhook.secret !== undefined } } : {}), ...(email ? { email } : {}) } };
}
