/** Builds the alerts area from the collector's parts: facts, deliveries, the engine and its metrics. */
import type client from 'prom-client';
import type { CollectorConfig } from '../config.js';
import type { Store } from '../store/types.js';
import { DEFAULT_RETRY, DeliveryQueue } from './delivery.js';
import { EmailSender } from './email.js';
import { AlertEngine } from './engine.js';
import { FactGatherer, type FactSources } from './facts.js';
import { alertMetrics } from './metrics.js';

export interface AlertParts extends Omit<FactSources, 'calls' | 'crashes'> {
  readonly config: CollectorConfig;
  readonly store: Store;
  readonly now: () => number;
  readonly registry: client.Registry;
  readonly publicUrl: () => string;
  readonly broadcast: (event: string, data: unknown) => void;
}

export function createAlerts(p: AlertParts): AlertEngine {
  const { config, store } = p;
  let engine: AlertEngine | null = null;
  const deliveries = new DeliveryQueue({
    store: store.alerts, now: p.now,
    retry: { ...DEFAULT_RETRY, maxAttempts: config.alertMaxAttempts },
    email: config.smtpUrl ? new EmailSender(config.smtpUrl, config.alertFrom) : null,
    secretOf: async (ruleId) => (await store.alerts.listRules()).find((r) => r.id === ruleId)?.channels.webhook?.secret,
    events: alertMetrics(p.registry, () => engine!.health()),
  });
  engine = new AlertEngine({
    store: store.alerts, deliveries, now: p.now,
    facts: new FactGatherer({ ...p, calls: store.calls, crashes: store.crashes }),
    intervalMs: config.alertIntervalS * 1000,
    publicUrl: p.publicUrl,
    // One collector of a fleet store evaluates and delivers, so each episode is told once.
    evaluates: !store.shared || config.collectorId === 0,
    configRules: config.alertRules ?? [],
    onChange: (firing) => p.broadcast('alerts', { firing }),
  });
  return engine;
}
