/**
 * The alert evaluator, pure: a rule, the facts gathered for it (facts.ts), the time, the rule's
 * open episodes and the silences in, decisions out. No I/O and no clock of its own, so every
 * case is a unit test (test/unit/alert-evaluator.test.ts).
 *
 * An episode is one stretch of a condition holding for one key of a rule (a site, a device, a
 * call, a crash group; '' for the whole fleet): it opens when the key first breaches, stays open
 * (nothing repeats) while it does, and resolves the first evaluation it is clear. Rates clear only
 * at CLEAR_RATIO of their threshold, so a share hovering at the threshold is one episode, not an
 * open and a resolve every pass. A key breaching
 * while a silence covers it opens a silenced episode: recorded, never delivered.
 */
import type { AlertEpisode, AlertRule, AlertSilence, NewAlertEpisode } from '../store/alert-store.js';
import { NO_VALUE } from '../json/quality.js';

export type SliceDimension = 'site' | 'model' | 'firmware' | 'peer';

/** What facts.ts measured for one rule, already narrowed to the rule's scope. */
export type RuleFacts =
  | {
    readonly kind: 'poor-call-rate';
    /** Calls that started in [fromMs, now). */
    readonly fromMs: number;
    /** The dimension the rows are values of; null: one row for all the rule's calls. */
    readonly dimension: SliceDimension | null;
    readonly rows: ReadonlyArray<{ readonly value: string | null; readonly judged: number; readonly poor: number }>;
  }
  | { readonly kind: 'call-mos-below'; readonly calls: ReadonlyArray<{ readonly id: number; readonly avgMos: number | null; readonly endMs: number; readonly device: string | null }> }
  | { readonly kind: 'crash-group'; readonly groups: ReadonlyArray<{ readonly hash: string; readonly title: string; readonly count: number; readonly isNew: boolean }> }
  | { readonly kind: 'device-silent'; readonly devices: ReadonlyArray<{ readonly address: string; readonly lastSeen: number }> }
  | {
    readonly kind: 'syslog-gaps';
    /** Gaps (and, for the whole fleet, drops) per minute; device null: the whole fleet. */
    readonly rates: ReadonlyArray<{ readonly device: string | null; readonly perMinute: number }>;
  }
  | { readonly kind: 'source-fault'; readonly faults: ReadonlyArray<{ readonly key: string; readonly reason: string }> };

/** One key as measured: its value, whether it breaches the rule, and whether an open episode of it is over. */
export interface Observation {
  readonly key: string;
  readonly value: number | null;
  readonly breach: boolean;
  readonly clear: boolean;
  readonly message: string;
  readonly link: string;
}

export interface Decisions {
  readonly open: NewAlertEpisode[];
  readonly resolve: ReadonlyArray<{ readonly episode: AlertEpisode; readonly value: number | null }>;
}

const MINUTE_MS = 60_000;
/** A rate's episode resolves at or below this share of its threshold (20 % poor → clear at 16 %). */
export const CLEAR_RATIO = 0.8;
/** Phone-sent text (models, peers, crash titles) in a key or message: one line, bounded (subjects, chat messages). */
const TEXT_CHARS = 120;

/** Our own sentences (a listener's bind error) may be longer. */
const REASON_CHARS = 500;

function printable(v: string, max = TEXT_CHARS): string {
  const one = v.replace(/[\u0000-\u001f\u007f]/g, '?');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : one.endsWith('sh') ? 'es' : 's'}`;

function minutesText(ms: number): string {
  const min = ms / MINUTE_MS;
  if (min < 1) return `${Math.round(ms / 1000)} s`;
  if (min < 120) return `${round(min)} min`;
  return `${round(min / 60)} h`;
}

function hash(path: string, params: Record<string, string>): string {
  const q = new URLSearchParams(params).toString();
  return `#${path}${q ? `?${q}` : ''}`;
}

const WHERE: Readonly<Record<SliceDimension, string>> = { site: 'at site', model: 'on model', firmware: 'on firmware', peer: 'through peer' };

function num(rule: AlertRule, name: string): number {
  return rule.params[name] as number;
}

