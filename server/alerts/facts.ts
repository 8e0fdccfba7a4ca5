/**
 * What each rule is evaluated on, read from where the collector already keeps it: the store's
 * quality aggregates and calls list (the same queries the Quality page and calls list use), the
 * crash groups, the device registry's last-seen times and sequence gaps, the ingest counters,
 * listener states and the store writer's health. Narrowed to the rule's scope here, so the
 * evaluator only compares.
 */
import { sliceFor } from '../fleet/quality-slices.js';
import type { SiteMap } from '../fleet/sites.js';
import { peerOf } from '../metrics/prometheus.js';
import type { Counters } from '../counters.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import type { ListenerStatus } from '../sources/listener.js';
import { STORE_STALLED_AFTER_MS } from '../api/routes.js';
import type { AlertRule, AlertScope } from '../store/alert-store.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { CallStore } from '../store/call-store.js';
import type { CrashStore } from '../store/crash-store.js';
import type { DeviceRecord } from '../store/types.js';
import type { RuleFacts, SliceDimension } from './evaluate.js';

const MINUTE_MS = 60_000;
/** Rows, calls or groups read per rule: a fleet past these alerts on the worst ones read. */
const MAX_ROWS = 1000;
/** Syslog gaps are a rate over about the last minute of samples; a shorter history is used once it spans this. */
const RATE_WINDOW_MS = MINUTE_MS;
const MIN_RATE_SPAN_MS = 5000;
const SYSLOG_SOURCES = ['syslog-udp', 'syslog-tcp', 'syslog-tls'];

export interface FactSources {
  readonly calls: CallStore;
  readonly crashes: CrashStore;
  readonly devices: DeviceRegistry;
  readonly sites: () => SiteMap;
  readonly counters: Counters;
  readonly listeners: () => readonly ListenerStatus[];
  readonly writer: BatchWriter;
}

interface GapSample {
  readonly at: number;
  /** Dropped syslog messages over every syslog source (they name no device). */
  readonly drops: number;
  readonly gaps: ReadonlyMap<string, number>;
}

export class FactGatherer {
  private samples: GapSample[] = [];

  constructor(private readonly src: FactSources) {}

  /** Called once per evaluation pass, before the rules: the sample the gap rates are measured on. */
  sample(nowMs: number): void {
    const counters = this.src.counters.snapshot();
    const drops = SYSLOG_SOURCES.reduce((n, s) => n + (counters[s] ? counters[s].dropped + counters[s].kernelDropped : 0), 0);
    this.samples.push({ at: nowMs, drops, gaps: new Map(this.src.devices.all().map((d) => [d.address, d.seqGaps])) });
    // Keep the newest sample at least a window old, and everything after it.
    const edge = this.samples.findLastIndex((s) => s.at <= nowMs - RATE_WINDOW_MS);
    if (edge > 0) this.samples = this.samples.slice(edge);
  }

  async gather(rule: AlertRule, nowMs: number): Promise<RuleFacts> {
    const p = rule.params;
    switch (rule.kind) {
      case 'poor-call-rate': return this.poorCalls(rule, nowMs);
      case 'call-mos-below': {
        const mos = p.mos as number;
        const page = await this.src.calls.listCalls({ fromMs: nowMs - (p.resolveMin as number) * MINUTE_MS, toMs: nowMs, maxMos: mos, sort: 'start', order: 'desc', limit: MAX_ROWS });
        const calls = page.calls.filter((c) => !c.active && c.endMs !== null && this.inScope(rule.scope, c.deviceId, c.remoteId));
        return { kind: 'call-mos-below', calls: calls.map((c) => ({ id: c.id, avgMos: c.avgMos, endMs: c.endMs!, device: c.deviceId === null ? null : this.src.devices.byId(c.deviceId)?.address ?? null })) };
      }
      case 'crash-group': {
        const fromMs = nowMs - (p.windowMin as number) * MINUTE_MS;
        const groups = await this.src.crashes.listGroups({ fromMs, toMs: nowMs, ...(rule.scope.firmware ? { firmware: rule.scope.firmware } : {}) }, MAX_ROWS);
        const model = rule.scope.model;
        const counted = groups.map((g) => ({ g, count: model ? g.byModel[model] ?? 0 : g.count })).filter((x) => x.count > 0);
        const out = [];
        for (const { g, count } of counted) {
          // New: no crash of the group before the window (within the same scope).
          const before = p.mode === 'new' ? await this.src.crashes.listGroups({ groupHash: g.hash, toMs: fromMs - 1, ...(rule.scope.firmware ? { firmware: rule.scope.firmware } : {}) }, 1) : [];
          const earlier = before[0] && model ? before[0].byModel[model] ?? 0 : before.length;
          out.push({ hash: g.hash, title: g.title, count, isNew: p.mode === 'new' && earlier === 0 });
        }
        return { kind: 'crash-group', groups: out };
      }
      case 'device-silent':
        return { kind: 'device-silent', devices: this.scopedDevices(rule.scope).map((d) => ({ address: d.address, lastSeen: d.lastSeen })) };
      case 'syslog-gaps': return { kind: 'syslog-gaps', rates: this.gapRates(rule) };
      case 'source-fault': return { kind: 'source-fault', faults: this.faults() };
    }
  }

