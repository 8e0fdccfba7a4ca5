/** Prometheus series of the alerts: deliveries by channel and outcome, episodes firing, deliveries failed. */
import client from 'prom-client';
import type { DeliveryEvents } from './delivery.js';

export function alertMetrics(registry: client.Registry, health: () => { firing: number; deliveriesFailed: number }): DeliveryEvents {
  const registers = [registry];
  const attempts = new client.Counter({ name: 'ipp_alert_delivery_attempts_total', help: 'Alert delivery attempts by channel and outcome (delivered, retrying, failed)', labelNames: ['channel', 'outcome'], registers });
  new client.Gauge({ name: 'ipp_alerts_firing', help: 'Alert episodes firing now', registers, collect() { this.set(health().firing); } });
  new client.Gauge({ name: 'ipp_alert_deliveries_failed', help: 'Alert deliveries that ran out of attempts (stored, shown on the alerts page)', registers, collect() { this.set(health().deliveriesFailed); } });
  return { onAttempt: (d, outcome) => attempts.inc({ channel: d.channel, outcome }) };
}