/** Every key the facts name, with whether it breaches. */
export function observe(rule: AlertRule, facts: RuleFacts, nowMs: number): Observation[] {
  switch (facts.kind) {
    case 'poor-call-rate': {
      const threshold = num(rule, 'thresholdPct');
      const minCalls = num(rule, 'minCalls');
      return facts.rows.map((r) => {
        const pct = r.judged === 0 ? 0 : (100 * r.poor) / r.judged;
        const shown = r.value ?? NO_VALUE;
        const where = facts.dimension ? `${WHERE[facts.dimension]} ${printable(shown)}` : 'across the fleet';
        return {
          key: facts.dimension ? `${facts.dimension}=${printable(shown)}` : '',
          value: round(pct, 2),
          breach: r.judged >= minCalls && pct > threshold,
          // No judged call left in the window: nothing is bad any more.
          clear: r.judged === 0 || pct <= threshold * CLEAR_RATIO,
          message: `Poor calls ${where}: ${round(pct)} % of ${plural(r.judged, 'judged call')} in the last ${minutesText(nowMs - facts.fromMs)} (threshold ${threshold} %).`,
          link: hash('/calls', { verdict: 'poor', startFrom: new Date(facts.fromMs).toISOString(), ...(facts.dimension ? { [facts.dimension]: shown } : {}) }),
        };
      });
    }
    case 'call-mos-below': {
      const mos = num(rule, 'mos');
      const keepMs = num(rule, 'resolveMin') * MINUTE_MS;
      return facts.calls.map((c) => {
        const bad = c.avgMos !== null && c.avgMos < mos && nowMs - c.endMs < keepMs;
        return {
          key: `call=${c.id}`,
          value: c.avgMos,
          breach: bad,
          clear: !bad,
          message: `Call ${c.id}${c.device ? ` of ${c.device}` : ''} ended with an average MOS of ${c.avgMos ?? '?'} (below ${mos}).`,
          link: `#/calls/${c.id}`,
        };
      });
    }
    case 'crash-group': {
      const spike = rule.params.mode === 'spike';
      const count = num(rule, 'count');
      const window = `the last ${minutesText(num(rule, 'windowMin') * MINUTE_MS)}`;
      return facts.groups.map((g) => ({
        key: `group=${g.hash}`,
        value: g.count,
        breach: spike ? g.count >= count : g.isNew,
        clear: spike ? g.count < count : !g.isNew,
        message: spike
          ? `Crash group "${printable(g.title)}" spiked: ${plural(g.count, 'crash')} in ${window} (threshold ${count}).`
          : `New crash group "${printable(g.title)}": ${plural(g.count, 'crash')} in ${window}, none before.`,
        link: hash('/crashes', { group: g.hash }),
      }));
    }
    case 'device-silent': {
      const limitMs = num(rule, 'minutes') * MINUTE_MS;
      return facts.devices.map((d) => {
        const silentMs = Math.max(0, nowMs - d.lastSeen);
        return {
          key: `device=${d.address}`,
          value: round(silentMs / MINUTE_MS, 2),
          breach: silentMs > limitMs,
          clear: silentMs <= limitMs,
          message: `Device ${d.address} has sent nothing for ${minutesText(silentMs)} (threshold ${minutesText(limitMs)}).`,
          link: `#/devices/${encodeURIComponent(d.address)}`,
        };
      });
    }
    case 'syslog-gaps': {
      const limit = num(rule, 'perMinute');
      return facts.rates.map((r) => ({
        key: r.device === null ? '' : `device=${r.device}`,
        value: round(r.perMinute, 2),
        breach: r.perMinute > limit,
        clear: r.perMinute <= limit * CLEAR_RATIO,
        message: r.device === null
          ? `Syslog sequence gaps and drops across the fleet: ${round(r.perMinute)} a minute (threshold ${limit}).`
          : `Syslog sequence gaps from ${r.device}: ${round(r.perMinute)} a minute (threshold ${limit}).`,
        link: r.device === null ? '#/devices' : hash('/logs', { device: r.device }),
      }));
    }
    case 'source-fault':
      return facts.faults.map((f) => ({ key: f.key, value: null, breach: true, clear: false, message: printable(f.reason, REASON_CHARS), link: '#/setup' }));
  }
}

export function silenced(silences: readonly AlertSilence[], ruleId: number, key: string, nowMs: number): boolean {
  return silences.some((s) => (s.ruleId === null || s.ruleId === ruleId) && (s.key === null || s.key === key) && s.startsAt <= nowMs && nowMs < s.endsAt);
}

/**
 * What changes for one rule now. `facts` null: the rule is off (disabled), so every open episode
 * resolves. `open` are the rule's episodes still firing.
 */
export function evaluate(rule: AlertRule, facts: RuleFacts | null, nowMs: number, open: readonly AlertEpisode[], silences: readonly AlertSilence[]): Decisions {
  const observations = facts && rule.enabled ? observe(rule, facts, nowMs) : [];
  const byKey = new Map(observations.map((o) => [o.key, o]));
  // A key named twice in one set of facts opens once.
  const firing = new Set(open.filter((e) => e.ruleId === rule.id && e.state === 'firing').map((e) => e.key));
  const opened: NewAlertEpisode[] = [];
  for (const o of observations) {
    if (!o.breach || firing.has(o.key)) continue;
    firing.add(o.key);
    opened.push({
      ruleId: rule.id, ruleName: rule.name, kind: rule.kind, key: o.key, startedAt: nowMs, lastValue: o.value,
      message: o.message, link: o.link, silenced: silenced(silences, rule.id, o.key, nowMs),
    });
  }
  const resolve = open
    .filter((e) => e.ruleId === rule.id && e.state === 'firing' && (byKey.get(e.key)?.clear ?? true))
    .map((episode) => ({ episode, value: byKey.get(episode.key)?.value ?? null }));
  return { open: opened, resolve };
}
