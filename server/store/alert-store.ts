/**
 * The alerts contract: rules (made through the API, or read from the config file), their
 * episodes, silences, and the deliveries of each episode's news to webhooks and mailboxes.
 * Deliveries are stored before they are tried, so a restart resumes the pending ones.
 *
 * Each record is kept whole as JSON next to the few columns the queries filter and order on;
 * both backends hand back exactly what was given.
 */

export type AlertKind = 'poor-call-rate' | 'call-mos-below' | 'crash-group' | 'device-silent' | 'syslog-gaps' | 'source-fault';

export interface AlertScope {
  readonly site?: string;
  readonly model?: string;
  readonly firmware?: string;
  readonly peer?: string;
}

export interface AlertChannels {
  /** The secret signs each body (X-Ipp-Signature); it never leaves the collector through the API. */
  readonly webhook?: { readonly url: string; readonly secret?: string };
  readonly email?: { readonly to: readonly string[] };
}

/** A rule as checked by server/alerts/rules.ts: `params` holds the kind's own settings. */
export interface NewAlertRule {
  readonly name: string;
  readonly kind: AlertKind;
  readonly enabled: boolean;
  readonly params: Readonly<Record<string, number | string>>;
  readonly scope: AlertScope;
  readonly channels: AlertChannels;
  readonly source: 'config' | 'api';
  readonly createdBy: string | null;
}

export interface AlertRule extends NewAlertRule {
  readonly id: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AlertEpisode {
  readonly id: number;
  readonly ruleId: number;
  readonly ruleName: string;
  readonly kind: AlertKind;
  /** What the episode is about within its rule: `site=Madrid`, `device=10.0.0.5`, `call=12`, or '' for the whole fleet. */
  readonly key: string;
  readonly state: 'firing' | 'resolved';
  readonly startedAt: number;
  readonly resolvedAt: number | null;
  readonly lastValue: number | null;
  readonly message: string;
  /** The dashboard view that shows it, as a hash route (`#/calls?verdict=poor&site=Madrid`). */
  readonly link: string;
  /** Opened while a silence covered it: recorded, never delivered. */
  readonly silenced: boolean;
}

export type NewAlertEpisode = Omit<AlertEpisode, 'id' | 'state' | 'resolvedAt'>;

export interface AlertSilence {
  readonly id: number;
  /** null: every rule. */
  readonly ruleId: number | null;
  /** null: every key of the rule(s). */
  readonly key: string | null;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly comment: string;
  readonly createdBy: string | null;
}

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'failed';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'retrying', 'delivered', 'failed'];

export interface AlertDelivery {
  readonly id: number;
  readonly episodeId: number;
  readonly ruleId: number;
  readonly ruleName: string;
  readonly channel: 'webhook' | 'email';
  /** The URL, or the addresses joined with ', '. */
  readonly target: string;
  readonly event: 'firing' | 'resolved';
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: number | null;
  readonly deliveredAt: number | null;
  readonly createdAt: number;
  /** What is sent, frozen when the episode changed: the webhook's JSON body, or the mail's subject and text as JSON. */
  readonly payload: string;
}

export type NewAlertDelivery = Omit<AlertDelivery, 'id'>;

export interface EpisodeQuery {
  readonly state?: 'firing' | 'resolved';
  readonly ruleId?: number;
  readonly limit: number;
}

export interface DeliveryQuery {
  readonly states?: readonly DeliveryState[];
  readonly limit: number;
}

export interface AlertStore {
  listRules(): Promise<AlertRule[]>;
  createRule(rule: NewAlertRule, nowMs: number): Promise<AlertRule>;
  /** Replaces the rule's fields (its id, source and createdAt stay); null when there is no such rule. */
  updateRule(id: number, rule: NewAlertRule, nowMs: number): Promise<AlertRule | null>;
  deleteRule(id: number): Promise<boolean>;
  /**
   * Makes the config file's rules the stored `config` rules: one of the same name keeps its id
   * (its episodes stay its own), the others are created, and config rules no longer in the file
   * are deleted. Returns every config rule.
   */
  syncConfigRules(rules: readonly NewAlertRule[], nowMs: number): Promise<AlertRule[]>;

  openEpisode(e: NewAlertEpisode): Promise<AlertEpisode>;
  /** False when the episode is unknown or already resolved. */
  resolveEpisode(id: number, atMs: number, lastValue: number | null): Promise<boolean>;
  /** Newest first. */
  listEpisodes(q: EpisodeQuery): Promise<AlertEpisode[]>;

  createSilence(s: Omit<AlertSilence, 'id'>): Promise<AlertSilence>;
  listSilences(): Promise<AlertSilence[]>;
  deleteSilence(id: number): Promise<boolean>;

  addDelivery(d: NewAlertDelivery): Promise<AlertDelivery>;
  /** Stores the delivery's new state (its id names it); false when it is unknown. */
  updateDelivery(d: AlertDelivery): Promise<boolean>;
  /** Newest first. */
  listDeliveries(q: DeliveryQuery): Promise<AlertDelivery[]>;
  deliveryCounts(): Promise<Record<DeliveryState, number>>;
  /**
   * Deletes what is over and older than `maxAgeMs`: resolved episodes (by when they resolved),
   * delivered or failed deliveries (by when they were made) and silences that ended. Firing
   * episodes and deliveries still to be tried stay whatever their age.
   */
  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ episodes: number; deliveries: number; silences: number }>;
}
