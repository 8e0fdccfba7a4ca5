/**
 * Alert rules, episodes, silences and deliveries on the fleet store (the AlertStore contract,
 * ../alert-store.ts). Every table is rows replaced by newer versions (ReplacingMergeTree, read
 * with FINAL), a delete is a newer version marked deleted; the record is JSON (`body`) beside the
 * columns queries filter on. Read-modify-write steps go through one Serial, as in auth.ts. Only
 * one collector of a fleet evaluates and delivers (server/alerts/engine.ts), so two collectors
 * never race on one episode or delivery.
 */
import {
  DELIVERY_STATES, type AlertDelivery, type AlertEpisode, type AlertRule, type AlertSilence, type AlertStore, type DeliveryQuery,
  type DeliveryState, type EpisodeQuery, type NewAlertDelivery, type NewAlertEpisode, type NewAlertRule,
} from '../alert-store.js';
import type { IdSource } from '../ids.js';
import type { FleetContext } from './context.js';
import { waitForMutations } from './mutations.js';
import { Serial } from './serial.js';
import { int, list, str } from './sql.js';

interface Table {
  readonly name: string;
  /** Columns besides id, version, deleted and body, as [column, record field]. */
  readonly columns: ReadonlyArray<readonly [string, string]>;
}

const RULES: Table = { name: 'alert_rules', columns: [] };
const EPISODES: Table = { name: 'alert_episodes', columns: [['rule_id', 'ruleId'], ['state', 'state']] };
const SILENCES: Table = { name: 'alert_silences', columns: [] };
const DELIVERIES: Table = { name: 'alert_deliveries', columns: [['state', 'state']] };

interface DbRow { id: number; version: number; body: string }

/** Rows deleted per table and retention run; the rest go on the next run. */
const PURGE_BATCH = 10_000;

export class ClickHouseAlerts implements AlertStore {
  private readonly ids: IdSource;
  private readonly serial = new Serial();

  constructor(readonly ctx: FleetContext) {
    this.ids = ctx.ids();
  }

