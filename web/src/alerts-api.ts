// The alerts API (rules, episodes, silences, deliveries; docs/api.md) over HTTP, answers checked at the boundary.
import { callJson, isObject, listOf } from './json-api.js';

export const ALERT_KINDS = ['poor-call-rate', 'call-mos-below', 'crash-group', 'device-silent', 'syslog-gaps', 'source-fault'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const SCOPE_FIELDS = ['site', 'model', 'firmware', 'peer'] as const;
export type ScopeField = (typeof SCOPE_FIELDS)[number];

export interface AlertRule {
  id: number;
  name: string;
  kind: AlertKind;
  enabled: boolean;
  params: Record<string, string | number>;
  scope: Partial<Record<ScopeField, string>>;
  channels: { webhook?: { url: string; hasSecret: boolean }; email?: { to: string[] } };
  source: 'config' | 'api';
  createdBy: string | null;
}

export interface AlertEpisode {
  id: number;
  ruleId: number;
  ruleName: string;
  kind: AlertKind;
  key: string;
  state: 'firing' | 'resolved';
  startedAt: number;
  resolvedAt: number | null;
  lastValue: number | null;
  message: string;
  link: string;
  silenced: boolean;
}

export interface AlertSilence {
  id: number;
  ruleId: number | null;
  key: string | null;
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string | null;
}

export interface AlertDelivery {
  id: number;
  episodeId: number;
  ruleName: string;
  channel: 'webhook' | 'email';
  target: string;
  event: 'firing' | 'resolved';
  state: 'pending' | 'retrying' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

export interface AlertRuleInput {
  name: string;
  kind: AlertKind;
  params: Record<string, string | number>;
  scope: Partial<Record<ScopeField, string>>;
  channels: { webhook?: { url: string; secret?: string }; email?: { to: string[] } };
}

const isKind = (v: unknown): v is AlertKind => typeof v === 'string' && (ALERT_KINDS as readonly string[]).includes(v);
const isRule = (v: unknown): v is AlertRule => isObject(v) && typeof v.id === 'number' && typeof v.name === 'string' && isKind(v.kind)
  && typeof v.enabled === 'boolean' && isObject(v.params) && isObject(v.scope) && isObject(v.channels);
const isEpisode = (v: unknown): v is AlertEpisode => isObject(v) && typeof v.id === 'number' && typeof v.ruleName === 'string'
  && typeof v.key === 'string' && (v.state === 'firing' || v.state === 'resolved') && typeof v.startedAt === 'number'
  && typeof v.message === 'string' && typeof v.link === 'string' && typeof v.silenced === 'boolean';
const isSilence = (v: unknown): v is AlertSilence => isObject(v) && typeof v.id === 'number' && typeof v.startsAt === 'number' && typeof v.endsAt === 'number';
const isDelivery = (v: unknown): v is AlertDelivery => isObject(v) && typeof v.id === 'number' && typeof v.ruleName === 'string'
  && typeof v.channel === 'string' && typeof v.target === 'string' && typeof v.state === 'string' && typeof v.attempts === 'number';

export async function fetchRules(): Promise<AlertRule[]> {
  return listOf(await callJson('GET', '/api/alerts/rules'), 'rules', isRule);
}

export async function createRule(input: AlertRuleInput): Promise<void> {
  await callJson('POST', '/api/alerts/rules', input);
}

export async function setRuleEnabled(id: number, enabled: boolean): Promise<void> {
  await callJson('PATCH', `/api/alerts/rules/${id}`, { enabled });
}

export async function deleteRule(id: number): Promise<void> {
  await callJson('DELETE', `/api/alerts/rules/${id}`);
}

export async function fetchEpisodes(state: 'firing' | 'resolved', limit: number): Promise<AlertEpisode[]> {
  return listOf(await callJson('GET', `/api/alerts/episodes?state=${state}&limit=${limit}`), 'episodes', isEpisode);
}

export async function fetchSilences(): Promise<AlertSilence[]> {
  return listOf(await callJson('GET', '/api/alerts/silences'), 'silences', isSilence);
}

export async function createSilence(s: { ruleId: number | null; key: string | null; endsAt: number; comment: string }): Promise<void> {
  await callJson('POST', '/api/alerts/silences', s);
}

export async function deleteSilence(id: number): Promise<void> {
  await callJson('DELETE', `/api/alerts/silences/${id}`);
}

export async function fetchDeliveries(limit: number): Promise<AlertDelivery[]> {
  return listOf(await callJson('GET', `/api/alerts/deliveries?limit=${limit}`), 'deliveries', isDelivery);
}

/** One evaluation pass now (admins): what it opened or resolved. */
export async function evaluateNow(): Promise<AlertEpisode[]> {
  return listOf(await callJson('POST', '/api/alerts/evaluate'), 'episodes', isEpisode);
}
