/**
 * The embedded store's numbering: counting on from the highest stored ids. An imported capture's
 * recorded calls get a range of their own, so `ipp-collector import` can run beside a collector
 * whose live numbering sits in memory.
 */
import { CountingIds } from '../ids.js';
import type { RowIds } from '../types.js';

export const IMPORTED_RECORDING_ID_STRIDE = 1_000_000_000;

export function countingRowIds(logs: { log: number; device: number }, recordings: { call: number; stream: number }): RowIds {
  const devices = new CountingIds(logs.device);
  return {
    log: new CountingIds(logs.log),
    recordedCall: new CountingIds(recordings.call),
    recordedStream: new CountingIds(recordings.stream),
    forImport: (importId) => {
      const base = importId * IMPORTED_RECORDING_ID_STRIDE + 1;
      return { call: new CountingIds(base), stream: new CountingIds(base) };
    },
    newDeviceId: devices.next,
  };
}
