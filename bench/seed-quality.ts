/**
 * A fleet's month of calls for the quality view's benchmark: 1,000 phones on four sites (10.20.S.x
 * by site), six models, four firmware builds, a dozen peers, four codecs, MOS, loss and jitter spread
 * so every breakdown has a worst row. The call rows are written straight into the backend's calls
 * table (generated here, the same rows for both backends): what is measured is answering over
 * 10^6 stored calls, and storing that many through the correlator takes ClickHouse 14 minutes
 * (the store case measures ingest). Devices go through the store contract.
 */
import type { CallRow } from '../server/store/call-rows.js';
import { openStore, writeCallRows } from '../server/store/open-store.js';
import type { DeviceRecord } from '../server/store/types.js';
import { packLogs } from '../server/store/log-columns.js';

export const QUALITY_SITES = 'Berlin=10.20.0.0/24;Paris=10.20.1.0/24;Madrid=10.20.2.0/24';
const DEVICES = 1000;
const MODELS = ['405HD', '420HD', '430HD', '440HD', '445HD', '450HD'];
const FIRMWARE = ['3.4.6.123', '3.4.8.7', '3.5.0.15', '3.5.1.2'];
const PEERS = Array.from({ length: 12 }, (_, i) => (i < 4 ? `pbx${i}.example.com` : `sbc${i}.carrier${i % 3}.net`));
const CODECS = ['PCMA', 'PCMU', 'G722', 'G729'];
const DAY_MS = 86_400_000;
export interface QualitySeed {
  readonly calls: number;
  readonly nowMs: number;
  /** The calls span [nowMs - spanMs, nowMs). */
  readonly spanMs: number;
}

/** Call i as a row in CALL_ROW_COLUMNS order; the verdict follows the default thresholds from MOS and loss. */
function callRow(i: number, s: QualitySeed, deviceIds: readonly number[]): CallRow {
  const start = s.nowMs - s.spanMs + Math.floor((i * s.spanMs) / s.calls);
  const duration = 30_000 + (i % 600) * 1000;
  const device = i % DEVICES;
  // Phones of site Madrid (the third 256) and firmware 3.4.8 do worse: the breakdowns have a worst row to find.
  const penalty = (Math.floor(device / 256) === 2 ? 0.4 : 0) + (device % FIRMWARE.length === 1 ? 0.3 : 0);
  const avgMos = Math.round(Math.max(1, 4.4 - ((i * 37) % 170) / 100 - penalty) * 100) / 100;
  const loss = i % 211 === 0 ? 100 : ((i * 13) % 48) / 8;
  const jitter = (i * 7) % 36;
  const verdict = avgMos < 3.1 || loss > 10 || jitter > 30 ? 'poor' : avgMos < 3.6 || loss > 3 || jitter > 20 ? 'fair' : 'good';
  return [
    i + 1, 1, deviceIds[device]!, `q-${i}@10.20.0.1`, null, '<sip:1000@pbx0.example.com>', `<sip:${3000 + (i % 900)}@${PEERS[(i * 5) % PEERS.length]}>`,
    start, start + duration, duration, 0, CODECS[(i * 3) % CODECS.length]!, '["vq-session"]', Math.max(1, avgMos - 0.2), avgMos, loss, jitter,
    verdict, null, null, null,
  ];
}

function device(i: number, id: number, nowMs: number): DeviceRecord {
  return {
    id, address: `10.20.${Math.floor(i / 256)}.${i % 256}`, mac: null, model: MODELS[i % MODELS.length]!, firmware: FIRMWARE[i % FIRMWARE.length]!,
    hostname: null, firstSeen: nowMs - 60 * DAY_MS, lastSeen: nowMs, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {},
  };
}

/** Creates the store (its schema), its devices, then the call rows. */
export async function seedQuality(choice: { dataDir: string; store?: string }, s: QualitySeed): Promise<void> {
  const store = await openStore(choice);
  let deviceIds: number[];
  try {
    const ids = await store.rowIds();
    const devices = Array.from({ length: DEVICES }, (_, i) => device(i, ids.newDeviceId(`10.20.${Math.floor(i / 256)}.${i % 256}`), s.nowMs));
    await store.write({ logs: packLogs([]), devices });
    deviceIds = devices.map((d) => d.id);
  } finally {
    await store.close();
  }
  await writeCallRows(choice, callRows(s, deviceIds));
}

function* callRows(s: QualitySeed, deviceIds: readonly number[]): Iterable<CallRow> {
  for (let i = 0; i < s.calls; i++) yield callRow(i, s, deviceIds);
}
