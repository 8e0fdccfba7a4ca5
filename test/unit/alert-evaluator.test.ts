// The pure alert evaluator (server/alerts/evaluate.ts) and rule checking (server/alerts/rules.ts):
// one episode per key that fires once and resolves when the condition clears, silences that
// record without delivering, and every kind's condition, message and deep link.
import { describe, expect, it } from 'vitest';
import { evaluate, type RuleFacts, type SliceDimension } from '../../server/alerts/evaluate.js';
import { checkRule, checkRuleChange, ruleJson } from '../../server/alerts/rules.js';
import type { AlertEpisode, AlertRule, AlertSilence, NewAlertEpisode } from '../../server/store/alert-store.js';

const NOW = Date.UTC(2026, 11, 7, 6, 0, 0);
const MIN = 60_000;

function ruleOf(input: object, id = 1): AlertRule {
  return { ...checkRule(input, 'api', 'admin'), id, createdAt: NOW, updatedAt: NOW };
}

/** Runs evaluations one after another the way the engine does, keeping the episodes. */
class Tracker {
  episodes: AlertEpisode[] = [];
  private nextId = 1;
  constructor(readonly rule: AlertRule, readonly silences: AlertSilence[] = []) {}

  step(facts: RuleFacts | null, nowMs: number): { opened: NewAlertEpisode[]; resolved: AlertEpisode[] } {
    const open = this.episodes.filter((e) => e.state === 'firing');
    const d = evaluate(this.rule, facts, nowMs, open, this.silences);
    for (const r of d.resolve) this.episodes = this.episodes.map((e) => (e.id === r.episode.id ? { ...e, state: 'resolved', resolvedAt: nowMs, lastValue: r.value } : e));
    for (const o of d.open) this.episodes.push({ ...o, id: this.nextId++, state: 'firing', resolvedAt: null });
    return { opened: d.open, resolved: d.resolve.map((r) => r.episode) };
  }

  firingKeys(): string[] {
    return this.episodes.filter((e) => e.state === 'firing').map((e) => e.key).sort();
  }
}

const poorRule = (over: object = {}) => ruleOf({ name: 'Poor calls', kind: 'poor-call-rate', params: { thresholdPct: 20, windowMin: 15, minCalls: 10, by: 'site' }, ...over });
const poorFacts = (rows: Array<[string | null, number, number]>, dimension: SliceDimension | null = 'site'): RuleFacts => ({
  kind: 'poor-call-rate', fromMs: NOW - 15 * MIN, dimension, rows: rows.map(([value, judged, poor]) => ({ value, judged, poor })),
});

