/**
 * The alert loop: every interval (and on POST /api/alerts/evaluate) each rule's facts are gathered,
 * the pure evaluator decides, and the decisions are applied: episodes opened or resolved in the
 * store, and for each one not silenced, a delivery per channel of its rule. One pass runs at a
 * time. On a fleet store only collector 0 evaluates and delivers, so a fleet alerts once.
 */
import type { AlertEpisode, AlertStore, NewAlertRule } from '../store/alert-store.js';
import { newDeliveries, type DeliveryQueue } from './delivery.js';
import { evaluate, type RuleFacts } from './evaluate.js';
import type { FactGatherer } from './facts.js';

/** Open episodes read per pass; past this, the oldest open ones wait (a fleet that is on fire). */
const MAX_OPEN = 10_000;

export interface AlertEngineOptions {
  readonly store: AlertStore;
  readonly facts: FactGatherer;
  readonly deliveries: DeliveryQueue;
  readonly now: () => number;
  readonly intervalMs: number;
  /** Where the dashboard is reached from outside, for the absolute links deliveries carry. */
  readonly publicUrl: () => string;
  /** False on the collectors of a fleet store other than collector 0: they show alerts but do not evaluate. */
  readonly evaluates: boolean;
  readonly configRules: readonly NewAlertRule[];
  /** After a pass that opened or resolved an episode: how many fire now. */
  readonly onChange?: (firing: number) => void;
}

export class AlertEngine {
  private timer: NodeJS.Timeout | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private rules = 0;
  private firing = 0;
  private lastEvaluatedAt: number | null = null;
  private lastError: string | null = null;

  constructor(private readonly o: AlertEngineOptions) {}

  async start(): Promise<void> {
    if (this.o.evaluates) await this.o.store.syncConfigRules(this.o.configRules, this.o.now());
    this.rules = (await this.o.store.listRules()).length;
    this.firing = (await this.o.store.listEpisodes({ state: 'firing', limit: MAX_OPEN })).length;
    if (!this.o.evaluates) return;
    await this.o.deliveries.start();
    if (this.o.intervalMs <= 0) return;
    this.timer = setInterval(() => { this.evaluate().catch(() => undefined); }, this.o.intervalMs);
    this.timer.unref();
  }

  /** One pass now, after any in flight; resolves with the episodes it opened or resolved. */
  evaluate(): Promise<AlertEpisode[]> {
    const run = this.tail.then(() => this.pass(), () => this.pass());
    // A pass the store refused shows in /api/health until one succeeds.
    this.tail = run.catch((err: Error) => { this.lastError = `evaluation: ${err.message}`; });
    return run;
  }

  /** A rule was added, changed or removed through the API: counted now, evaluated next pass. */
  async rulesChanged(): Promise<void> {
    this.rules = (await this.o.store.listRules()).length;
  }

  health() {
    const d = this.o.deliveries.health();
    return {
      rules: this.rules, firing: this.firing, deliveriesFailed: d.failed, deliveriesPending: d.pending, deliveriesDelivered: d.delivered,
      evaluates: this.o.evaluates, lastEvaluatedAt: this.lastEvaluatedAt === null ? null : new Date(this.lastEvaluatedAt).toISOString(),
      lastError: this.lastError ?? this.o.deliveries.lastError,
    };
  }

  /** Stops the timers; a pass in flight is not waited for (a stalled store must not hold up the stop). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.o.deliveries.stop();
  }

  private async pass(): Promise<AlertEpisode[]> {
    const { store } = this.o;
    const now = this.o.now();
    this.o.facts.sample(now);
    const [rules, open, silences] = await Promise.all([store.listRules(), store.listEpisodes({ state: 'firing', limit: MAX_OPEN }), store.listSilences()]);
    const changed: AlertEpisode[] = [];
    const errors: string[] = [];
    const resolved = (e: AlertEpisode, value: number | null): AlertEpisode => ({ ...e, state: 'resolved', resolvedAt: now, lastValue: value });
    // A deleted rule's episodes end with it, without news: nobody asked for this rule any more.
    const ruleIds = new Set(rules.map((r) => r.id));
    for (const e of open) if (!ruleIds.has(e.ruleId) && await store.resolveEpisode(e.id, now, e.lastValue)) changed.push(resolved(e, e.lastValue));
    for (const rule of rules) {
      let facts: RuleFacts | null = null;
      if (rule.enabled) {
        try {
          facts = await this.o.facts.gather(rule, now);
        } catch (err) {
          // Not measured is not cleared: its episodes stay as they are until a pass can tell.
          errors.push(`${rule.name}: ${(err as Error).message}`);
          continue;
        }
      }
      const d = evaluate(rule, facts, now, open, silences);
      for (const o of d.open) {
        const e = await store.openEpisode(o);
        changed.push(e);
        if (!e.silenced) await this.o.deliveries.add(newDeliveries(rule, e, 'firing', now, this.o.publicUrl()));
      }
      for (const r of d.resolve) {
        if (!await store.resolveEpisode(r.episode.id, now, r.value)) continue;
        const e = resolved(r.episode, r.value);
        changed.push(e);
        if (!e.silenced) await this.o.deliveries.add(newDeliveries(rule, e, 'resolved', now, this.o.publicUrl()));
      }
    }
    this.rules = rules.length;
    this.firing = open.length + changed.filter((e) => e.state === 'firing').length - changed.filter((e) => e.state === 'resolved').length;
    this.lastEvaluatedAt = now;
    this.lastError = errors.length ? errors.join('; ') : null;
    if (changed.length) this.o.onChange?.(this.firing);
    return changed;
  }
}
