// A small fleet with a known answer for the quality view's tests: six phones on two sites and an
// unassigned subnet, calls of the last hours stored through the store contract (the verdicts
// come from the real summary), and a previous day for the deltas. Paris is clearly the worst site,
// Berlin the best; Paris phones call through the carrier, the others through the PBX.
import type { CallRecord } from '../../server/calls/model.js';
import { CallCorrelator } from '../../server/calls/correlator.js';
import { openStore } from '../../server/store/open-store.js';
import type { DeviceRecord } from '../../server/store/types.js';
import { packLogs } from '../../server/store/log-columns.js';

export const FLEET_SITES = 'Berlin=10.1.0.0/16;Paris=10.2.0.0/16';
const HOUR_MS = 3_600_000;

interface PhoneSpec { address: string; model: string; firmware: string; calls: number; poor: number; peer: string; codec: string }

export const PHONES: readonly PhoneSpec[] = [
  { address: '10.1.0.11', model: '420HD', firmware: '3.4.6', calls: 10, poor: 1, peer: 'pbx.example.com', codec: 'PCMA' },
  { address: '10.1.0.12', model: '445HD', firmware: '3.4.8', calls: 10, poor: 0, peer: 'pbx.example.com', codec: 'G722' },
  { address: '10.2.0.21', model: '420HD', firmware: '3.4.8', calls: 10, poor: 5, peer: 'sbc.carrier-b.net', codec: 'PCMA' },
  { address: '10.2.0.22', model: '450HD', firmware: '3.4.8', calls: 10, poor: 3, peer: 'sbc.carrier-b.net', codec: 'PCMU' },
  { address: '10.3.0.31', model: '420HD', firmware: '3.4.6', calls: 5, poor: 1, peer: 'pbx.example.com', codec: 'PCMA' },
  { address: '10.3.0.32', model: '445HD', firmware: '3.4.6', calls: 5, poor: 1, peer: 'pbx.example.com', codec: 'G722' },
];

/** What the tests expect of the last 24 hours. */
export const EXPECTED = {
  calls: 50, poor: 11, oneWay: 2, previousCalls: 10, previousPoor: 1,
  /** Worst first: Paris 8/20, unassigned 2/10, Berlin 1/20. */
  sites: [['Paris', 20, 8], ['unassigned', 10, 2], ['Berlin', 20, 1]] as Array<[string, number, number]>,
};

function call(n: number, deviceId: number, p: PhoneSpec, startMs: number, poor: boolean, oneWay: boolean): CallRecord {
  const metrics = oneWay ? { lossPct: 100, mosLq: 1 } : poor ? { lossPct: 14, mosLq: 2.6 + (n % 5) / 10, jitterMs: 25 } : { lossPct: 0.5, mosLq: 4.1 + (n % 3) / 10, jitterMs: 4 };
  return {
    keys: { sipCallId: `fleet-${n}@${p.address}`, deviceId, localId: `<sip:${100 + n}@${p.peer}>`, remoteId: `<sip:${2000 + n}@${p.peer};user=phone>`, startMs, endMs: startMs + 90_000 },
    info: { codec: p.codec },
    segments: [{ startMs, endMs: startMs + 90_000, reason: 'report', codec: p.codec }],
    streams: [{ direction: 'rx', codec: p.codec, samples: [{ source: 'vq-session', startMs, endMs: startMs + 90_000, metrics }] }],
    callSamples: [],
  };
}

/** Seeds `dataDir` (before a collector opens it) with the fleet, its calls ending before `nowMs`. */
export async function seedQualityFleet(dataDir: string, nowMs: number): Promise<void> {
  const store = await openStore({ dataDir });
  try {
    const ids = await store.rowIds();
    const devices: DeviceRecord[] = PHONES.map((p) => ({
      id: ids.newDeviceId(p.address), address: p.address, mac: null, model: p.model, firmware: p.firmware, hostname: null,
      firstSeen: nowMs - 72 * HOUR_MS, lastSeen: nowMs, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {},
    }));
    await store.write({ logs: packLogs([]), devices });
    const correlator = new CallCorrelator(store);
    let n = 0;
    const records: CallRecord[] = [];
    PHONES.forEach((p, i) => {
      for (let k = 0; k < p.calls; k++) {
        // The first poor call of each Paris phone heard nothing: the two one-way calls.
        const poor = k < p.poor;
        records.push(call(n++, devices[i]!.id, p, nowMs - 20 * HOUR_MS + (i * 12 + k) * 10 * 60_000, poor, poor && k === 0 && p.address.startsWith('10.2.')));
      }
    });
    // The previous day: ten calls of the first phone, one poor.
    for (let k = 0; k < EXPECTED.previousCalls; k++) records.push(call(n++, devices[0]!.id, PHONES[0]!, nowMs - 40 * HOUR_MS + k * 60 * 60_000, k === 0, false));
    await Promise.all(records.map((r) => correlator.ingest(r)));
  } finally {
    await store.close();
  }
}
