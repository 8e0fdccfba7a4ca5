// The alerts contract (server/store/alert-store.ts) on every backend: rules (api and config-file
// ones kept by name), episodes opened and resolved once, silences, and deliveries whose state
// survives a reopen of the store (a restart resumes the pending ones).
import { expect, it } from 'vitest';
import type { NewAlertDelivery, NewAlertRule } from '../../server/store/alert-store.js';
import { eachBackend } from './backends.js';

const NOW = Date.UTC(2026, 11, 7, 5, 0, 0);

const rule = (name: string, over: Partial<NewAlertRule> = {}): NewAlertRule => ({
  name, kind: 'poor-call-rate', enabled: true, params: { thresholdPct: 20, windowMin: 15, minCalls: 5, by: 'site' },
  scope: {}, channels: { webhook: { url: 'http://127.0.0.1:9/hook', secret: "s3cr'et" }, email: { to: ['noc@example.com'] } },
  source: 'api', createdBy: 'admin', ...over,
});

eachBackend('alert store', (backend) => {
  it('creates, updates and deletes api rules, keeping id, source and createdAt', async () => {
    const { alerts } = await backend.open();
    const a = await alerts.createRule(rule('Poor calls "Madrid"'), NOW);
    expect(a).toEqual({ ...rule('Poor calls "Madrid"'), id: expect.any(Number), createdAt: NOW, updatedAt: NOW });
    const b = await alerts.createRule(rule('Silent phones', { kind: 'device-silent', params: { minutes: 10 }, channels: {} }), NOW + 1);
    expect((await alerts.listRules()).map((r) => r.name)).toEqual(['Poor calls "Madrid"', 'Silent phones']);
    const changed = await alerts.updateRule(a.id, rule('Poor calls', { enabled: false, source: 'config' }), NOW + 5);
    expect(changed).toEqual({ ...rule('Poor calls', { enabled: false }), id: a.id, createdAt: NOW, updatedAt: NOW + 5 });
    expect(await alerts.updateRule(a.id + b.id + 1000, rule('x'), NOW)).toBeNull();
    expect((await alerts.listRules()).find((r) => r.id === a.id)).toEqual(changed);
    expect(await alerts.deleteRule(b.id)).toBe(true);
    expect(await alerts.deleteRule(b.id)).toBe(false);
    expect((await alerts.listRules()).map((r) => r.id)).toEqual([a.id]);
  });

  it('syncs config rules by name: same name keeps its id, new ones are added, missing ones go, api rules stay', async () => {
    const { alerts } = await backend.open();
    const api = await alerts.createRule(rule('made in the dashboard'), NOW);
    const first = await alerts.syncConfigRules([rule('crashes', { source: 'config', kind: 'crash-group', params: { mode: 'new' } }), rule('faults', { source: 'config', kind: 'source-fault', params: {} })], NOW);
    expect(first.map((r) => [r.name, r.source])).toEqual([['crashes', 'config'], ['faults', 'config']]);
    const second = await alerts.syncConfigRules([rule('faults', { source: 'config', kind: 'source-fault', params: {}, enabled: false }), rule('silent', { source: 'config', kind: 'device-silent', params: { minutes: 5 } })], NOW + 10);
    expect(second[0]).toMatchObject({ id: first[1]!.id, name: 'faults', enabled: false, createdAt: NOW, updatedAt: NOW + 10 });
    const names = (await alerts.listRules()).map((r) => r.name).sort();
    expect(names).toEqual(['faults', 'made in the dashboard', 'silent']);
    expect((await alerts.listRules()).find((r) => r.id === api.id)).toEqual(api);
  });

  it('opens an episode firing, resolves it once, and lists newest first by state and rule', async () => {
    const { alerts } = await backend.open();
    const base = { ruleName: 'Poor calls', kind: 'poor-call-rate' as const, lastValue: 42.5, message: 'Poor calls at site Madrid: 42.5 % of 20 calls in 15 min (threshold 20 %).', link: '#/calls?verdict=poor&site=Madrid', silenced: false };
    const e1 = await alerts.openEpisode({ ...base, ruleId: 1, key: 'site=Madrid', startedAt: NOW });
    const e2 = await alerts.openEpisode({ ...base, ruleId: 1, key: "site=O'Hare\tT1", startedAt: NOW + 1, silenced: true });
    const e3 = await alerts.openEpisode({ ...base, ruleId: 2, key: '', startedAt: NOW + 2, lastValue: null });
    expect(e1).toEqual({ ...base, id: expect.any(Number), ruleId: 1, key: 'site=Madrid', startedAt: NOW, state: 'firing', resolvedAt: null });
    expect(await alerts.resolveEpisode(e1.id, NOW + 60_000, 3)).toBe(true);
    expect(await alerts.resolveEpisode(e1.id, NOW + 70_000, 4)).toBe(false);
    const all = await alerts.listEpisodes({ limit: 10 });
    expect(all.map((e) => e.id)).toEqual([e3.id, e2.id, e1.id]);
    expect(all[2]).toEqual({ ...e1, state: 'resolved', resolvedAt: NOW + 60_000, lastValue: 3 });
    expect(all[1]).toEqual(e2);
    expect((await alerts.listEpisodes({ state: 'firing', limit: 10 })).map((e) => e.id)).toEqual([e3.id, e2.id]);
    expect((await alerts.listEpisodes({ state: 'firing', ruleId: 1, limit: 10 })).map((e) => e.id)).toEqual([e2.id]);
    expect((await alerts.listEpisodes({ ruleId: 1, limit: 1 })).map((e) => e.id)).toEqual([e2.id]);
  });

  it('creates, lists and deletes silences', async () => {
    const { alerts } = await backend.open();
    const s = await alerts.createSilence({ ruleId: 3, key: 'device=10.0.0.5', startsAt: NOW, endsAt: NOW + 3_600_000, comment: 'maintenance, see "CHG-1"', createdBy: 'admin' });
    const all = await alerts.createSilence({ ruleId: null, key: null, startsAt: NOW, endsAt: NOW + 60_000, comment: '', createdBy: null });
    expect(await alerts.listSilences()).toEqual([s, all]);
    expect(await alerts.deleteSilence(s.id)).toBe(true);
    expect(await alerts.deleteSilence(s.id)).toBe(false);
    expect(await alerts.listSilences()).toEqual([all]);
  });

  it('keeps deliveries with their state, newest first, counted by state, across a reopen', async () => {
    const first = await backend.open();
    const d: NewAlertDelivery = {
      episodeId: 7, ruleId: 1, ruleName: 'Poor calls', channel: 'webhook', target: 'http://127.0.0.1:9/hook', event: 'firing', state: 'pending',
      attempts: 0, lastError: null, nextAttemptAt: NOW, deliveredAt: null, createdAt: NOW, payload: JSON.stringify({ version: 1, text: 'tab\there' }),
    };
    const a = await first.alerts.addDelivery(d);
    const b = await first.alerts.addDelivery({ ...d, channel: 'email', target: 'noc@example.com, ops@example.com' });
    const c = await first.alerts.addDelivery({ ...d, event: 'resolved' });
    expect(await first.alerts.updateDelivery({ ...a, state: 'retrying', attempts: 1, lastError: 'HTTP 503', nextAttemptAt: NOW + 1000 })).toBe(true);
    expect(await first.alerts.updateDelivery({ ...b, state: 'delivered', attempts: 1, nextAttemptAt: null, deliveredAt: NOW + 5 })).toBe(true);
    expect(await first.alerts.updateDelivery({ ...c, state: 'failed', attempts: 8, lastError: 'connect ECONNREFUSED', nextAttemptAt: null })).toBe(true);
    expect(await first.alerts.updateDelivery({ ...c, id: a.id + b.id + c.id + 1000 })).toBe(false);
    const reopened = await backend.open({ sameAs: first });
    const all = await reopened.alerts.listDeliveries({ limit: 10 });
    expect(all.map((x) => [x.id, x.state])).toEqual([[c.id, 'failed'], [b.id, 'delivered'], [a.id, 'retrying']]);
    expect(all[2]).toEqual({ ...a, state: 'retrying', attempts: 1, lastError: 'HTTP 503', nextAttemptAt: NOW + 1000 });
    expect((await reopened.alerts.listDeliveries({ states: ['pending', 'retrying'], limit: 10 })).map((x) => x.id)).toEqual([a.id]);
    expect(await reopened.alerts.deliveryCounts()).toEqual({ pending: 0, retrying: 1, delivered: 1, failed: 1 });
  });

  it('ages out what is over: resolved episodes, finished deliveries, ended silences; keeps what is still going on', async () => {
    const { alerts } = await backend.open();
    const DAY = 86_400_000;
    const ep = { ruleId: 1, ruleName: 'r', kind: 'device-silent' as const, lastValue: 1, message: 'm', link: '#/devices', silenced: false };
    const oldResolved = await alerts.openEpisode({ ...ep, key: 'device=a', startedAt: NOW - 40 * DAY });
    await alerts.resolveEpisode(oldResolved.id, NOW - 35 * DAY, 0);
    const oldFiring = await alerts.openEpisode({ ...ep, key: 'device=b', startedAt: NOW - 40 * DAY });
    const recent = await alerts.openEpisode({ ...ep, key: 'device=c', startedAt: NOW - 40 * DAY });
    await alerts.resolveEpisode(recent.id, NOW - DAY, 0);
    const d: NewAlertDelivery = {
      episodeId: 1, ruleId: 1, ruleName: 'r', channel: 'email', target: 'a@example.com', event: 'firing', state: 'failed',
      attempts: 8, lastError: 'x', nextAttemptAt: null, deliveredAt: null, createdAt: NOW - 40 * DAY, payload: '{}',
    };
    await alerts.addDelivery(d);
    const waiting = await alerts.addDelivery({ ...d, state: 'retrying', nextAttemptAt: NOW });
    const fresh = await alerts.addDelivery({ ...d, state: 'delivered', createdAt: NOW - DAY });
    await alerts.createSilence({ ruleId: null, key: null, startsAt: NOW - 40 * DAY, endsAt: NOW - 39 * DAY, comment: '', createdBy: null });
    const active = await alerts.createSilence({ ruleId: null, key: null, startsAt: NOW - 40 * DAY, endsAt: NOW + DAY, comment: '', createdBy: null });
    expect(await alerts.enforceRetention(30 * DAY, NOW)).toEqual({ episodes: 1, deliveries: 1, silences: 1 });
    expect((await alerts.listEpisodes({ limit: 10 })).map((e) => e.id).sort()).toEqual([oldFiring.id, recent.id].sort());
    expect((await alerts.listDeliveries({ limit: 10 })).map((x) => x.id).sort()).toEqual([waiting.id, fresh.id].sort());
    expect((await alerts.listSilences()).map((x) => x.id)).toEqual([active.id]);
    expect(await alerts.enforceRetention(30 * DAY, NOW)).toEqual({ episodes: 0, deliveries: 0, silences: 0 });
  });
});