describe('episodes', () => {
  it('fires once per episode while the condition holds, resolves when it clears, and a new breach is a new episode', () => {
    const t = new Tracker(poorRule());
    const first = t.step(poorFacts([['Madrid', 20, 8], ['Berlin', 20, 1]]), NOW);
    expect(first.opened.map((o) => o.key)).toEqual(['site=Madrid']);
    expect(first.opened[0]).toMatchObject({
      ruleId: 1, ruleName: 'Poor calls', kind: 'poor-call-rate', startedAt: NOW, lastValue: 40, silenced: false,
      message: 'Poor calls at site Madrid: 40 % of 20 judged calls in the last 15 min (threshold 20 %).',
      link: `#/calls?verdict=poor&startFrom=${encodeURIComponent(new Date(NOW - 15 * MIN).toISOString())}&site=Madrid`,
    });
    // Still bad, twice: nothing new (no storm of repeats).
    for (const at of [NOW + 15_000, NOW + 30_000]) expect(t.step(poorFacts([['Madrid', 22, 9], ['Berlin', 20, 1]]), at)).toEqual({ opened: [], resolved: [] });
    const cleared = t.step(poorFacts([['Madrid', 30, 3], ['Berlin', 20, 1]]), NOW + 45_000);
    expect(cleared.opened).toEqual([]);
    expect(cleared.resolved.map((e) => e.key)).toEqual(['site=Madrid']);
    expect(t.episodes[0]).toMatchObject({ state: 'resolved', resolvedAt: NOW + 45_000, lastValue: 10 });
    const again = t.step(poorFacts([['Madrid', 30, 9]]), NOW + 60_000);
    expect(again.opened.map((o) => o.key)).toEqual(['site=Madrid']);
    expect(t.episodes.map((e) => [e.id, e.state])).toEqual([[1, 'resolved'], [2, 'firing']]);
  });

  it('keeps a share hovering at the threshold one episode: it clears only at 80 % of the threshold', () => {
    const t = new Tracker(poorRule());
    const steps: Array<[number, number]> = [[21, 100], [19, 100], [17, 100], [21, 100], [16, 100], [19, 100]];
    const events = steps.map(([poor, judged], i) => {
      const r = t.step(poorFacts([['Madrid', judged, poor]]), NOW + i * 15_000);
      return r.opened.length ? 'open' : r.resolved.length ? 'resolve' : '-';
    });
    expect(events).toEqual(['open', '-', '-', '-', 'resolve', '-']);
    // A window emptied of judged calls is clear too, whatever minCalls says.
    t.step(poorFacts([['Madrid', 20, 8]]), NOW + 100_000);
    expect(t.step(poorFacts([['Madrid', 5, 4]]), NOW + 115_000).resolved).toEqual([]);
    expect(t.step(poorFacts([['Madrid', 0, 0]]), NOW + 130_000).resolved.map((e) => e.key)).toEqual(['site=Madrid']);
  });

  it('keeps one episode per slice value: each site opens and resolves on its own', () => {
    const t = new Tracker(poorRule());
    t.step(poorFacts([['Madrid', 20, 8], ['Paris', 10, 5], [null, 12, 6]]), NOW);
    expect(t.firingKeys()).toEqual(['site=(none)', 'site=Madrid', 'site=Paris']);
    const r = t.step(poorFacts([['Madrid', 20, 8], ['Paris', 10, 1], [null, 12, 6]]), NOW + 15_000);
    expect(r.resolved.map((e) => e.key)).toEqual(['site=Paris']);
    expect(t.firingKeys()).toEqual(['site=(none)', 'site=Madrid']);
    // A slice that has no calls any more is not breaching: it resolves, value unknown.
    const gone = t.step(poorFacts([['Madrid', 20, 8]]), NOW + 30_000);
    expect(gone.resolved.map((e) => e.key)).toEqual(['site=(none)']);
    expect(t.episodes.find((e) => e.key === 'site=(none)')!.lastValue).toBeNull();
  });

  it('keeps phone-sent text in keys and messages on one bounded line, and the link exact', () => {
    const hostile = `420HD\r\nBcc: all@example.com ${'x'.repeat(300)}`;
    const [o] = evaluate(poorRule({ params: { thresholdPct: 20, by: 'model' } }), poorFacts([[hostile, 20, 8]], 'model'), NOW, [], []).open;
    expect(o!.key).toMatch(/^model=420HD\?\?Bcc: all@example\.com x+…$/);
    expect(o!.key.length).toBe('model='.length + 120);
    expect(o!.message).not.toMatch(/[\r\n]/);
    expect(new URLSearchParams(o!.link.split('?')[1]).get('model')).toBe(hostile);
  });

  it('opens a key named twice in one set of facts once', () => {
    const t = new Tracker(poorRule());
    expect(t.step(poorFacts([['Madrid', 20, 8], ['Madrid', 20, 8]]), NOW).opened).toHaveLength(1);
  });

  it('resolves every open episode of a disabled rule and opens none', () => {
    const t = new Tracker(poorRule());
    t.step(poorFacts([['Madrid', 20, 8]]), NOW);
    const off = new Tracker({ ...t.rule, enabled: false });
    off.episodes = t.episodes;
    expect(off.step(poorFacts([['Madrid', 20, 8], ['Paris', 20, 8]]), NOW + 1).resolved.map((e) => e.key)).toEqual(['site=Madrid']);
    expect(off.firingKeys()).toEqual([]);
    // No facts: the rule is off, which resolves too.
    expect(t.step(null, NOW + 2).resolved.map((e) => e.key)).toEqual(['site=Madrid']);
  });

  it('leaves other rules\' episodes alone', () => {
    const t = new Tracker(poorRule());
    const other: AlertEpisode = { id: 99, ruleId: 2, ruleName: 'x', kind: 'device-silent', key: 'site=Madrid', state: 'firing', startedAt: NOW, resolvedAt: null, lastValue: 1, message: '', link: '', silenced: false };
    const d = evaluate(t.rule, poorFacts([['Madrid', 20, 8]]), NOW, [other], []);
    expect(d.resolve).toEqual([]);
    expect(d.open.map((o) => o.key)).toEqual(['site=Madrid']);
  });
});