  static tables(): string[] {
    return [
      'CREATE TABLE IF NOT EXISTS alert_rules (id Int64, version UInt64, deleted UInt8, body String) ENGINE = ReplacingMergeTree(version) ORDER BY id',
      `CREATE TABLE IF NOT EXISTS alert_episodes (id Int64, version UInt64, deleted UInt8, rule_id Int64, state String, body String)
        ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      'CREATE TABLE IF NOT EXISTS alert_silences (id Int64, version UInt64, deleted UInt8, body String) ENGINE = ReplacingMergeTree(version) ORDER BY id',
      `CREATE TABLE IF NOT EXISTS alert_deliveries (id Int64, version UInt64, deleted UInt8, state String, body String)
        ENGINE = ReplacingMergeTree(version) ORDER BY id`,
    ];
  }

  listRules(): Promise<AlertRule[]> {
    return this.select<AlertRule>(RULES, '', 'ORDER BY id');
  }

  createRule(rule: NewAlertRule, nowMs: number): Promise<AlertRule> {
    return this.serial.run(() => this.insertRule(rule, nowMs));
  }

  updateRule(id: number, rule: NewAlertRule, nowMs: number): Promise<AlertRule | null> {
    return this.serial.run(() => this.replaceRule(id, rule, nowMs));
  }

  deleteRule(id: number): Promise<boolean> {
    return this.serial.run(() => this.remove(RULES, id));
  }

  syncConfigRules(rules: readonly NewAlertRule[], nowMs: number): Promise<AlertRule[]> {
    return this.serial.run(async () => {
      const stored = new Map((await this.listRules()).filter((r) => r.source === 'config').map((r) => [r.name, r]));
      const out: AlertRule[] = [];
      for (const rule of rules) {
        const old = stored.get(rule.name);
        stored.delete(rule.name);
        out.push(old ? (await this.replaceRule(old.id, rule, nowMs))! : await this.insertRule(rule, nowMs));
      }
      for (const gone of stored.values()) await this.remove(RULES, gone.id);
      return out;
    });
  }

  openEpisode(e: NewAlertEpisode): Promise<AlertEpisode> {
    return this.serial.run(async () => {
      const episode: AlertEpisode = { ...e, id: this.ids.next(), state: 'firing', resolvedAt: null };
      await this.write(EPISODES, episode, this.ids.next());
      return episode;
    });
  }

  resolveEpisode(id: number, atMs: number, lastValue: number | null): Promise<boolean> {
    return this.serial.run(async () => {
      const [old] = await this.selectVersioned<AlertEpisode>(EPISODES, `AND id = ${int(id)} AND state = 'firing'`);
      if (!old) return false;
      await this.write(EPISODES, { ...old.record, state: 'resolved', resolvedAt: atMs, lastValue }, this.versionAfter(old.version));
      return true;
    });
  }

  listEpisodes(q: EpisodeQuery): Promise<AlertEpisode[]> {
    const and = [q.state ? `AND state = ${str(q.state)}` : '', q.ruleId !== undefined ? `AND rule_id = ${int(q.ruleId)}` : ''].join(' ');
    return this.select<AlertEpisode>(EPISODES, and, `ORDER BY id DESC LIMIT ${int(q.limit)}`);
  }

  createSilence(s: Omit<AlertSilence, 'id'>): Promise<AlertSilence> {
    return this.serial.run(async () => {
      const silence: AlertSilence = { ...s, id: this.ids.next() };
      await this.write(SILENCES, silence, this.ids.next());
      return silence;
    });
  }

  listSilences(): Promise<AlertSilence[]> {
    return this.select<AlertSilence>(SILENCES, '', 'ORDER BY id');
  }

  deleteSilence(id: number): Promise<boolean> {
    return this.serial.run(() => this.remove(SILENCES, id));
  }

  addDelivery(d: NewAlertDelivery): Promise<AlertDelivery> {
    return this.serial.run(async () => {
      const delivery: AlertDelivery = { ...d, id: this.ids.next() };
      await this.write(DELIVERIES, delivery, this.ids.next());
      return delivery;
    });
  }

  updateDelivery(d: AlertDelivery): Promise<boolean> {
    return this.serial.run(async () => {
      const [old] = await this.selectVersioned<AlertDelivery>(DELIVERIES, `AND id = ${int(d.id)}`);
      if (!old) return false;
      await this.write(DELIVERIES, d, this.versionAfter(old.version));
      return true;
    });
  }

  listDeliveries(q: DeliveryQuery): Promise<AlertDelivery[]> {
    const and = q.states?.length ? `AND state IN ${list(q.states)}` : '';
    return this.select<AlertDelivery>(DELIVERIES, and, `ORDER BY id DESC LIMIT ${int(q.limit)}`);
  }

  async deliveryCounts(): Promise<Record<DeliveryState, number>> {
    const counts = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    const rows = await this.ctx.db.rows<{ state: DeliveryState; n: number }>('SELECT state, count() AS n FROM alert_deliveries FINAL WHERE deleted = 0 GROUP BY state');
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  /** visitParamExtractInt reads a top-level number of the JSON body (every server version has it, unlike JSONExtract*). */
  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ episodes: number; deliveries: number; silences: number }> {
    const cutoff = int(nowMs - maxAgeMs);
    return this.serial.run(async () => ({
      episodes: await this.purge(EPISODES, `AND state = 'resolved' AND visitParamExtractInt(body, 'resolvedAt') < ${cutoff}`),
      deliveries: await this.purge(DELIVERIES, `AND state IN ('delivered', 'failed') AND visitParamExtractInt(body, 'createdAt') < ${cutoff}`),
      silences: await this.purge(SILENCES, `AND visitParamExtractInt(body, 'endsAt') < ${cutoff}`),
    }));
  }

  /**
   * Deletes every version of the rows whose newest version matches: by id, so an older version
   * left unmerged (a firing episode now resolved) cannot come back.
   */
  private async purge(table: Table, and: string): Promise<number> {
    const ids = (await this.ctx.db.rows<{ id: number }>(`SELECT id FROM ${table.name} FINAL WHERE deleted = 0 ${and} LIMIT ${PURGE_BATCH}`)).map((r) => Number(r.id));
    if (ids.length === 0) return 0;
    await this.ctx.db.run(`ALTER TABLE ${table.name} DELETE WHERE id IN ${list(ids)}`);
    await waitForMutations(this.ctx.db, [table.name]);
    return ids.length;
  }

  private async insertRule(rule: NewAlertRule, nowMs: number): Promise<AlertRule> {
    const record: AlertRule = { ...rule, id: this.ids.next(), createdAt: nowMs, updatedAt: nowMs };
    await this.write(RULES, record, this.ids.next());
    return record;
  }

  private async replaceRule(id: number, rule: NewAlertRule, nowMs: number): Promise<AlertRule | null> {
    const [old] = await this.selectVersioned<AlertRule>(RULES, `AND id = ${int(id)}`);
    if (!old) return null;
    const record: AlertRule = { ...rule, id, source: old.record.source, createdAt: old.record.createdAt, updatedAt: nowMs };
    await this.write(RULES, record, this.versionAfter(old.version));
    return record;
  }

  private async remove(table: Table, id: number): Promise<boolean> {
    const [old] = await this.selectVersioned<{ id: number }>(table, `AND id = ${int(id)}`);
    if (!old) return false;
    await this.write(table, old.record, this.versionAfter(old.version), true);
    return true;
  }

  private async select<T>(table: Table, and: string, tail: string): Promise<T[]> {
    return (await this.selectVersioned<T>(table, and, tail)).map((r) => r.record);
  }

  private async selectVersioned<T>(table: Table, and: string, tail = ''): Promise<Array<{ record: T; version: number }>> {
    const rows = await this.ctx.db.rows<DbRow>(`SELECT id, version, body FROM ${table.name} FINAL WHERE deleted = 0 ${and} ${tail}`);
    return rows.map((r) => ({ record: { ...(JSON.parse(r.body) as object), id: Number(r.id) } as T, version: Number(r.version) }));
  }

  private write<T extends { id: number }>(table: Table, record: T, version: number, deleted = false): Promise<void> {
    const { id, ...rest } = record;
    const fields = record as unknown as Record<string, string | number>;
    return this.ctx.db.insertRows(table.name, ['id', 'version', 'deleted', ...table.columns.map(([c]) => c), 'body'],
      [[id, version, deleted, ...table.columns.map(([, f]) => fields[f]!), JSON.stringify(rest)]]);
  }

  private versionAfter(base: number): number {
    return Math.max(this.ids.next(), base + 1);
  }
}
