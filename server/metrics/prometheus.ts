/**
 * `GET /metrics` for Prometheus: every ingest counter per source, the store's write latency and
 * queue, live clients, and voice quality of ended calls as histograms labelled by site, model,
 * firmware, peer (the far end's SIP host: the carrier or PBX) and codec. Labels never name a call
 * or a phone, and each label keeps at most MAX_LABEL_VALUES values (the rest are `other`), so a
 * hostile or huge fleet cannot blow up Prometheus.
 */
import client from 'prom-client';
import type { CallListener } from '../calls/correlator.js';
import type { Call } from '../calls/model.js';
import type { Counters, SourceCounters } from '../counters.js';
import type { SiteMap } from '../fleet/sites.js';
import type { LiveHub } from '../live/hub.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import type { BatchWriter } from '../store/batch-writer.js';

export const MAX_LABEL_VALUES = 50;
const LABEL_CHARS = 64;
/** Calls already counted (ids), so a call that changes after it ended is counted once. */
const REMEMBERED_CALLS = 100_000;
const MOS_BUCKETS = [1, 1.5, 2, 2.5, 3, 3.25, 3.5, 3.75, 4, 4.25, 4.5];
const LOSS_BUCKETS = [0, 0.5, 1, 2, 3, 5, 10, 20, 50];
const JITTER_BUCKETS = [5, 10, 20, 30, 50, 75, 100, 200];
const WRITE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const OUTCOMES: ReadonlyArray<keyof SourceCounters> = ['received', 'parsed', 'malformed', 'dropped', 'queued', 'stored', 'denied', 'limited', 'kernelDropped'];

export interface MetricsSources {
  readonly counters: Counters;
  readonly writer: BatchWriter;
  readonly live: () => LiveHub | null;
  readonly devices: DeviceRegistry;
  readonly sites: SiteMap;
}

/** At most MAX_LABEL_VALUES distinct values per label; printable, short. */
class LabelValues {
  private readonly seen = new Set<string>();
  of(raw: string | null | undefined): string {
    const v = (raw ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, LABEL_CHARS) || 'unknown';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= MAX_LABEL_VALUES) return 'other';
    this.seen.add(v);
    return v;
  }
}

/** The far end's host from `<sip:2000@pbx.example.com;user=phone>`: the carrier or PBX a call went to. */
export function peerOf(remoteId: string | null): string | null {
  const m = /@([^;>:\s]+)/.exec(remoteId ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

export class FleetMetrics implements CallListener {
  readonly registry = new client.Registry();
  private readonly labels = { site: new LabelValues(), model: new LabelValues(), firmware: new LabelValues(), peer: new LabelValues(), codec: new LabelValues() };
  private readonly counted = new Set<number>();
  private readonly calls: client.Counter<string>;
  private readonly mos: client.Histogram<string>;
  private readonly loss: client.Histogram<string>;
  private readonly jitter: client.Histogram<string>;
  private readonly writeSeconds: client.Histogram<string>;

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'ipp_' });
    new client.Counter({
      name: 'ipp_ingest_total', help: 'Datagrams/frames and messages per source and outcome (received = malformed + dropped + queued + stored per message)',
      labelNames: ['source', 'outcome'], registers,
      collect() {
        this.reset();
        for (const [source, c] of Object.entries(src.counters.snapshot())) {
          for (const outcome of OUTCOMES) if (c[outcome] > 0) this.inc({ source, outcome }, c[outcome]);
        }
      },
    });
    new client.Counter({
      name: 'ipp_ingest_bytes_total', help: 'Bytes received per source', labelNames: ['source'], registers,
      collect() {
        this.reset();
        for (const [source, c] of Object.entries(src.counters.snapshot())) if (c.bytes > 0) this.inc({ source }, c.bytes);
      },
    });
    new client.Gauge({ name: 'ipp_store_queue_lines', help: 'Log lines waiting for the store', registers, collect() { this.set(src.writer.queued); } });
    new client.Gauge({ name: 'ipp_store_queue_bytes', help: 'Raw bytes of the log lines waiting for the store', registers, collect() { this.set(src.writer.queuedBytes); } });
    new client.Gauge({ name: 'ipp_store_queue_max_lines', help: 'Lines the store queue holds before new ones are dropped', registers, collect() { this.set(src.writer.bounds.lines); } });
    new client.Gauge({ name: 'ipp_store_queue_max_bytes', help: 'Raw bytes the store queue holds before new lines are dropped', registers, collect() { this.set(src.writer.bounds.bytes); } });
    new client.Gauge({ name: 'ipp_store_write_waiting_seconds', help: 'How long the store write in flight has waited (0: none)', registers, collect() { this.set(src.writer.writeWaitingMs / 1000); } });
    new client.Gauge({ name: 'ipp_store_degraded', help: '1 while the last store write failed', registers, collect() { this.set(src.writer.degraded ? 1 : 0); } });
    new client.Gauge({ name: 'ipp_live_clients', help: 'Browsers connected to the live push', registers, collect() { this.set(src.live()?.clientCount ?? 0); } });
    new client.Counter({
      name: 'ipp_live_missed_lines_total', help: 'Live lines slow browsers missed', registers,
      collect() { this.reset(); this.inc(src.live()?.droppedTotal ?? 0); },
    });
    new client.Gauge({ name: 'ipp_devices', help: 'Devices known (every collector\'s on a shared store)', registers, collect() { this.set(src.devices.all().length); } });
    this.writeSeconds = new client.Histogram({ name: 'ipp_store_write_seconds', help: 'Time to commit one batch of log lines', buckets: WRITE_BUCKETS, registers });
    const callLabels = ['site', 'model', 'firmware', 'peer', 'codec'];
    this.calls = new client.Counter({ name: 'ipp_calls_total', help: 'Ended calls by verdict', labelNames: [...callLabels, 'verdict'], registers });
    this.mos = new client.Histogram({ name: 'ipp_call_worst_mos', help: 'Worst MOS of each ended call', labelNames: callLabels, buckets: MOS_BUCKETS, registers });
    this.loss = new client.Histogram({ name: 'ipp_call_max_loss_percent', help: 'Worst packet loss of each ended call', labelNames: callLabels, buckets: LOSS_BUCKETS, registers });
    this.jitter = new client.Histogram({ name: 'ipp_call_max_jitter_ms', help: 'Worst jitter of each ended call', labelNames: callLabels, buckets: JITTER_BUCKETS, registers });
    src.writer.onWrite = (ms) => this.writeSeconds.observe(ms / 1000);
  }

  onCall(call: Call): void {
    if (call.active || call.endMs === null || call.verdict === 'unknown' || this.counted.has(call.id)) return;
    this.counted.add(call.id);
    if (this.counted.size > REMEMBERED_CALLS) this.counted.delete(this.counted.values().next().value!);
    const device = call.deviceId === null ? undefined : this.src.devices.byId(call.deviceId);
    const l = {
      site: this.labels.site.of(device ? this.src.sites.siteOf(device.address) : null),
      model: this.labels.model.of(device?.model),
      firmware: this.labels.firmware.of(device?.firmware),
      peer: this.labels.peer.of(peerOf(call.remoteId)),
      codec: this.labels.codec.of(call.codec),
    };
    this.calls.inc({ ...l, verdict: call.verdict });
    if (call.worstMos !== null) this.mos.observe(l, call.worstMos);
    if (call.maxLossPct !== null) this.loss.observe(l, call.maxLossPct);
    if (call.maxJitterMs !== null) this.jitter.observe(l, call.maxJitterMs);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