describe('silences', () => {
  const silence = (over: Partial<AlertSilence>): AlertSilence => ({ id: 1, ruleId: null, key: null, startsAt: NOW - MIN, endsAt: NOW + 10 * MIN, comment: '', createdBy: 'admin', ...over });

  it('records an episode that opens under a silence as silenced, for its rule and key only', () => {
    const t = new Tracker(poorRule(), [silence({ ruleId: 1, key: 'site=Madrid' })]);
    const r = t.step(poorFacts([['Madrid', 20, 8], ['Paris', 20, 8]]), NOW);
    expect(r.opened.map((o) => [o.key, o.silenced])).toEqual([['site=Madrid', true], ['site=Paris', false]]);
  });

  it('covers every key of a rule without a key, every rule without a rule, and only inside its window', () => {
    const facts = poorFacts([['Madrid', 20, 8]]);
    expect(evaluate(poorRule(), facts, NOW, [], [silence({ ruleId: 1 })]).open[0]!.silenced).toBe(true);
    expect(evaluate(poorRule(), facts, NOW, [], [silence({})]).open[0]!.silenced).toBe(true);
    expect(evaluate(poorRule(), facts, NOW, [], [silence({ ruleId: 2 })]).open[0]!.silenced).toBe(false);
    expect(evaluate(poorRule(), facts, NOW, [], [silence({ key: 'site=Paris' })]).open[0]!.silenced).toBe(false);
    expect(evaluate(poorRule(), facts, NOW + 10 * MIN, [], [silence({})]).open[0]!.silenced).toBe(false);
    expect(evaluate(poorRule(), facts, NOW - 2 * MIN, [], [silence({})]).open[0]!.silenced).toBe(false);
  });

  it('still resolves a silenced episode when the condition clears', () => {
    const t = new Tracker(poorRule(), [silence({})]);
    t.step(poorFacts([['Madrid', 20, 8]]), NOW);
    expect(t.step(poorFacts([['Madrid', 20, 0]]), NOW + 15_000).resolved.map((e) => [e.key, e.silenced])).toEqual([['site=Madrid', true]]);
  });
});