  private async poorCalls(rule: AlertRule, nowMs: number): Promise<RuleFacts> {
    const fromMs = nowMs - (rule.params.windowMin as number) * MINUTE_MS;
    const range = { fromMs, toMs: nowMs };
    const [scoped] = Object.entries(rule.scope) as Array<[SliceDimension, string]>;
    const dimension = (rule.params.by as SliceDimension | undefined) ?? scoped?.[0] ?? null;
    if (dimension === null) {
      const k = await this.src.calls.qualityKpis(range);
      return { kind: 'poor-call-rate', fromMs, dimension, rows: [{ value: null, judged: k.judged, poor: k.poor }] };
    }
    const rows = await this.src.calls.qualityBreakdown(range, sliceFor(dimension, this.src.devices.all(), this.src.sites()), MAX_ROWS);
    return {
      kind: 'poor-call-rate', fromMs, dimension,
      rows: rows.filter((r) => !scoped || r.key === scoped[1]).map((r) => ({ value: r.key, judged: r.judged, poor: r.poor })),
    };
  }

  private gapRates(rule: AlertRule): Array<{ device: string | null; perMinute: number }> {
    const last = this.samples.at(-1);
    const first = this.samples[0];
    if (!last || !first || last.at - first.at < MIN_RATE_SPAN_MS) return [];
    const minutes = (last.at - first.at) / MINUTE_MS;
    const devices = this.scopedDevices(rule.scope);
    // A device first heard within the span had no gaps before it.
    const delta = (address: string) => Math.max(0, (last.gaps.get(address) ?? 0) - (first.gaps.get(address) ?? 0));
    const unscoped = Object.keys(rule.scope).length === 0;
    const fleet = devices.reduce((n, d) => n + delta(d.address), 0) + (unscoped ? Math.max(0, last.drops - first.drops) : 0);
    const rates: Array<{ device: string | null; perMinute: number }> = [{ device: null, perMinute: fleet / minutes }];
    if (rule.params.by === 'device') for (const d of devices) rates.push({ device: d.address, perMinute: delta(d.address) / minutes });
    return rates;
  }

  private faults(): Array<{ key: string; reason: string }> {
    const out = this.src.listeners().filter((l) => l.state === 'failed')
      .map((l) => ({ key: `listener=${l.name}`, reason: `Listener ${l.name} is not listening: ${l.error ?? 'it failed'}.` }));
    const w = this.src.writer;
    if (w.degraded) out.push({ key: 'store', reason: `The store is failing writes: ${w.lastError ?? 'unknown error'}.` });
    else if (w.writeWaitingMs > STORE_STALLED_AFTER_MS) out.push({ key: 'store', reason: `The store has not finished a write for ${Math.round(w.writeWaitingMs / 1000)} s (stalled).` });
    return out;
  }

  private scopedDevices(scope: AlertScope): DeviceRecord[] {
    return this.src.devices.all().filter((d) => this.deviceInScope(scope, d));
  }

  private deviceInScope(scope: AlertScope, d: DeviceRecord | undefined): boolean {
    if (scope.site !== undefined && (!d || this.src.sites().siteOf(d.address) !== scope.site)) return false;
    if (scope.model !== undefined && d?.model !== scope.model) return false;
    if (scope.firmware !== undefined && d?.firmware !== scope.firmware) return false;
    return true;
  }

  private inScope(scope: AlertScope, deviceId: number | null, remoteId: string | null): boolean {
    if (scope.peer !== undefined && peerOf(remoteId) !== scope.peer.toLowerCase()) return false;
    return this.deviceInScope(scope, deviceId === null ? undefined : this.src.devices.byId(deviceId));
  }
}
