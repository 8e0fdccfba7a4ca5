/**
 * Alert rules, episodes, silences and deliveries (the AlertStore contract, ../alert-store.ts).
 * Each row keeps its record as JSON (`body`) beside the columns queries filter and order on.
 */
import type { Database as Db } from 'better-sqlite3';
import {
  DELIVERY_STATES, type AlertDelivery, type AlertEpisode, type AlertRule, type AlertSilence, type DeliveryQuery, type DeliveryState,
  type EpisodeQuery, type NewAlertDelivery, type NewAlertEpisode, type NewAlertRule,
} from '../alert-store.js';
import type { Schema } from './migrations.js';

export const ALERTS_SCHEMA: Schema = {
  name: 'alerts',
  migrations: [
    `
    CREATE TABLE alert_rules (id INTEGER PRIMARY KEY, source TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL);
    CREATE TABLE alert_episodes (id INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL);
    CREATE INDEX alert_episodes_state ON alert_episodes(state, id);
    CREATE INDEX alert_episodes_rule ON alert_episodes(rule_id, id);
    CREATE TABLE alert_silences (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE alert_deliveries (id INTEGER PRIMARY KEY, state TEXT NOT NULL, body TEXT NOT NULL);
    CREATE INDEX alert_deliveries_state ON alert_deliveries(state, id);
    `,
  ],
};

type Row = { id: number; body: string };

function parse<T>(r: Row): T {
  return { ...(JSON.parse(r.body) as object), id: r.id } as T;
}

/** The record without its id (the id is the row's key). */
function bodyOf(record: object): string {
  const { id: _id, ...rest } = record as { id?: number };
  return JSON.stringify(rest);
}

export class AlertsTables {
  constructor(private readonly db: Db) {}

  listRules(): AlertRule[] {
    return (this.db.prepare('SELECT id, body FROM alert_rules ORDER BY id').all() as Row[]).map((r) => parse<AlertRule>(r));
  }

  createRule(rule: NewAlertRule, nowMs: number): AlertRule {
    const record = { ...rule, createdAt: nowMs, updatedAt: nowMs };
    const id = Number(this.db.prepare('INSERT INTO alert_rules (source, name, body) VALUES (?, ?, ?)').run(rule.source, rule.name, bodyOf(record)).lastInsertRowid);
    return { ...record, id };
  }

  updateRule(id: number, rule: NewAlertRule, nowMs: number): AlertRule | null {
    const old = this.rule(id);
    if (!old) return null;
    const record: AlertRule = { ...rule, id, source: old.source, createdAt: old.createdAt, updatedAt: nowMs };
    this.db.prepare('UPDATE alert_rules SET name = ?, body = ? WHERE id = ?').run(record.name, bodyOf(record), id);
    return record;
  }

  deleteRule(id: number): boolean {
    return this.db.prepare('DELETE FROM alert_rules WHERE id = ?').run(id).changes > 0;
  }

  syncConfigRules(rules: readonly NewAlertRule[], nowMs: number): AlertRule[] {
    return this.db.transaction(() => {
      const stored = new Map(this.listRules().filter((r) => r.source === 'config').map((r) => [r.name, r]));
      const out = rules.map((rule) => {
        const old = stored.get(rule.name);
        stored.delete(rule.name);
        return old ? this.updateRule(old.id, rule, nowMs)! : this.createRule(rule, nowMs);
      });
      for (const gone of stored.values()) this.deleteRule(gone.id);
      return out;
    })();
  }

  openEpisode(e: NewAlertEpisode): AlertEpisode {
    const record = { ...e, state: 'firing' as const, resolvedAt: null };
    const id = Number(this.db.prepare('INSERT INTO alert_episodes (rule_id, state, body) VALUES (?, ?, ?)').run(e.ruleId, 'firing', bodyOf(record)).lastInsertRowid);
    return { ...record, id };
  }

  resolveEpisode(id: number, atMs: number, lastValue: number | null): boolean {
    const r = this.db.prepare("SELECT id, body FROM alert_episodes WHERE id = ? AND state = 'firing'").get(id) as Row | undefined;
    if (!r) return false;
    const record: AlertEpisode = { ...parse<AlertEpisode>(r), state: 'resolved', resolvedAt: atMs, lastValue };
    this.db.prepare('UPDATE alert_episodes SET state = ?, body = ? WHERE id = ?').run('resolved', bodyOf(record), id);
    return true;
  }

  listEpisodes(q: EpisodeQuery): AlertEpisode[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.state) { where.push('state = ?'); args.push(q.state); }
    if (q.ruleId !== undefined) { where.push('rule_id = ?'); args.push(q.ruleId); }
    const sql = `SELECT id, body FROM alert_episodes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as Row[]).map((r) => parse<AlertEpisode>(r));
  }

  createSilence(s: Omit<AlertSilence, 'id'>): AlertSilence {
    const id = Number(this.db.prepare('INSERT INTO alert_silences (body) VALUES (?)').run(bodyOf(s)).lastInsertRowid);
    return { ...s, id };
  }

  listSilences(): AlertSilence[] {
    return (this.db.prepare('SELECT id, body FROM alert_silences ORDER BY id').all() as Row[]).map((r) => parse<AlertSilence>(r));
  }

  deleteSilence(id: number): boolean {
    return this.db.prepare('DELETE FROM alert_silences WHERE id = ?').run(id).changes > 0;
  }

  addDelivery(d: NewAlertDelivery): AlertDelivery {
    const id = Number(this.db.prepare('INSERT INTO alert_deliveries (state, body) VALUES (?, ?)').run(d.state, bodyOf(d)).lastInsertRowid);
    return { ...d, id };
  }

  updateDelivery(d: AlertDelivery): boolean {
    return this.db.prepare('UPDATE alert_deliveries SET state = ?, body = ? WHERE id = ?').run(d.state, bodyOf(d), d.id).changes > 0;
  }

  listDeliveries(q: DeliveryQuery): AlertDelivery[] {
    const states = q.states ?? [];
    const where = states.length ? `WHERE state IN (${states.map(() => '?').join(', ')})` : '';
    return (this.db.prepare(`SELECT id, body FROM alert_deliveries ${where} ORDER BY id DESC LIMIT ?`).all(...states, q.limit) as Row[])
      .map((r) => parse<AlertDelivery>(r));
  }

  deliveryCounts(): Record<DeliveryState, number> {
    const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM alert_deliveries GROUP BY state').all() as Array<{ state: DeliveryState; n: number }>) counts[r.state] = r.n;
    return counts;
  }

  enforceRetention(maxAgeMs: number, nowMs: number): { episodes: number; deliveries: number; silences: number } {
    const cutoff = nowMs - maxAgeMs;
    return this.db.transaction(() => ({
      episodes: this.db.prepare("DELETE FROM alert_episodes WHERE state = 'resolved' AND json_extract(body, '$.resolvedAt') < ?").run(cutoff).changes,
      deliveries: this.db.prepare("DELETE FROM alert_deliveries WHERE state IN ('delivered', 'failed') AND json_extract(body, '$.createdAt') < ?").run(cutoff).changes,
      silences: this.db.prepare("DELETE FROM alert_silences WHERE json_extract(body, '$.endsAt') < ?").run(cutoff).changes,
    }))();
  }

  private rule(id: number): AlertRule | null {
    const r = this.db.prepare('SELECT id, body FROM alert_rules WHERE id = ?').get(id) as Row | undefined;
    return r ? parse<AlertRule>(r) : null;
  }
}
