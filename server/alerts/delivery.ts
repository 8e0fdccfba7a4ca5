/**
 * Deliveries of an episode's news (firing, resolved) to each channel of its rule. Every delivery
 * is stored before its first attempt, and its state after each one, so a restart resumes what was
 * pending; a failed attempt is retried with exponential back-off until it succeeds or runs out of
 * attempts, and then stays `failed`: shown on the alerts page and counted in /api/health, never
 * dropped silently.
 */
import type { AlertDelivery, AlertEpisode, AlertRule, AlertStore, DeliveryState, NewAlertDelivery } from '../store/alert-store.js';
import type { EmailSender } from './email.js';
import { postWebhook } from './webhook.js';

export type SendResult = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly error: string };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The wait after the first failure; it doubles after each further one, up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000 };

/** Due deliveries read per round; more wait for the next round. */
const BATCH = 100;
const TICK_MS = 250;

export interface DeliveryEvents {
  /** After an attempt: what it did (for counters and metrics). */
  onAttempt?(d: AlertDelivery, outcome: 'delivered' | 'retrying' | 'failed'): void;
}

/** The wait before the attempt after `attempts` failed ones. */
export function backoffMs(attempts: number, p: RetryPolicy): number {
  return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempts - 1));
}

/** The deliveries one episode change makes: one per channel of its rule, with what each will send. */
export function newDeliveries(rule: AlertRule, episode: AlertEpisode, event: 'firing' | 'resolved', nowMs: number, publicUrl: string): NewAlertDelivery[] {
  const url = new URL(episode.link, publicUrl).toString();
  const base = { episodeId: episode.id, ruleId: rule.id, ruleName: rule.name, event, state: 'pending' as const, attempts: 0, lastError: null, nextAttemptAt: nowMs, deliveredAt: null, createdAt: nowMs };
  const out: NewAlertDelivery[] = [];
  const { webhook, email } = rule.channels;
  if (webhook) {
    const payload = JSON.stringify({ version: 1, event, rule: { id: rule.id, name: rule.name, kind: rule.kind }, episode, url });
    out.push({ ...base, channel: 'webhook', target: webhook.url, payload });
  }
  if (email) {
    const subject = `[ipp-collector] ${event === 'firing' ? 'FIRING' : 'RESOLVED'}: ${rule.name}${episode.key ? ` ${episode.key}` : ''}`;
    const when = event === 'firing' ? `Since ${new Date(episode.startedAt).toISOString()}.` : `Resolved at ${new Date(episode.resolvedAt ?? nowMs).toISOString()} (firing since ${new Date(episode.startedAt).toISOString()}).`;
    const text = `${episode.message}\n${when}\n\nOpen in the dashboard: ${url}\n\nRule: ${rule.name} (${rule.kind}), episode ${episode.id}.\n`;
    out.push({ ...base, channel: 'email', target: email.to.join(', '), payload: JSON.stringify({ subject, text, to: email.to }) });
  }
  return out;
}

export class DeliveryQueue {
  private timer: NodeJS.Timeout | null = null;
  /** When the earliest stored pending delivery is due (0: look now). */
  private nextDueAt = 0;
  private running: Promise<void> | null = null;
  /** Set by add(): deliveries the round in flight may not have read. */
  private added = false;
  private counts: Record<DeliveryState, number> = { pending: 0, retrying: 0, delivered: 0, failed: 0 };
  lastError: string | null = null;

  constructor(private readonly o: {
    readonly store: AlertStore;
    readonly now: () => number;
    readonly retry: RetryPolicy;
    readonly email: EmailSender | null;
    /** The rule's webhook secret as stored now (a rule changed since keeps signing with its new one). */
    readonly secretOf: (ruleId: number) => Promise<string | undefined>;
    readonly events?: DeliveryEvents;
  }) {}

  async start(): Promise<void> {
    this.counts = await this.o.store.deliveryCounts();
    this.timer = setInterval(() => { void this.tick(); }, TICK_MS);
    this.timer.unref();
  }

  /** Stores new deliveries and makes the next round look at once. */
  async add(deliveries: readonly NewAlertDelivery[]): Promise<void> {
    for (const d of deliveries) {
      await this.o.store.addDelivery(d);
      this.counts.pending++;
    }
    if (deliveries.length) {
      this.added = true;
      this.nextDueAt = 0;
      void this.tick();
    }
  }

  health(): { pending: number; failed: number; delivered: number } {
    return { pending: this.counts.pending + this.counts.retrying, failed: this.counts.failed, delivered: this.counts.delivered };
  }

  /** One round of the due deliveries; resolves when their attempts are done. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    if (this.o.now() < this.nextDueAt) return Promise.resolve();
    this.running = this.round().catch((err: Error) => {
      this.lastError = err.message;
      this.nextDueAt = this.o.now() + this.o.retry.baseDelayMs;
    }).finally(() => { this.running = null; });
    return this.running;
  }

  /** Stops the rounds; attempts in flight end on their own (what they did is stored, or retried after a restart). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.nextDueAt = Infinity;
    this.o.email?.close();
  }

  private async round(): Promise<void> {
    const now = this.o.now();
    this.added = false;
    const waiting = await this.o.store.listDeliveries({ states: ['pending', 'retrying'], limit: BATCH });
    const due = waiting.filter((d) => (d.nextAttemptAt ?? 0) <= now);
    const tried = await Promise.all(due.map((d) => this.attempt(d)));
    const later = [...waiting.filter((d) => (d.nextAttemptAt ?? 0) > now), ...tried.filter((d) => d.state === 'retrying')].map((d) => d.nextAttemptAt!);
    // A full batch may hide more, and deliveries added meanwhile were not read: look again next tick.
    this.nextDueAt = waiting.length === BATCH || this.added ? 0 : later.length ? Math.min(...later) : Infinity;
    this.lastError = null;
  }

  private async attempt(d: AlertDelivery): Promise<AlertDelivery> {
    const result = await this.send(d);
    const now = this.o.now();
    const attempts = d.attempts + 1;
    let next: AlertDelivery;
    if (result.ok) next = { ...d, attempts, state: 'delivered', deliveredAt: now, nextAttemptAt: null };
    else if (result.retry && attempts < this.o.retry.maxAttempts) next = { ...d, attempts, state: 'retrying', lastError: result.error, nextAttemptAt: now + backoffMs(attempts, this.o.retry) };
    else next = { ...d, attempts, state: 'failed', lastError: result.error, nextAttemptAt: null };
    await this.o.store.updateDelivery(next);
    this.counts[d.state]--;
    this.counts[next.state]++;
    this.o.events?.onAttempt?.(next, next.state === 'delivered' ? 'delivered' : next.state === 'failed' ? 'failed' : 'retrying');
    return next;
  }

  private async send(d: AlertDelivery): Promise<SendResult> {
    if (d.channel === 'webhook') return postWebhook(d.target, d.payload, { secret: await this.o.secretOf(d.ruleId), event: d.event, deliveryId: d.id });
    if (!this.o.email) return { ok: false, retry: false, error: 'no SMTP server is set up (--smtp-url)' };
    const mail = JSON.parse(d.payload) as { subject: string; text: string; to: string[] };
    return this.o.email.send(mail.to, mail.subject, mail.text);
  }
}