describe('every kind', () => {
  it('poor-call-rate: needs minCalls judged calls and a share above the threshold; without by it is one fleet-wide key', () => {
    const rule = poorRule({ params: { thresholdPct: 20, minCalls: 10 } });
    expect(rule.params).toEqual({ thresholdPct: 20, windowMin: 15, minCalls: 10 });
    expect(evaluate(rule, poorFacts([[null, 9, 9]], null), NOW, [], []).open).toEqual([]);
    expect(evaluate(rule, poorFacts([[null, 10, 2]], null), NOW, [], []).open).toEqual([]);
    const [fleet] = evaluate(rule, poorFacts([[null, 10, 3]], null), NOW, [], []).open;
    expect(fleet).toMatchObject({ key: '', lastValue: 30, message: 'Poor calls across the fleet: 30 % of 10 judged calls in the last 15 min (threshold 20 %).' });
    expect(fleet!.link).toBe(`#/calls?verdict=poor&startFrom=${encodeURIComponent(new Date(NOW - 15 * MIN).toISOString())}`);
  });

  it('call-mos-below: one episode per finished call under the MOS, resolved resolveMin after the call ended', () => {
    const t = new Tracker(ruleOf({ name: 'Bad call', kind: 'call-mos-below', params: { mos: 3.5, resolveMin: 10 } }));
    const calls = (at: number): RuleFacts => ({ kind: 'call-mos-below', calls: [
      { id: 7, avgMos: 2.9, endMs: NOW - MIN, device: '10.0.0.5' }, { id: 8, avgMos: 3.5, endMs: NOW, device: null }, { id: 9, avgMos: null, endMs: at, device: null },
    ] });
    const r = t.step(calls(NOW), NOW);
    expect(r.opened).toEqual([expect.objectContaining({ key: 'call=7', lastValue: 2.9, message: 'Call 7 of 10.0.0.5 ended with an average MOS of 2.9 (below 3.5).', link: '#/calls/7' })]);
    expect(t.step(calls(NOW), NOW + 8 * MIN).opened).toEqual([]);
    expect(t.step(calls(NOW), NOW + 9 * MIN).resolved.map((e) => e.key)).toEqual(['call=7']);
    // Past its time it never opens again, even while the store still lists it.
    expect(t.step(calls(NOW), NOW + 9.5 * MIN).opened).toEqual([]);
  });

  it('crash-group: new groups in new mode, a count at or over the threshold in spike mode', () => {
    const facts: RuleFacts = { kind: 'crash-group', groups: [{ hash: 'a1', title: 'SIGSEGV in sip_stack', count: 2, isNew: true }, { hash: 'b2', title: 'SIGABRT <dsp>', count: 6, isNew: false }] };
    const fresh = evaluate(ruleOf({ name: 'New crash', kind: 'crash-group', params: { mode: 'new' } }), facts, NOW, [], []).open;
    expect(fresh.map((o) => [o.key, o.message, o.link])).toEqual([['group=a1', 'New crash group "SIGSEGV in sip_stack": 2 crashes in the last 60 min, none before.', '#/crashes?group=a1']]);
    const spikes = evaluate(ruleOf({ name: 'Spike', kind: 'crash-group', params: { mode: 'spike', count: 6, windowMin: 30 } }), facts, NOW, [], []).open;
    expect(spikes.map((o) => [o.key, o.lastValue, o.message])).toEqual([['group=b2', 6, 'Crash group "SIGABRT <dsp>" spiked: 6 crashes in the last 30 min (threshold 6).']]);
  });

  it('device-silent: one episode per device quiet for longer than the minutes (fractions allowed), resolved when it speaks', () => {
    const t = new Tracker(ruleOf({ name: 'Silent', kind: 'device-silent', params: { minutes: 0.05 } }));
    const devices = (a: number, b: number): RuleFacts => ({ kind: 'device-silent', devices: [{ address: '10.0.0.5', lastSeen: a }, { address: 'fe80::1', lastSeen: b }] });
    expect(t.step(devices(NOW - 2000, NOW - 2000), NOW).opened).toEqual([]);
    const r = t.step(devices(NOW - 4000, NOW), NOW + 100);
    expect(r.opened.map((o) => [o.key, o.message, o.link])).toEqual([['device=10.0.0.5', 'Device 10.0.0.5 has sent nothing for 4 s (threshold 3 s).', '#/devices/10.0.0.5']]);
    expect(t.step(devices(NOW + 150, NOW + 150), NOW + 200).resolved.map((e) => e.key)).toEqual(['device=10.0.0.5']);
    expect(t.step(devices(NOW - 4000, NOW - 3 * 3600_000), NOW + 300).opened.map((o) => [o.key, o.link])).toEqual([['device=10.0.0.5', '#/devices/10.0.0.5'], ['device=fe80::1', '#/devices/fe80%3A%3A1']]);
  });

  it('syslog-gaps: a rate above perMinute, for the fleet or per device', () => {
    const rule = ruleOf({ name: 'Gaps', kind: 'syslog-gaps', params: { perMinute: 5, by: 'device' } });
    const d = evaluate(rule, { kind: 'syslog-gaps', rates: [{ device: null, perMinute: 12 }, { device: '10.0.0.5', perMinute: 5 }, { device: '10.0.0.6', perMinute: 5.5 }] }, NOW, [], []);
    expect(d.open.map((o) => [o.key, o.lastValue, o.link])).toEqual([['', 12, '#/devices'], ['device=10.0.0.6', 5.5, '#/logs?device=10.0.0.6']]);
    expect(d.open[0]!.message).toBe('Syslog sequence gaps and drops across the fleet: 12 a minute (threshold 5).');
    const t = new Tracker(rule);
    const rates = (fleet: number): RuleFacts => ({ kind: 'syslog-gaps', rates: [{ device: null, perMinute: fleet }] });
    expect(t.step(rates(6), NOW).opened).toHaveLength(1);
    expect(t.step(rates(4.5), NOW + 1).resolved).toEqual([]);
    expect(t.step(rates(4), NOW + 2).resolved.map((e) => e.key)).toEqual(['']);
  });

  it('source-fault: each faulted listener and the store is its own episode, with the reason as the message', () => {
    const t = new Tracker(ruleOf({ name: 'Faults', kind: 'source-fault' }));
    const r = t.step({ kind: 'source-fault', faults: [{ key: 'listener=syslog-udp', reason: 'Listener syslog-udp is not listening: port 514 in use.' }, { key: 'store', reason: 'The store is stalled.' }] }, NOW);
    expect(r.opened.map((o) => [o.key, o.message, o.link])).toEqual([['listener=syslog-udp', 'Listener syslog-udp is not listening: port 514 in use.', '#/setup'], ['store', 'The store is stalled.', '#/setup']]);
    expect(t.step({ kind: 'source-fault', faults: [{ key: 'store', reason: 'The store is stalled.' }] }, NOW + 1).resolved.map((e) => e.key)).toEqual(['listener=syslog-udp']);
  });
});

