// Placeholder until the ClickHouse logs domain lands (being written now).
import type { ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import type { DeviceRecord, LogStore } from '../types.js';

export class ClickHouseLogs {
  constructor(readonly ctx: FleetContext) {}
  static tables(_features: ServerFeatures): string[] { return []; }
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ClickHouseLogs extends LogStore { fleetDevices(): Promise<DeviceRecord[]> } {}