describe('rule input', () => {
  const bad = (input: object) => { try { checkRule(input, 'api', null); return ''; } catch (err) { return (err as Error).message; } };

  it('refuses a bad field with a sentence that names it', () => {
    expect(bad({ kind: 'device-silent', params: { minutes: 5 } })).toBe('name: give it as text');
    expect(bad({ name: 'x', kind: 'cpu-hot' })).toMatch(/^kind: "cpu-hot" is not one of poor-call-rate, /);
    expect(bad({ name: 'x', kind: 'device-silent' })).toBe('params.minutes: device-silent needs it');
    expect(bad({ name: 'x', kind: 'device-silent', params: { minutes: -1 } })).toBe('params.minutes: -1 is not a number from 0.01 to 10080');
    expect(bad({ name: 'x', kind: 'device-silent', params: { minutes: 5, mos: 3 } })).toBe('params.mos: not a setting of device-silent (its settings: minutes)');
    expect(bad({ name: 'x', kind: 'crash-group', params: { mode: 'often' } })).toBe('params.mode: "often" is not one of new, spike');
    expect(bad({ name: 'x', kind: 'poor-call-rate', params: { thresholdPct: 5, minCalls: 2.5 } })).toBe('params.minCalls: 2.5 is not a whole number from 1 to 1000000');
    expect(bad({ name: 'x', kind: 'poor-call-rate', params: { thresholdPct: 5 }, scope: { site: 'A', peer: 'b' } })).toMatch(/^scope: poor-call-rate narrows by one of/);
    expect(bad({ name: 'x', kind: 'poor-call-rate', params: { thresholdPct: 5, by: 'model' }, scope: { site: 'A' } })).toMatch(/^scope.site: with params.by model/);
    expect(bad({ name: 'x', kind: 'device-silent', params: { minutes: 5 }, scope: { group: 'lobby' } })).toBe('scope.group: device-silent can be narrowed by site, model, firmware (device groups are the sites of --sites)');
    expect(bad({ name: 'x', kind: 'source-fault', channels: { webhook: { url: 'ftp://x' } } })).toBe('channels.webhook.url: use http:// or https://');
    expect(bad({ name: 'x', kind: 'source-fault', channels: { email: { to: ['not an address'] } } })).toBe('channels.email.to[0]: "not an address" is not an e-mail address');
    expect(bad({ name: 'x', kind: 'source-fault', channels: { sms: {} } })).toBe('channels.sms: the channels are webhook and email');
    expect(bad({ name: 'x', kind: 'source-fault', colour: 'red' })).toMatch(/^colour: not a field of a rule/);
  });

  it('hides the webhook secret, and a change that leaves it out keeps it', () => {
    const rule = ruleOf({ name: 'x', kind: 'source-fault', channels: { webhook: { url: 'https://hooks.example.com/a', secret: 'k' } } });
    expect(ruleJson(rule).channels).toEqual({ webhook: { url: 'https://hooks.example.com/a', hasSecret: true } });
    expect(JSON.stringify(ruleJson(rule))).not.toContain('"k"');
    const renamed = checkRuleChange(rule, { name: 'y' });
    expect(renamed).toMatchObject({ name: 'y', channels: { webhook: { url: 'https://hooks.example.com/a', secret: 'k' } } });
    expect(checkRuleChange(rule, { channels: { webhook: { url: 'https://hooks.example.com/a', secret: '' } } }).channels).toEqual({ webhook: { url: 'https://hooks.example.com/a' } });
    // A new kind starts from its own defaults, not the old kind's settings.
    expect(checkRuleChange(ruleOf({ name: 'p', kind: 'poor-call-rate', params: { thresholdPct: 5 } }), { kind: 'device-silent', params: { minutes: 2 } }).params).toEqual({ minutes: 2 });
  });
});
